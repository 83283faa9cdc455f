"""Plain-text and JSON renderings of an `Answer`, for the console and for scripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.app.answer import Answer, CommandError
from bot.core.values import Source, Table


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


def format_source(source: Source, now: datetime | None = None) -> str:
    stale = ", STALE" if source.stale else ""
    detail = f" ({source.detail})" if source.detail else ""
    if source.date is None:
        return f"{source.name}{detail}: data date unknown{stale}"
    date = source.date.strftime("%Y-%m-%d %H:%M UTC")
    return f"{source.name}{detail}: data of {date} ({source.age_text(now)}{stale})"


def render_text(answer: Answer, now: datetime | None = None) -> str:
    """The console's rendering: everything the Discord embed shows, as plain text."""
    now = now or datetime.now(UTC)
    parts = [f"== {answer.title} [{answer.severity.value}] ==", answer.summary]
    for section in answer.sections:
        parts.append(f"\n-- {section.title} --")
        if section.text:
            parts.append(section.text)
        if section.table is not None and section.table.rows:
            parts.append(format_table(section.table))
    if answer.sources:
        parts.append("\nSources:")
        parts.extend(f"  - {format_source(s, now)}" for s in answer.sources)
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


def error_json(command: str | None, error: CommandError) -> dict[str, Any]:
    return {"ok": False, "command": command, "data": {}, "sources": [], "error": error.to_json()}


def dumps(payload: dict[str, Any]) -> str:
    """One line of JSON; non-JSON values (dates, sets) become strings rather than crashing a script."""
    return json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
