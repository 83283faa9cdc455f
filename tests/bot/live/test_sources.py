"""The LiveSources component: one owner for session, cache and clients, and its `/status` section."""

from __future__ import annotations

import pytest

from bot.app.wiring import Component
from bot.core.settings import Settings
from bot.live import LiveSources
from bot.live.http_client import UpstreamHTTPError
from tests.bot.live.fake_upstreams import FakeUpstreams


async def test_status_shows_cache_and_upstream_counters_per_source(fake_upstreams: FakeUpstreams) -> None:
    live = LiveSources(fake_upstreams.settings())
    component: Component = live
    await component.start()
    try:
        await live.ripestat.looking_glass("140.78.0.0/16")
        await live.ripestat.looking_glass("140.78.0.0/16")
        fake_upstreams.fail("ihr:hegemony/", "500")
        with pytest.raises(UpstreamHTTPError, match="Internet Health Report"):
            await live.ihr.hegemony(9198)
        section = component.status()
    finally:
        await component.close()
    assert section.table is not None
    columns = section.table.columns
    rows = {row[0]: dict(zip(columns, row, strict=True)) for row in section.table.rows}
    assert columns[:3] == ["source", "cached", "hits"]
    ripestat = rows["RIPEstat"]
    assert [ripestat["cached"], ripestat["hits"], ripestat["misses"], ripestat["not found"]] == [
        "1",
        "1",
        "1",
        "0",
    ]
    assert rows["Internet Health Report"]["errors"] == "1"
    assert rows["Internet Health Report"]["requests"] == "3"  # one try and two retries


def test_status_says_when_live_sources_are_off() -> None:
    section = LiveSources(Settings()).status()
    assert "SILKROUTE_OFFLINE=1" in section.text
