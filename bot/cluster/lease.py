"""The leader lease: which replica runs the singletons (RIS Live consumer and monitors, pollers, data refresh).

On PostgreSQL the lease is a session advisory lock held on a dedicated connection. The database itself
releases it when that connection ends, so a leader that dies (SIGKILL, host down) is replaced at a standby's
next attempt, one heartbeat later. A leader cut off from the database stops its singletons when it has not
proved the lock for `timeout` seconds (a proof that does not answer is abandoned then, not cancelled through
the driver, which would wait for the server once more). The server ends the silent session later: the lock's
session has `idle_session_timeout` = `timeout` + 2 × `heartbeat` (it is never idle longer than a heartbeat while
the leader lives), which holds even when a proxy or NAT between them keeps the TCP connection answering; TCP
keepalives of `timeout` idle + 3 × `heartbeat` are the second line. So the old leader has stopped before a
standby can win. Each election bumps the `term` in the `leadership` table: a fencing token that only grows,
for /status and the leader's fenced
writes (`bot.cluster.fencing`).

On SQLite there is one process by design (the embedded default): it always leads.

Worst-case failover with the defaults (heartbeat 5 s, timeout 10 s): leader killed ≤ 5 s; leader partitioned
≤ timeout + 3 × heartbeat = 25 s (its session ends `idle_session_timeout` after its last proof; a standby wins
at its next heartbeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.state_db import StateDB

log = logging.getLogger(__name__)
# Any constant, distinct from the migration lock: the advisory lock key of the singletons' lease.
LEASE_KEY = 0x5117_0018
LEASE_NAME = "singletons"
KEEPALIVE_PROBES = 3

Clock = Callable[[], float]
Hook = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Leadership:
    """Who leads, since when, in which term (as the `leadership` table says)."""

    holder: str
    term: int
    since: float
    renewed_at: float


class LeaderLease:
    """Elects this replica when it can and tells the singletons: `on_elected(term)`, `on_deposed(term)`."""

    def __init__(
        self,
        db: StateDB,
        replica_id: str,
        *,
        heartbeat: float,
        timeout: float,
        clock: Clock,
        on_elected: Hook,
        on_deposed: Hook,
    ) -> None:
        self.db = db
        self.replica_id = replica_id
        self.heartbeat = heartbeat
        self.timeout = timeout
        self.clock = clock
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.term: int | None = None
        self.since: float | None = None
        self.elections = 0
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        return self.term is not None

    async def start(self) -> None:
        """One attempt now (a lone replica leads from its first second), then the heartbeat loop."""
        await self.step()
        self._task = asyncio.create_task(self._run(), name="leader-lease")

    async def close(self) -> None:
        """Stop the loop, stop the singletons, then let go of the lock so a standby takes over at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._depose(release=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                await self.step()
            except Exception:  # a bug here must not end the loop: the lease would never be retried
                log.exception("leader lease step failed")

    async def step(self) -> None:
        """Leader: prove the lock (or stand down). Standby: try to take it."""
        if self.term is None:
            await self._try_acquire()
        elif not await self._renew():
            await self._depose(release=False)

    async def _try_acquire(self) -> None:
        if self.db.is_sqlite:
            await self._elect()
            return
        conn: AsyncConnection | None = None
        try:
            async with asyncio.timeout(self.timeout):
                conn = await self.db.engine.connect()
                # The server drops the lock when this connection goes silent: see the module docstring.
                for name, value in (
                    ("tcp_keepalives_idle", self.timeout),
                    ("tcp_keepalives_interval", self.heartbeat),
                    ("tcp_keepalives_count", KEEPALIVE_PROBES),
                    ("idle_session_timeout", 1000 * (self.timeout + 2 * self.heartbeat)),  # milliseconds
                ):
                    await conn.execute(text(f"SET {name} = {max(1, round(value))}"))
                got = (
                    await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEASE_KEY})
                ).scalar()
                await conn.commit()  # the session keeps the lock; no transaction stays open beside it
        except Exception as exc:
            log.warning("leader lease: cannot reach the database (%s)", exc)
            got = False
        if not got:
            if conn is not None:
                await _discard(conn)
            return
        self._conn = conn
        try:
            await self._elect()
        except Exception:
            log.exception("leader lease: elected but could not record the term")
            await self._depose(release=True)

    async def _elect(self) -> None:
        now = self.clock()
        async with self.db.transaction() as tx:
            term = (
                await tx.execute(
                    text(
                        "INSERT INTO leadership (name, term, holder, since, renewed_at)"
                        " VALUES (:name, 1, :holder, :now, :now) ON CONFLICT (name) DO UPDATE SET"
                        " term = leadership.term + 1, holder = excluded.holder, since = excluded.since,"
                        " renewed_at = excluded.renewed_at RETURNING term"
                    ),
                    {"name": LEASE_NAME, "holder": self.replica_id, "now": now},
                )
            ).scalar_one()
        self.term, self.since = int(term), now
        self.elections += 1
        log.info("leader lease: %s leads, term %d", self.replica_id, self.term)
        await self.on_elected(self.term)

    async def _renew(self) -> bool:
        """Whether the lock is still ours, proved on the lock's own connection within `timeout`."""
        if self.db.is_sqlite:
            return True
        assert self._conn is not None and self.term is not None
        proof = asyncio.ensure_future(self._prove(self._conn, self.term))
        # Not `asyncio.timeout`: cancelling a query makes psycopg ask the server to cancel it and wait for that
        # too (seconds more on a silent link). An unanswered proof is left behind on a connection that
        # `_depose` then discards.
        done, _ = await asyncio.wait({proof}, timeout=self.timeout)
        if not done:
            proof.add_done_callback(_ignore_outcome)
            log.warning("leader lease: lost (no answer from the database in %.0f s)", self.timeout)
            return False
        try:
            return proof.result()
        except Exception as exc:
            log.warning("leader lease: lost (%s)", exc)
            return False

    async def _prove(self, conn: AsyncConnection, term: int) -> bool:
        renewed = await conn.execute(
            text(
                "UPDATE leadership SET renewed_at = :now WHERE name = :name AND term = :term AND holder = :holder"
            ),
            {"now": self.clock(), "name": LEASE_NAME, "term": term, "holder": self.replica_id},
        )
        await conn.commit()
        return renewed.rowcount == 1

    async def _depose(self, *, release: bool) -> None:
        term, conn = self.term, self._conn
        self.term, self.since, self._conn = None, None, None
        if term is not None:
            log.info("leader lease: %s stands down after term %d", self.replica_id, term)
            await self.on_deposed(term)
        if conn is not None:
            if release:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(self.timeout):
                        await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LEASE_KEY})
                        await conn.commit()
            await _discard(conn)


async def current_leader(db: StateDB) -> Leadership | None:
    rows = await db.rows(
        "SELECT holder, term, since, renewed_at FROM leadership WHERE name = :name", {"name": LEASE_NAME}
    )
    return Leadership(**dict(rows[0])) if rows else None


def _ignore_outcome(task: asyncio.Future[bool]) -> None:
    """An abandoned proof ends in an error once its connection is discarded: nobody waits for it."""
    if not task.cancelled():
        task.exception()


async def _discard(conn: AsyncConnection) -> None:
    """Close a lease connection for good: never back into the pool, where its lock would live on."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
