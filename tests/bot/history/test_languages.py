"""The answers that read the history points — `/history`, `/transit`'s "Over time" and `at:`, `/country` — and
`/status`, in English, Russian and Kazakh, on points recorded from the shared real MRT files of 2014, 2019 and
2024: each fits Discord's limits and table width, and each is in the reader's language (a section title of its
catalogue shows up translated)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.commands import Context
from bot.frontends.discord.embeds import (
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_LIMIT,
    TABLE_WIDTH,
    render_messages,
)
from bot.history.recorder import record_snapshot
from bot.i18n import Language, translator
from bot.routing.snapshot import Snapshot
from tests.bot.frontends.discord.test_table_widths import code_block_lines
from tests.bot.history.conftest import ask, serving

# Each command line, with a section title its answer must show in the reader's language.
LINES = {
    "/history target:AS9198": "Changes, newest first",
    "/history target:KZ": "Points, newest first",
    "/history target:95.56.0.0/16": "Points, newest first",
    "/transit target:KZ": "Over time",
    "/transit target:KZ at:2019-02-10": "Transit ASes",
    "/country target:KZ": "Over time",
    "/status": "History",
}


@pytest.fixture
async def ctx(alone: dict[str, Snapshot], tmp_path: Path) -> AsyncIterator[Context]:
    async with serving(alone["2019-01-01"], tmp_path / "history.sqlite3") as context:
        for snapshot in alone.values():
            record_snapshot(context.services.history.store, snapshot, ["KZ"])
        yield context


@pytest.mark.parametrize("language", list(Language))
async def test_history_answers_fit_discord_and_speak_the_readers_language(
    ctx: Context, language: Language
) -> None:
    ctx.tr = translator(language)
    for line, title in LINES.items():
        answer = await ask(ctx, line)
        wanted = ctx.tr.gettext(title)
        assert wanted in [s.title for s in answer.sections], (line, [s.title for s in answer.sections])
        if language is not Language.EN:
            assert wanted != title and not wanted.isascii(), line  # translated, in Cyrillic
        for message in render_messages(answer):
            assert len(message.embeds) <= EMBEDS_PER_MESSAGE, line
            for embed in message.embeds:
                assert len(embed) <= EMBED_TOTAL_LIMIT, line
                assert all(len(f.value or "") <= FIELD_LIMIT for f in embed.fields), line
        assert all(len(code) <= TABLE_WIDTH for code in code_block_lines(answer)), line


async def test_russian_numbers_and_country_names_in_the_over_time_parts(ctx: Context) -> None:
    """Not only the words: shares are written as Russian writes them, countries by their Russian names."""
    ctx.tr = translator(Language.RU)
    country = await ask(ctx, "/country target:KZ")
    assert country.title.startswith("Казахстан (KZ)")
    (over_time,) = [s for s in country.sections if s.title == "Во времени"]
    assert over_time.table is not None and over_time.table.rows
    assert all("\xa0%" in row[2] for row in over_time.table.rows)  # "RU 87 %" with a no-break space
    at = await ask(ctx, "/transit target:KZ at:2019-02-10")
    assert "(40 дней разницы)" in at.summary  # Russian plural of 40
