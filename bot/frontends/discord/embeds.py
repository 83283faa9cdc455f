"""Answer → Discord messages, within Discord's embed limits (split across embeds and messages when long)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import discord

from bot.app.answer import Answer, Attachment, Severity
from bot.app.render import format_source, format_table
from bot.core.values import Section, Table
from bot.i18n import Translator, translator

COLOURS = {
    Severity.INFO: discord.Colour.blurple(),
    Severity.OK: discord.Colour.green(),
    Severity.WARNING: discord.Colour.orange(),
    Severity.CRITICAL: discord.Colour.red(),
}
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
FIELDS_PER_EMBED = 25
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
MESSAGE_BUDGET = 5800  # below the 6,000 characters Discord allows across one message's embeds
TABLE_WIDTH = 56
"""Monospace characters an embed code block shows without wrapping on a desktop client (a phone shows fewer)."""
CELL_WIDTH = 22
TABLE_ROWS = 15
"""Rows shown in an embed; a longer table is shown in part and attached whole as CSV."""


@dataclass
class DiscordMessage:
    """One message to send: embeds plus files."""

    embeds: list[discord.Embed] = field(default_factory=list)
    files: list[discord.File] = field(default_factory=list)


def _chunks(text: str, limit: int) -> list[str]:
    """Split on line boundaries so tables stay readable; hard-split only lines longer than the limit."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if current and len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        current += line
    if current:
        pieces.append(current)
    return pieces or [""]


def _cell(text: str) -> str:
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def fit_table(table: Table) -> tuple[Table, bool]:
    """The part of a table an embed shows readably: long cells cut, columns kept from the left while the table
    stays within TABLE_WIDTH, the first TABLE_ROWS rows. True when anything was left out (then the whole table
    goes along as CSV)."""
    rows = [[_cell(c) for c in row] for row in table.rows[:TABLE_ROWS]]
    columns = [_cell(c) for c in table.columns]
    keep, width = 0, -2
    for index, name in enumerate(columns):
        column_width = max([len(name), *(len(r[index]) for r in rows if index < len(r))])
        if keep and width + 2 + column_width > TABLE_WIDTH:
            break
        keep, width = index + 1, width + 2 + column_width
    shown = Table(columns[:keep], [row[:keep] for row in rows])
    cut = (
        keep < len(table.columns)
        or len(table.rows) > TABLE_ROWS
        or any(len(c) > CELL_WIDTH for row in table.rows[:TABLE_ROWS] for c in [*row, *table.columns])
    )
    return shown, cut


def table_csv(section: Section, tr: Translator) -> Attachment:
    """The whole table of a section as a CSV file, for what an embed cannot show."""
    assert section.table is not None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(section.table.columns)
    writer.writerows(section.table.rows)
    stem = re.sub(r"[^a-z0-9]+", "-", section.title.lower()).strip("-") or "table"
    description = tr.gettext("{title}: the whole table").format(title=section.title)
    return Attachment(f"table-{stem}.csv", out.getvalue().encode(), description)


def _table_body(section: Section, files: list[Attachment], tr: Translator) -> str:
    assert section.table is not None
    shown, cut = fit_table(section.table)
    body = "```\n" + format_table(shown) + "\n```"
    if cut:
        attachment = table_csv(section, tr)
        files.append(attachment)
        rows = tr.ngettext("{count} row", "{count} rows", len(section.table.rows)).format(
            count=tr.number(len(section.table.rows))
        )
        columns = tr.ngettext("{count} column", "{count} columns", len(section.table.columns)).format(
            count=len(section.table.columns)
        )
        body += "\n" + tr.gettext("{rows} × {columns} in all: the whole table is attached as {file}.").format(
            rows=rows, columns=columns, file=attachment.filename
        )
    return body


def _fields(answer: Answer, files: list[Attachment]) -> list[tuple[str, str]]:
    tr = translator(answer.language)
    continued = tr.gettext("{title} (cont.)")
    fields: list[tuple[str, str]] = []
    for section in answer.sections:
        body = section.text
        if section.table is not None and section.table.rows:
            body = (body + "\n" if body else "") + _table_body(section, files, tr)
        if not body:
            continue
        inner_limit = FIELD_LIMIT - 8  # room to re-open and close a code block in each piece
        in_code = False  # a table split over several fields is re-fenced in each one
        for index, piece in enumerate(_chunks(body, inner_limit)):
            reopen = "```\n" if in_code else ""
            in_code ^= piece.count("```") % 2 == 1
            value = reopen + piece.rstrip("\n") + ("\n```" if in_code else "")
            name = section.title if index == 0 else continued.format(title=section.title)
            fields.append((name[:TITLE_LIMIT], value))
    if answer.sources:
        sources = "\n".join(f"• {format_source(s, tr=tr)}" for s in answer.sources)
        data_used = tr.gettext("Data used")
        fields.extend(
            (data_used if i == 0 else continued.format(title=data_used), p)
            for i, p in enumerate(_chunks(sources, FIELD_LIMIT))
        )
    return fields


def render_messages(answer: Answer) -> list[DiscordMessage]:
    """Lay the answer out as embeds; open a new embed or message whenever a limit would be crossed."""
    colour = COLOURS[answer.severity]
    description = answer.summary[:DESCRIPTION_LIMIT]
    first = discord.Embed(title=answer.title[:TITLE_LIMIT], description=description, colour=colour)
    messages = [DiscordMessage(embeds=[first])]
    used = len(first.title or "") + len(description)
    embed = first
    tables: list[Attachment] = []
    for name, value in _fields(answer, tables):
        size = len(name) + len(value)
        message = messages[-1]
        if used + size > MESSAGE_BUDGET:
            embed = discord.Embed(colour=colour)
            messages.append(DiscordMessage(embeds=[embed]))
            used = 0
        elif len(embed.fields) >= FIELDS_PER_EMBED:
            embed = discord.Embed(colour=colour)
            if len(message.embeds) >= EMBEDS_PER_MESSAGE:
                messages.append(DiscordMessage(embeds=[embed]))
                used = 0
            else:
                message.embeds.append(embed)
        embed.add_field(name=name, value=value, inline=False)
        used += size
    messages[-1].files = [
        discord.File(io.BytesIO(a.content), filename=a.filename, description=a.description or None)
        for a in [*answer.attachments, *tables]
    ]
    return messages
