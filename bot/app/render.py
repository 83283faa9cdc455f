"""Plain-text and JSON renderings of an `Answer`, for the console and for scripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.app.answer import Answer, CommandError
from bot.core.values import Source, Table
from bot.i18n import ENGLISH, Translator, translator


def format_table(table: Table) -> str:
    """Align columns with spaces; cells never wrap, so a row stays greppable."""
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        for index, cell in enumerate(row):
            if index < len(widths):
                widths[index] = max(widths[index], len(cell))
    lines = ["  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip() for row in table.rows
    )
    return "\n".join(lines)


def format_source(source: Source, now: datetime | None = None, tr: Translator = ENGLISH) -> str:
    """Name, detail, the data's date and age; source names and details are data and stay as given."""
    stale = tr.gettext(", STALE") if source.stale else ""
    detail = f" ({source.detail})" if source.detail else ""
    if source.date is None:
        return tr.gettext("{source}: data date unknown{stale}").format(
            source=source.name + detail, stale=stale
        )
    age = tr.age((now or datetime.now(UTC)) - source.date)
    return tr.gettext("{source}: data of {date} ({age}{stale})").format(
        source=source.name + detail, date=tr.datetime(source.date), age=age, stale=stale
    )


def render_text(answer: Answer, now: datetime | None = None) -> str:
    """The console's rendering: everything the Discord embed shows, as plain text."""
    now = now or datetime.now(UTC)
    tr = translator(answer.language)
    parts = [f"== {answer.title} [{answer.severity.value}] ==", answer.summary]
    for section in answer.sections:
        parts.append(f"\n-- {section.title} --")
        if section.text:
            parts.append(section.text)
        if section.table is not None and section.table.rows:
            parts.append(format_table(section.table))
    if answer.sources:
        parts.append("\n" + tr.gettext("Sources:"))
        parts.extend(f"  - {format_source(s, now, tr)}" for s in answer.sources)
    return "\n".join(p for p in parts if p is not None)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The documented script shape: ok, command, data, sources, error."""
    return {
        "ok": True,
        "command": answer.command,
        "title": answer.title,
        "summary": answer.summary,
        "severity": answer.severity.value,
        "data": answer.data,
        "sources": [s.to_json() for s in answer.sources],
        "error": None,
    }


def error_json(command: str | None, error: CommandError, tr: Translator = ENGLISH) -> dict[str, Any]:
    """The error's `kind` is a stable code; only its `message` is in the asker's language."""
    return {"ok": False, "command": command, "data": {}, "sources": [], "error": error.to_json(tr)}


def dumps(payload: dict[str, Any]) -> str:
    """One line of JSON; non-JSON values (dates, sets) become strings rather than crashing a script."""
    return json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
