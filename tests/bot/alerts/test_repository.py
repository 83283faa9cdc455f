"""Snapshot views per watched target and the 'already told' query behind one-shot news."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.alerts.model import NEWS_RESOLUTION, AlertKind, AlertSeverity, AlertState, OutboxEvent, WatchKind
from bot.alerts.repository import AlertRepository, NewAlert
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from tests.helpers import both_databases

UPSTREAM, SITE = AlertKind.UPSTREAM, AlertKind.SITE
INFO, WARNING = AlertSeverity.INFO, AlertSeverity.WARNING
OPENED, RESOLVED = OutboxEvent.OPENED, OutboxEvent.RESOLVED


pytestmark = both_databases


@pytest.fixture
async def repo() -> AsyncIterator[AlertRepository]:
    """A repository on a fresh state database, closed even when the test fails (an open one hangs pytest)."""
    db = StateDB.from_settings(Settings())
    await db.open()
    try:
        yield AlertRepository(db)
    finally:
        await db.close()


async def test_snapshot_views_upsert_and_forget_unwatched_targets(repo: AlertRepository) -> None:
    await repo.save_snapshot_views({"AS1": ("s1", {"n": 1}), "AS2": ("s1", {"n": 2})}, 10.0, ["AS1", "AS2"])
    await repo.save_snapshot_views({"AS1": ("s2", {"n": 3})}, 20.0, ["AS1"])
    assert await repo.snapshot_view("AS1") == {"n": 3}
    assert await repo.snapshot_view("AS2") is None
    await repo.save_snapshot_views({}, 30.0, [])
    assert await repo.snapshot_view("AS1") is None


async def test_told_since_sees_only_this_guild_and_key_after_the_time(repo: AlertRepository) -> None:
    new = NewAlert(1, "upstream:AS1:AS2", UPSTREAM, "AS1", INFO, "t", "s", {})
    await repo.create_alert(new, 100.0, muted=False)
    assert await repo.told_since(1, "upstream:AS1:AS2", 50.0)
    assert not await repo.told_since(1, "upstream:AS1:AS2", 101.0)
    assert not await repo.told_since(2, "upstream:AS1:AS2", 50.0)
    assert not await repo.told_since(1, "upstream:AS1:AS3", 50.0)


async def test_resolving_twice_queues_one_resolved_message(repo: AlertRepository) -> None:
    record = await repo.create_alert(NewAlert(1, "k", SITE, "x", WARNING, "t", "s", {}), 1.0, muted=False)
    await repo.resolve_alert(record.id, 2.0, "up", {}, notify=True)
    await repo.resolve_alert(record.id, 3.0, "up again", {}, notify=True)
    assert [item.event for item in await repo.pending(10.0)] == [OPENED, RESOLVED]
    resolved = await repo.alert(record.id)
    assert resolved is not None and resolved.resolution == "up"


async def test_removing_a_watch_resolves_its_open_alerts_quietly(repo: AlertRepository) -> None:
    await repo.add_watch(1, WatchKind.SITE, "x", "", "alice", 0.0)
    await repo.add_watch(2, WatchKind.SITE, "x", "", "bob", 0.0)
    for guild in (1, 2):
        await repo.create_alert(NewAlert(guild, "k", SITE, "x", WARNING, "t", "s", {}), 1.0, muted=False)
    assert await repo.remove_watch(1, "x", 5.0) == 1
    assert await repo.remove_watch(1, "x", 6.0) is None
    assert [a.guild_id for a in await repo.open_alerts()] == [2]
    assert [item.event for item in await repo.pending(10.0)] == [OPENED, OPENED]


async def test_one_shot_alert_is_stored_resolved_with_its_message(repo: AlertRepository) -> None:
    new = NewAlert(1, "upstream:AS1:AS2", UPSTREAM, "AS1", INFO, "t", "s", {})
    record = await repo.create_alert(new, 5.0, muted=False, resolution=NEWS_RESOLUTION)
    assert (record.state, record.resolved_at, record.resolution) == (
        AlertState.RESOLVED,
        5.0,
        NEWS_RESOLUTION,
    )
    assert await repo.open_alerts() == []
    assert [item.event for item in await repo.pending(10.0)] == [OPENED]
