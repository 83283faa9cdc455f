"""The background refresh on an injected clock: failures retried after minutes, doubling up to the interval,
each one visible in /status; a success goes back to the daily rhythm."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.errors import DataUnavailable
from bot.core.settings import RoutingSettings, Settings
from bot.routing.importer import ImportReport
from bot.routing.refresh import refresh_forever
from bot.routing.snapshot_store import SnapshotStore

START = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)


class FakeTime:
    """A clock that moves only when the refresher sleeps; stops the loop after `stop_after` sleeps."""

    def __init__(self, stop_after: int) -> None:
        self.now = START
        self.waits: list[float] = []
        self.stop_after = stop_after

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) > self.stop_after:
            raise asyncio.CancelledError
        self.now += timedelta(seconds=seconds)


async def test_a_failing_first_update_backs_off_from_minutes_to_the_interval(tmp_path: Path) -> None:
    settings = Settings(routing=RoutingSettings(silkroute_update_interval_hours=1))
    time = FakeTime(stop_after=8)
    store = SnapshotStore(tmp_path / "data")
    built: list[datetime] = []
    outcomes = iter([False] * 6 + [True] * 10)  # six failures (a mirror down), then it works

    async def update(_settings: Settings) -> ImportReport:
        time.now += timedelta(seconds=30)  # a download takes a while
        if not next(outcomes):
            raise DataUnavailable("routeviews mirror: connection reset")
        built.append(time.now)
        return None  # type: ignore[return-value]  # the refresher does not read the report

    with pytest.raises(asyncio.CancelledError):
        await refresh_forever(
            settings,
            store.reload,
            lambda: built[-1] if built else None,
            update,
            state=store.refresh_state,
            now=time.clock,
            sleep=time.sleep,
            jitter=lambda: 1.0,  # the longest wait of each step
        )
    # first try at once, then 2, 4, 8, 16, 32 minutes, capped at the 60-minute interval; after the success
    # the next refresh is due an interval after that build
    assert time.waits[:7] == [1.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0]
    assert time.waits[7] == 3600.0
    assert store.refresh_state.failures == 0 and store.refresh_state.last_error == ""


async def test_each_failure_shows_in_status(tmp_path: Path) -> None:
    settings = Settings(routing=RoutingSettings(silkroute_update_interval_hours=24))
    time = FakeTime(stop_after=3)
    store = SnapshotStore(tmp_path / "data")

    async def update(_settings: Settings) -> ImportReport:
        raise DataUnavailable("NRO delegated stats: HTTP 503")

    with pytest.raises(asyncio.CancelledError):
        await refresh_forever(
            settings,
            store.reload,
            lambda: None,
            update,
            state=store.refresh_state,
            now=time.clock,
            sleep=time.sleep,
            jitter=lambda: 1.0,  # the longest wait of each step
        )
    text = store.status().text
    assert "Data update failed 3 time(s) in a row, last: NRO delegated stats: HTTP 503" in text
    assert store.refresh_state.next_attempt_at == time.now + timedelta(minutes=8)
