"""Every table line of every command's answer on the real shared data, as Discord would show it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app.answer import Answer
from bot.app.catalog import build_registry
from bot.app.commands import Caller, Context, parse_command_line
from bot.app.render import format_table
from bot.app.runner import execute
from bot.core.settings import CoreSettings, Settings
from bot.frontends.discord.embeds import (
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_LIMIT,
    TABLE_WIDTH,
    render_messages,
)
from bot.i18n import Language, translator
from bot.routing.snapshot import Snapshot
from tests.helpers import make_services

MANAGER = Caller("ops", can_manage=True, user_id=7)
GUILD = 42
LINES = [
    "/help",
    "/help command:transit",
    "/status",
    "/lookup target:AS9198",
    "/lookup target:AS29355",
    "/lookup target:95.56.0.0/16",
    "/lookup target:2.72.0.1",
    "/transit target:KZ",
    "/transit target:KZ rows:50",
    "/transit target:AS9198",
    "/transit target:RU rows:50",
    "/country target:KZ",
    "/country target:KZ rows:25 compare:AZ,GE,AM",
    "/watch add target:AS9198",
    "/watch add target:2.72.0.0/18",
    "/watch add target:https://kaspi.kz/",
    "/watch list",
    "/alerts history",
]


@pytest.fixture
async def ctx(real_snapshot: Snapshot, tmp_path: object) -> AsyncIterator[Context]:
    settings = Settings(core=CoreSettings(silkroute_offline=True))
    services = make_services(settings, snapshot=real_snapshot)
    await services.start()
    services.snapshots.current = real_snapshot  # starting reloads the store's (empty) data dir
    try:
        yield Context(services=services, caller=MANAGER, guild_id=GUILD, channel_id=43)
    finally:
        await services.close()


def code_block_lines(answer: Answer) -> list[str]:
    lines: list[str] = []
    for message in render_messages(answer):
        for embed in message.embeds:
            for field in embed.fields:
                inside = False
                for line in (field.value or "").splitlines():
                    if line.startswith("```"):
                        inside = not inside
                    elif inside:
                        lines.append(line)
    return lines


@pytest.mark.parametrize("language", list(Language))
async def test_every_table_fits_a_discord_embed_on_the_real_data(ctx: Context, language: Language) -> None:
    """In each language: Russian and Kazakh words are longer than English ones, and must fit all the same."""
    ctx.tr = translator(language)
    registry = build_registry()
    widths: dict[str, int] = {}
    for line in LINES:
        invocation = parse_command_line(line, registry, ctx.tr)
        answer = await execute(invocation.spec, ctx, invocation.options)
        messages = render_messages(answer)
        for message in messages:
            assert len(message.embeds) <= EMBEDS_PER_MESSAGE
            for embed in message.embeds:
                assert len(embed) <= EMBED_TOTAL_LIMIT, line
                assert all(len(f.value or "") <= FIELD_LIMIT for f in embed.fields), line
        widths[line] = max((len(code) for code in code_block_lines(answer)), default=0)
    too_wide = {line: width for line, width in widths.items() if width > TABLE_WIDTH}
    assert not too_wide, too_wide
    assert any(widths.values())  # tables were measured, not skipped


async def test_tables_keep_their_columns_aligned_with_cyrillic_text(ctx: Context) -> None:
    """Widths are counted in characters, not bytes: every cell starts where its header starts."""
    ctx.tr = translator(Language.RU)
    registry = build_registry()
    invocation = parse_command_line("/transit target:KZ", registry, ctx.tr)
    answer = await execute(invocation.spec, ctx, invocation.options)
    tables = [s.table for s in answer.sections if s.table is not None and s.table.rows]
    assert tables and any(any(not c.isascii() for c in t.columns) for t in tables)
    for table in tables:
        header, rule, *rows = format_table(table).splitlines()
        starts = [
            index + 1 for index, ch in enumerate(rule) if ch == " " and rule[index + 1 : index + 2] == "-"
        ]
        starts = [0, *starts]
        assert [header[s:].split("  ")[0] for s in starts] == table.columns
        for line, row in zip(rows, table.rows, strict=True):
            assert [line[s:].split("  ")[0].rstrip() for s in starts] == [c.split("  ")[0] for c in row]
