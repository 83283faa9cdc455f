"""`/country target:KZ` over time, on points recorded from the shared real MRT files of 2014, 2019 and 2024:
the short "Over time" section (exit shares and origin count by date) and `data.history`, the same series
`/transit` shows; nothing of it below two points; Discord payloads within Discord's limits."""

from __future__ import annotations

from pathlib import Path

from bot.app.answer import Answer
from bot.app.commands import Context
from bot.app.features.country.command import OVER_TIME_ROWS
from bot.frontends.discord.embeds import EMBED_TOTAL_LIMIT, EMBEDS_PER_MESSAGE, FIELD_LIMIT, render_messages
from bot.history.recorder import record_snapshot
from bot.routing.snapshot import Snapshot
from tests.bot.history.conftest import ask, serving


def over_time(answer: Answer) -> list[list[str]]:
    (section,) = [s for s in answer.sections if s.title == "Over time"]
    assert section.table is not None
    assert section.table.columns == ["Date", "Collectors", "Main exits", "Origins", "VPs"]
    return section.table.rows


async def test_country_adds_over_time_from_two_points_on(alone: dict[str, Snapshot], tmp_path: Path) -> None:
    async with serving(alone["2019-01-01"], tmp_path / "history.sqlite3") as ctx:
        await over_time_of_kz(ctx, alone)


async def over_time_of_kz(ctx: Context, alone: dict[str, Snapshot]) -> None:
    services = ctx.services
    store = services.history.store
    record_snapshot(store, alone["2019-01-01"], ["KZ"])

    one = await ask(ctx, "/country target:KZ")
    assert "history" not in one.data and not any(s.title == "Over time" for s in one.sections)

    for day in ("2014-05-23", "2024-10-01"):
        record_snapshot(store, alone[day], ["KZ"])
    answer = await ask(ctx, "/country target:Kazakhstan")
    points = store.series("KZ")
    rows = over_time(answer)
    assert [r[0] for r in rows] == ["2024-10-01", "2019-01-01", "2014-05-23"]  # newest first
    assert [r[3] for r in rows] == [f"{p.view['origin_ases']:,}" for p in reversed(points)]
    top = points[-1].view["exit_countries"][0]
    assert rows[0][2].startswith(f"{top[0]} {100 * top[1]:.0f} %")  # English house style
    history = answer.data["history"]
    assert [h["date"] for h in history] == ["2014-05-23", "2019-01-01", "2024-10-01"]  # oldest first
    assert [h["origin_ases"] for h in history] == [p.view["origin_ases"] for p in points]
    assert history == (await ask(ctx, "/transit target:KZ")).data["history"]  # one helper, one series
    assert [a.filename for a in answer.attachments] == ["country.png"]  # short: no second chart
    assert len(rows) <= OVER_TIME_ROWS
    for message in render_messages(answer):
        assert len(message.embeds) <= EMBEDS_PER_MESSAGE
        for embed in message.embeds:
            assert len(embed) <= EMBED_TOTAL_LIMIT
            assert all(len(f.value or "") <= FIELD_LIMIT for f in embed.fields)
