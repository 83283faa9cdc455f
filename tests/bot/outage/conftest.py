"""The outage world's servers on 127.0.0.1, and services whose outage watch uses them and its clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.app.wiring import Services
from bot.core.settings import CoreSettings, LiveSettings, Settings
from bot.live import LiveSources
from bot.live.cache import LiveCache
from bot.outage.service import OutageService
from tests.bot.live.fake_rislive import fake_rislive
from tests.bot.live.fake_upstreams import serving
from tests.bot.outage.outage_world import OutageWorld
from tests.helpers import make_services


@pytest.fixture
async def world() -> AsyncIterator[OutageWorld]:
    found = OutageWorld(now=datetime(2022, 1, 4, 12, 0, tzinfo=UTC), slow_seconds=1.0)
    async with serving(found.app()) as server:
        found.base = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
        yield found


def world_settings(world: OutageWorld, *, offline: bool = False) -> Settings:
    base: str = world.base  # type: ignore[attr-defined]
    live = LiveSettings(
        ripestat_url=base,
        ihr_url=base + "/ihr/api",
        ioda_url=base + "/ioda",
        ripe_atlas_url=base + "/atlas",
        silkroute_http_connect_timeout=1.0,
        silkroute_http_read_timeout=0.3,
        silkroute_http_retries=1,
        silkroute_http_backoff_seconds=0.001,
        silkroute_http_retry_after_max=0.05,
    )
    return Settings(core=CoreSettings(silkroute_offline=offline), live=live)


def world_services(world: OutageWorld, *, offline: bool = False, snapshot: object = None) -> Services:
    """Services on the world's clock: the cache ages with the scenario, so each step asks afresh."""
    settings = world_settings(world, offline=offline)
    live = LiveSources(settings, cache=LiveCache(timer=lambda: world.now.timestamp()))
    services = make_services(settings, snapshot=snapshot, live=live)
    services.outage = OutageService(settings, snapshots=services.snapshots, live=live, clock=world.clock)
    return services


__all__ = ["fake_rislive", "world"]
