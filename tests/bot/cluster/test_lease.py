"""The leader lease on a real PostgreSQL server (and the lone SQLite process): one leader at a time, the term
only grows, a leader that lets go or loses its connection is replaced at a standby's next heartbeat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.cluster.lease import LEASE_KEY, LeaderLease, current_leader
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from tests.helpers import ManualClock, sqlite_only

HELD = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND granted"


class Replica:
    """One replica's lease with what its singletons were told."""

    def __init__(self, name: str, clock: ManualClock) -> None:
        self.db = StateDB.from_settings(Settings())
        self.told: list[tuple[str, int]] = []
        self.lease = LeaderLease(
            self.db,
            name,
            heartbeat=1.0,
            timeout=5.0,
            clock=clock,
            on_elected=self._elected,
            on_deposed=self._deposed,
        )

    async def _elected(self, term: int) -> None:
        self.told.append(("lead", term))

    async def _deposed(self, term: int) -> None:
        self.told.append(("stand by", term))


@pytest.fixture
async def replicas() -> AsyncIterator[list[Replica]]:
    clock = ManualClock(1000.0)
    made = [Replica(name, clock) for name in ("a", "b", "c")]
    for replica in made:
        await replica.db.open()
    try:
        yield made
    finally:
        for replica in made:
            await replica.lease.close()
            await replica.db.close()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_one_leader_at_a_time_and_a_standby_takes_over_when_it_lets_go(replicas: list[Replica]) -> None:
    a, b, c = replicas
    for replica in replicas:
        await replica.lease.step()
    assert [r.lease.leading for r in replicas] == [True, False, False]
    assert a.told == [("lead", 1)] and b.told == c.told == []
    for _ in range(3):  # heartbeats: the leader keeps the lease, the standbys keep waiting
        for replica in replicas:
            await replica.lease.step()
    assert [r.lease.leading for r in replicas] == [True, False, False]

    await a.lease.close()  # a clean shutdown lets go of the lock at once
    assert a.told == [("lead", 1), ("stand by", 1)]
    await b.lease.step()
    await c.lease.step()
    assert (b.lease.term, c.lease.leading) == (2, False)
    leader = await current_leader(b.db)
    assert leader is not None and (leader.holder, leader.term) == ("b", 2)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_leader_whose_connection_is_cut_stands_down_and_is_replaced(replicas: list[Replica]) -> None:
    a, b, _ = replicas
    await a.lease.step()
    await b.lease.step()
    assert a.lease.leading and not b.lease.leading
    # What a partition or a server restart does to the lease connection: the server ends it.
    async with b.db.transaction() as conn:
        ended = await conn.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM ({HELD}) AS held"),
            {"key": LEASE_KEY},
        )
        assert ended.scalars().all() == [True]
    for _ in range(200):  # the server process ends a moment later (another process: polled), the lock with it
        if not await b.db.rows(HELD, {"key": LEASE_KEY}):
            break
        await asyncio.sleep(0.05)
    await b.lease.step()  # the lock went with the connection: the standby wins at its next heartbeat
    assert b.lease.term == 2
    await a.lease.step()  # the old leader cannot prove its lease: it stops its singletons
    assert not a.lease.leading and a.told == [("lead", 1), ("stand by", 1)]
    await a.lease.step()  # and stays a standby while b holds the lock
    assert not a.lease.leading and b.lease.leading


@sqlite_only
async def test_a_lone_sqlite_process_always_leads_with_a_new_term_each_start(replicas: list[Replica]) -> None:
    a, _, _ = replicas
    await a.lease.step()
    await a.lease.step()
    assert a.told == [("lead", 1)]
    await a.lease.close()
    await a.lease.step()
    assert a.told == [("lead", 1), ("stand by", 1), ("lead", 2)]
