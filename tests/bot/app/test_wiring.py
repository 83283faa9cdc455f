"""Which background work a process starts (a one-shot `ask` must not begin the daily data refresh), and
which state it shares with other processes (Redis when configured)."""

from __future__ import annotations

import asyncio

import pytest

from bot.app.commands import Caller, Context
from bot.app.features.meta import status
from bot.app.wiring import build_services
from bot.core.settings import HistorySettings, Settings, load_settings
from bot.live.cache import LiveCache
from bot.live.shared_cache import SharedLiveCache
from bot.routing.snapshot import Snapshot
from bot.routing.snapshot_store import SnapshotStore
from bot.shared_state.events import SNAPSHOT_SWITCHED, LocalBus, RedisBus
from bot.shared_state.redis_windows import RedisWindows
from bot.shared_state.windows import LocalWindows
from tests.helpers import make_services


@pytest.mark.parametrize("long_running", [False, True])
async def test_only_long_running_processes_refresh_routing_data(
    long_running: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILKROUTE_OFFLINE", "0")
    for variable in ("ROUTEVIEWS_RIB", "RIS_BVIEW", "DELEGATED", "ASNAMES"):  # never leave this machine
        monkeypatch.setenv(f"SILKROUTE_{variable}_URL", "http://127.0.0.1:9/unused")
    services = build_services(load_settings(None), long_running=long_running)
    await services.start()
    try:
        store = services.snapshots
        assert store is not None
        assert (store.refresher is not None) is long_running
    finally:
        await services.close()


async def test_a_redis_url_shares_cache_limits_and_events_and_status_shows_redis(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILKROUTE_REDIS_URL", redis_url)
    services = build_services(load_settings(None), long_running=False)
    assert isinstance(services.live.cache, SharedLiveCache)
    assert isinstance(services.limits.windows, RedisWindows)
    assert isinstance(services.events, RedisBus)
    await services.start()
    try:
        answer = await status(Context(services, Caller("test", can_manage=False)))
    finally:
        await services.close()
    redis = next(s for s in answer.sections if s.title == "Redis")
    assert redis.table is not None and redis.table.rows[0][1].endswith(" ms")


async def test_without_redis_everything_stays_in_the_process() -> None:
    services = build_services(load_settings(None), long_running=False)
    assert services.redis is None and isinstance(services.events, LocalBus)
    assert type(services.live.cache) is LiveCache and isinstance(services.limits.windows, LocalWindows)


async def test_a_refresh_that_serves_a_new_snapshot_is_announced_on_the_event_bus(
    real_snapshot: Snapshot,
) -> None:
    settings = Settings(history=HistorySettings(silkroute_history_countries="KZ"))
    services = make_services(settings, snapshots=SnapshotStore(real_snapshot.folder.parents[1]))
    switched = await services.events.subscribe(SNAPSHOT_SWITCHED)
    await services.start()  # serves the snapshot; the history point reads the watches from the state file
    try:
        assert services.snapshots.on_import is not None
        await services.snapshots.on_import(real_snapshot.folder)  # what a refresh does once it serves
        async with asyncio.timeout(5):
            event = await anext(aiter(switched))
    finally:
        await services.close()
    assert event.data == {"snapshot": real_snapshot.snapshot_id}


async def test_the_replica_row_names_the_shards_this_process_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SILKROUTE_SHARD_COUNT", "4")
    monkeypatch.setenv("SILKROUTE_SHARD_IDS", "1,3")
    services = build_services(load_settings(None), long_running=True)
    await services.start()
    try:
        view = await services.cluster.beat()
        assert [r.shards for r in view.replicas] == ["shards 1, 3 of 4"]
    finally:
        await services.close()
