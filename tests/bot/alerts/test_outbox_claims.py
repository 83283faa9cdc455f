"""Exactly-once alert delivery across senders: claims keep two senders off the same row, and a row whose
sender died after the channel accepted its message is found under its nonce instead of being posted again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.alerts.delivery import Delivery, OutboxSender
from bot.alerts.model import AlertKind, AlertSeverity
from bot.alerts.repository import AlertRepository, NewAlert
from bot.cluster.service import Cluster
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from tests.bot.alerts.support import ManualClock, RecordingSink
from tests.helpers import both_databases

pytestmark = both_databases


class Crash(BaseException):
    """The process dies here: nothing after it runs (not even `except Exception`)."""


class CrashAfterPosting(RecordingSink):
    """The channel accepts the message, then the sender's process dies before marking the row sent."""

    async def deliver(self, delivery: Delivery) -> str:
        await super().deliver(delivery)
        raise Crash


async def channel_of(guild_id: int) -> int:
    return 555


@pytest.fixture
async def repos() -> AsyncIterator[list[AlertRepository]]:
    """Two replicas' repositories on one state database (each with its own engine and connections)."""
    dbs = [StateDB.from_settings(Settings()) for _ in range(2)]
    for db in dbs:
        await db.open()
    try:
        yield [AlertRepository(db) for db in dbs]
    finally:
        for db in dbs:
            await db.close()


async def storm(repo: AlertRepository, now: float, targets: int, per_target: int) -> None:
    for t in range(targets):
        for n in range(per_target):
            new = NewAlert(1, f"k{t}:{n}", AlertKind.ORIGIN, f"AS{t}", AlertSeverity.CRITICAL, "t", "s", {})
            await repo.create_alert(new, now, muted=False)


async def test_two_senders_draining_at_once_deliver_every_alert_once(repos: list[AlertRepository]) -> None:
    clock = ManualClock()
    await storm(repos[0], clock(), targets=8, per_target=5)
    sinks = [RecordingSink(), RecordingSink()]
    senders = [
        OutboxSender(repo, sink, channel_of, clock, batch_window=0, owner=f"replica-{i}")
        for i, (repo, sink) in enumerate(zip(repos, sinks, strict=True))
    ]
    for _ in range(3):
        await asyncio.gather(*(sender.drain_once() for sender in senders))
    delivered = [a for sink in sinks for d in sink.deliveries for a in d.alert_ids]
    assert sorted(delivered) == list(range(1, 41))  # all 40, none twice
    assert await repos[1].pending_count() == 0


STALE = 60.0  # SILKROUTE_REPLICA_STALE_SECONDS in these tests


@asynccontextmanager
async def replica(repo: AlertRepository, clock: ManualClock, replica_id: str) -> AsyncIterator[Cluster]:
    """A replica's heartbeat row in the shared database (`beat()` writes it again at the clock's time)."""
    cluster = Cluster(Settings(), [], repo.db, replica_id=replica_id, clock=clock)
    if cluster.db is not repo.db:
        await cluster.db.open()
    try:
        await cluster.beat()
        yield cluster
    finally:
        if cluster.db is not repo.db:
            await cluster.db.close()


async def test_a_message_posted_before_a_crash_is_found_not_posted_again(
    repos: list[AlertRepository],
) -> None:
    clock = ManualClock()
    await storm(repos[0], clock(), targets=1, per_target=3)
    crashing = CrashAfterPosting()
    async with replica(repos[0], clock, "dead"):
        with pytest.raises(Crash):
            await OutboxSender(
                repos[0], crashing, channel_of, clock, batch_window=0, owner="dead"
            ).drain_once()
    assert len(crashing.deliveries) == 1 and crashing.deliveries[0].nonce == "sr1.0"
    assert await repos[1].pending_count() == 3  # posted, but never marked sent

    survivor = RecordingSink()
    survivor.deliveries = list(crashing.deliveries)  # the same channel: its history has the message
    sender = OutboxSender(
        repos[1], survivor, channel_of, clock, batch_window=0, owner="standby", stale_seconds=STALE
    )
    assert await sender.drain_once() == 0  # the dead sender was heard from just now: not taken yet
    clock.advance(STALE + 1)  # its heartbeat is stale now, its claim (5 minutes) still runs
    assert await sender.drain_once() == 0  # taken over, found in the channel: marked sent, nothing posted
    assert len(survivor.deliveries) == 1
    assert await repos[1].pending_count() == 0
    assert {ref for _, _, ref in await repos[1].sent_messages(1)} == {"msg-1"}


async def test_a_stale_replicas_claims_are_taken_over_and_a_live_ones_never(
    repos: list[AlertRepository],
) -> None:
    clock = ManualClock()
    await storm(repos[0], clock(), targets=2, per_target=1)
    sink = RecordingSink()
    sender = OutboxSender(
        repos[1], sink, channel_of, clock, batch_window=0, owner="standby", stale_seconds=STALE
    )
    async with replica(repos[0], clock, "live") as live, replica(repos[0], clock, "dead") as dead:
        assert [i.id for i in await repos[0].claim(clock(), "live", hold=300)] == [1, 2]
        for _ in range(4):  # the live replica keeps beating while it holds its claim: nothing is taken
            clock.advance(STALE - 1)
            await live.beat()
            assert await sender.drain_once() == 0
        clock.advance(300)  # the live claim ran out; the other replica claims both rows, then dies
        await dead.beat()
        assert len(await repos[0].claim(clock(), "dead", hold=300)) == 2
        clock.advance(STALE - 1)
        assert await sender.drain_once() == 0  # the dead one was heard from within the stale bound
        clock.advance(2)
        assert await sender.drain_once() == 2  # its heartbeat is STALE + 1 s old: its rows are delivered
    assert [d.alert_ids for d in sink.deliveries] == [[1], [2]]
    assert await repos[1].pending_count() == 0


async def test_a_claim_that_runs_out_is_taken_over(repos: list[AlertRepository]) -> None:
    clock = ManualClock()
    await storm(repos[0], clock(), targets=2, per_target=1)
    assert len(await repos[0].claim(clock(), "dead", hold=60)) == 2  # claimed, then the claimer died
    sink = RecordingSink()
    # "dead" has no heartbeat row (a one-shot command, say): nothing says it died, so its claim runs out first
    sender = OutboxSender(repos[1], sink, channel_of, clock, batch_window=0, owner="standby", stale_seconds=1)
    assert await sender.drain_once() == 0
    clock.advance(61)
    assert await sender.drain_once() == 2
    assert [d.nonce for d in sink.deliveries] == ["sr1.0", "sr2.0"]
