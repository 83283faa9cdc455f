"""Fencing: a leader deposed without knowing it (term 1 after term 2 was taken) cannot open an alert or queue
its message; the leader of the current term can, and a command's own write (a test alert) is never fenced."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from bot.alerts.model import AlertKind, Finding, WatchKind
from bot.alerts.service import AlertService
from bot.cluster.lease import LEASE_NAME
from bot.core.settings import Settings
from tests.bot.alerts.support import ManualClock
from tests.helpers import both_databases

pytestmark = both_databases

GUILD = 101
HIJACK = Finding(
    AlertKind.ORIGIN,
    "194.187.246.0/24",
    "194.187.246.0/24:AS64512",
    True,
    "Possible hijack",
    "AS64512 originates",
)


async def elected(service: AlertService, term: int, holder: str) -> None:
    """The leadership row as an election of `holder` in `term` leaves it (the lease's own statement)."""
    async with service.db.transaction() as conn:
        await conn.execute(
            text(
                "INSERT INTO leadership (name, term, holder, since, renewed_at) VALUES (:name, :term, :holder, 0, 0)"
                " ON CONFLICT (name) DO UPDATE SET term = excluded.term, holder = excluded.holder"
            ),
            {"name": LEASE_NAME, "term": term, "holder": holder},
        )


async def test_a_deposed_leader_cannot_enqueue_an_alert(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(1_000_000.0)
    old = AlertService(Settings(), clock=clock, batch_window=0)
    await old.start()
    try:
        await old.repository.add_watch(GUILD, WatchKind.PREFIX, HIJACK.target, "", "alice", clock())
        await elected(old, 1, old.replica_id)
        await old.lead(1)
        await elected(old, 2, "other-replica")  # another replica won term 2; this one has not noticed yet

        with caplog.at_level(logging.WARNING):
            assert await old.engine.apply(HIJACK, {GUILD}) == []
        assert (
            "origin:194.187.246.0/24:AS64512 for 194.187.246.0/24 not written: term 1 was deposed by term 2"
            in (caplog.text)
        )
        assert await old.repository.open_alerts() == [] and await old.repository.pending_count() == 0

        await old.send_test(GUILD, "bob")  # a user's command, on any replica: not a singleton write
        assert await old.repository.pending_count() == 1

        await old.lead(2)  # were it the term-2 leader, the same finding opens the alert and queues it
        assert [a.dedupe_key for a in await old.engine.apply(HIJACK, {GUILD})] == [HIJACK.dedupe_key]
        assert await old.repository.pending_count() == 2
    finally:
        await old.close()
