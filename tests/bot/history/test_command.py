"""`/history` on points recorded from the shared real MRT files of 2014, 2019 and 2024: AS9198's upstream
changes with dates, a country's exit shifts, the chart, JSON points/changes, clear answers for bad or unknown
targets, and Discord payloads within Discord's limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.answer import BadInput, Unavailable
from bot.app.commands import Context
from bot.core.settings import AlertSettings
from bot.frontends.discord.embeds import EMBED_TOTAL_LIMIT, EMBEDS_PER_MESSAGE, FIELD_LIMIT, render_messages
from bot.history.recorder import record_snapshot
from bot.routing.snapshot import Snapshot
from tests.bot.history.conftest import ask, serving

PNG = b"\x89PNG"
THRESHOLD = 0.02  # low enough that the real KZ exit shares between these dates cross it


@pytest.fixture
async def ctx(alone: dict[str, Snapshot], tmp_path: Path) -> AsyncIterator[Context]:
    alerts = AlertSettings(silkroute_exit_shift_threshold=THRESHOLD)
    async with serving(alone["2019-01-01"], tmp_path / "history.sqlite3", alerts) as context:
        for snapshot in alone.values():
            record_snapshot(context.services.history.store, snapshot, ["KZ"])
        yield context


def upstream_set(view: dict[str, object]) -> set[str]:
    return {f"AS{asn}" for asn, _ in view["upstreams"]}  # type: ignore[attr-defined]


async def test_as9198_upstream_changes_with_dates(ctx: Context) -> None:
    answer = await ask(ctx, "/history target:AS9198")
    points = answer.data["points"]
    assert [p["date"] for p in points] == ["2014-05-23", "2019-01-01"]  # the 2024 file holds no AS9198 route
    before, after = upstream_set(points[0]), upstream_set(points[1])
    assert before != after  # real data: Kazakhtelecom's neighbours towards the collectors differ
    changes = answer.data["changes"]
    gained = {c["after"] for c in changes if c["kind"] == "upstream_gained"}
    lost = {c["before"] for c in changes if c["kind"] == "upstream_lost"}
    assert gained == after - before and lost == before - after
    assert {c["date"] for c in changes} == {"2019-01-01"}
    assert all(c["collectors"] == "routeviews2 -> rrc00" for c in changes)  # the vantage changed too: said so
    assert answer.attachments and answer.attachments[0].content.startswith(PNG)
    assert [s.name for s in answer.sources] == ["History points (routeviews2)", "History points (rrc00)"]
    for message in render_messages(answer):
        assert len(message.embeds) <= EMBEDS_PER_MESSAGE
        for embed in message.embeds:
            assert len(embed) <= EMBED_TOTAL_LIMIT
            assert all(len(f.value or "") <= FIELD_LIMIT for f in embed.fields)


async def test_country_prefix_and_unknown_targets(ctx: Context) -> None:
    country = await ask(ctx, "/history target:Kazakhstan")
    assert [p["date"] for p in country.data["points"]] == ["2014-05-23", "2019-01-01", "2024-10-01"]
    shifts = {
        (c["date"], c["before"]["country"], c["before"]["share"], c["after"]["share"])
        for c in country.data["changes"]
        if c["kind"] == "exit_shift"
    }
    expected = set()
    for old, new in zip(country.data["points"], country.data["points"][1:], strict=False):
        was, now = dict(map(tuple, old["exit_countries"])), dict(map(tuple, new["exit_countries"]))
        for cc in was.keys() | now.keys():
            if abs(now.get(cc, 0.0) - was.get(cc, 0.0)) > THRESHOLD:
                expected.add((new["date"], cc, was.get(cc, 0.0), now.get(cc, 0.0)))
    assert shifts and shifts == expected
    assert country.data["changes"][0]["date"] == "2024-10-01"  # newest first
    prefix = await ask(ctx, "/history target:95.56.0.0/16")
    assert prefix.data["target"] == "AS9198" and "origin of" in prefix.summary
    assert "95.56.0.0/16 itself yet: it is kept from now on" in prefix.summary  # its own points start now
    assert ctx.services.history.store.kept() == ["95.56.0.0/16"]
    with pytest.raises(Unavailable, match="No history points for AS174"):
        await ask(ctx, "/history target:AS174")
    with pytest.raises(BadInput, match="not an AS, a country or a prefix"):
        await ask(ctx, "/history target:kaspi.kz")


async def test_transit_over_time_and_at_a_date(ctx: Context) -> None:
    answer = await ask(ctx, "/transit target:KZ")
    history = answer.data["history"]
    assert [h["date"] for h in history] == ["2014-05-23", "2019-01-01", "2024-10-01"]  # oldest first
    (today,) = [h for h in history if h["date"] == "2019-01-01"]  # the serving snapshot's own date
    assert today["exit_countries"] == answer.data["exit_countries"]
    assert today["vantage_points"] == answer.data["vantage_points"]
    assert today["origin_ases"] == answer.data["origin_ases"]
    assert any(s.title == "Over time" for s in answer.sections)
    assert [a.filename for a in answer.attachments] == ["transit.png", "history.png"]
    for message in render_messages(answer):
        for embed in message.embeds:
            assert len(embed) <= EMBED_TOTAL_LIMIT

    at = await ask(ctx, "/transit target:Kazakhstan at:2019-02-10")
    assert at.data["at"] == "2019-01-01" and at.data["requested"] == "2019-02-10"
    assert "nearest to 2019-02-10 (40 days away)" in at.summary
    assert at.data["exit_countries"] == today["exit_countries"]
    assert at.sources[0].name == "History point (rrc00)"
    with pytest.raises(BadInput, match="not a date"):
        await ask(ctx, "/transit target:KZ at:2019-13-01")
    with pytest.raises(BadInput, match="IPv4"):
        await ask(ctx, "/transit target:KZ at:2019-01-01 family:ipv6")
    with pytest.raises(Unavailable, match="No history points for AS174"):
        await ask(ctx, "/transit target:AS174 at:2019-01-01")
