"""Exactly-once alert delivery across senders: claims keep two senders off the same row, and a row whose
sender died after the channel accepted its message is found under its nonce instead of being posted again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.alerts.delivery import Delivery, OutboxSender
from bot.alerts.model import AlertKind, AlertSeverity
from bot.alerts.repository import AlertRepository, NewAlert
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


async def test_a_message_posted_before_a_crash_is_found_not_posted_again(
    repos: list[AlertRepository],
) -> None:
    clock = ManualClock()
    await storm(repos[0], clock(), targets=1, per_target=3)
    crashing = CrashAfterPosting()
    with pytest.raises(Crash):
        await OutboxSender(repos[0], crashing, channel_of, clock, batch_window=0, owner="dead").drain_once()
    assert len(crashing.deliveries) == 1 and crashing.deliveries[0].nonce == "sr1.0"
    assert await repos[1].pending_count() == 3  # posted, but never marked sent

    survivor = RecordingSink()
    survivor.deliveries = list(crashing.deliveries)  # the same channel: its history has the message
    sender = OutboxSender(repos[1], survivor, channel_of, clock, batch_window=0, owner="standby")
    assert await sender.drain_once() == 0  # still claimed by the dead sender: not taken yet
    assert await repos[1].release_claims("standby") == 3  # what a new leader does
    assert await sender.drain_once() == 0  # found in the channel: marked sent, nothing posted
    assert len(survivor.deliveries) == 1
    assert await repos[1].pending_count() == 0
    assert {ref for _, _, ref in await repos[1].sent_messages(1)} == {"msg-1"}


async def test_a_claim_that_runs_out_is_taken_over(repos: list[AlertRepository]) -> None:
    clock = ManualClock()
    await storm(repos[0], clock(), targets=2, per_target=1)
    assert len(await repos[0].claim(clock(), "dead", hold=60)) == 2  # claimed, then the claimer died
    sink = RecordingSink()
    sender = OutboxSender(repos[1], sink, channel_of, clock, batch_window=0, owner="standby")
    assert await sender.drain_once() == 0
    clock.advance(61)
    assert await sender.drain_once() == 2
    assert [d.nonce for d in sink.deliveries] == ["sr1.0", "sr2.0"]
