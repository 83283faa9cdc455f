"""`/history` online: RIPEstat's routing history and IHR's hegemony series beside the bot's own points, each
labelled with its source, against the local fake upstreams (RIPEstat's recorded routing-history response, IHR
rows from its documented fields); a failing source costs one line, not the answer."""

from __future__ import annotations

from pathlib import Path

from bot.app.commands import Caller, Context
from bot.app.features.history.command import history
from bot.core.settings import HistorySettings
from bot.history.recorder import record_snapshot
from bot.routing.snapshot import Snapshot
from tests.bot.live.fake_upstreams import FakeUpstreams
from tests.bot.live.live_world import live_services
from tests.helpers import serving


async def test_live_series_beside_own_points_and_a_failing_source(
    fake_upstreams: FakeUpstreams, alone: dict[str, Snapshot], tmp_path: Path
) -> None:
    settings = HistorySettings(silkroute_history_db=tmp_path / "history.sqlite3")
    async with live_services(fake_upstreams, serving(alone["2019-01-01"]), history=settings) as services:
        for snapshot in alone.values():
            record_snapshot(services.history.store, snapshot, [], [9198])
        ctx = Context(services=services, caller=Caller("tester", can_manage=False))
        answer = await history(ctx, "AS9198")
        titles = [s.title for s in answer.sections]
        assert "RIPEstat routing history (live)" in titles and "IHR AS hegemony, last 6 days (live)" in titles
        spans = answer.data["live"]["ripestat_routing_history"]
        assert (3333, "193.0.0.0/21") in {(s["origin"], s["prefix"]) for s in spans}  # the recorded response
        ihr = {item["asn"]: item for item in answer.data["live"]["ihr_hegemony"]}
        assert set(ihr) == {3216, 9002, 20485}  # the origin itself is left out
        assert answer.data["live_error"] is None
        names = [s.name for s in answer.sources]
        assert names[:2] == ["History points (routeviews2)", "History points (rrc00)"]
        assert names[2:] == ["RIPEstat", "Internet Health Report"]
        assert [p["date"] for p in answer.data["points"]] == [
            "2014-05-23",
            "2019-01-01",
        ]  # own points unchanged

        fake_upstreams.fail("ripestat:routing-history", "500")
        prefix = await history(ctx, "95.56.0.0/16")
    assert prefix.data["target"] == "AS9198"
    assert "RIPEstat routing history" in prefix.data["live_error"]
    assert "ihr_hegemony" in prefix.data["live"] and "ripestat_routing_history" not in prefix.data["live"]
    assert any("Live data unavailable" in s.text for s in prefix.sections)
