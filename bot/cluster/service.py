"""The cluster component: this replica's heartbeat row, the leader lease, and the cluster part of /status.

Every long-running process writes a `replicas` row (id, host, pid, start, last seen, shards) each heartbeat,
so /status on any replica lists them all. The singletons (`Singleton`: the alert service, the outage
poller) are told to stand by before the first election and to lead when this replica wins the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text

from bot.cluster.identity import new_replica_id
from bot.cluster.lease import Clock, LeaderLease, Leadership, current_leader
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from bot.core.values import Section
from bot.i18n import N_, Worded

log = logging.getLogger(__name__)


class Singleton(Protocol):
    """A part only the leader runs."""

    async def lead(self, term: int) -> None: ...

    async def stand_by(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Replica:
    id: str
    host: str
    pid: int
    started_at: float
    last_seen: float
    shards: str


@dataclass(frozen=True, slots=True)
class ClusterView:
    """What the last heartbeat read: live replicas, the leader, and the database's answer time."""

    replicas: list[Replica]
    leader: Leadership | None
    database_ms: float | None
    database_error: str = ""


class Cluster:
    """Component "cluster". One-shot commands (`silkroute ask`) take part in nothing: `active=False`."""

    name = "cluster"

    def __init__(
        self,
        settings: Settings,
        singletons: Sequence[Singleton],
        state: StateDB,
        *,
        active: bool = True,
        shards: Callable[[], str] = lambda: "",
        replica_id: str = "",
        clock: Clock = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings.database
        # On SQLite the one process uses the state database it already has (the alert service's, which opens and
        # closes it); on PostgreSQL the lease and heartbeats get their own engine, so they outlive the singletons.
        self._own_db = not state.is_sqlite
        self.db = StateDB.from_settings(settings) if self._own_db else state
        self.singletons = list(singletons)
        self.active = active
        self.shards = shards
        self.clock = clock
        self.sleep = sleep
        # The alert sender claims outbox rows under this name: its claims live and die with this heartbeat.
        self.replica_id = replica_id or new_replica_id()
        self.started_at = clock()
        self.view: ClusterView | None = None
        self.lease = LeaderLease(
            self.db,
            self.replica_id,
            heartbeat=self.settings.silkroute_lease_heartbeat_seconds,
            timeout=self.settings.silkroute_lease_timeout_seconds,
            clock=clock,
            on_elected=self._elected,
            on_deposed=self._deposed,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self.active:
            return
        await self.db.open()
        if self.db.is_sqlite:
            # One process by design: it leads from the start, with nothing to renew and no one to tell (elected
            # before the first heartbeat, so /status names it from the start).
            await self.lease.step()
            await self.beat()
            return
        for singleton in self.singletons:  # replicas wait for the lease before any singleton runs
            await singleton.stand_by()
        await self.beat()
        await self.lease.start()
        self._task = asyncio.create_task(self._beat_forever(), name="replica-heartbeat")

    async def close(self) -> None:
        if not self.active:
            return
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.lease.close()
        if self._own_db:
            with contextlib.suppress(Exception):
                async with self.db.transaction() as conn:
                    await conn.execute(text("DELETE FROM replicas WHERE id = :id"), {"id": self.replica_id})
            await self.db.close()

    async def _elected(self, term: int) -> None:
        for singleton in self.singletons:
            await singleton.lead(term)

    async def _deposed(self, term: int) -> None:
        del term
        for singleton in self.singletons:
            await singleton.stand_by()

    async def _beat_forever(self) -> None:
        while True:
            await self.sleep(self.settings.silkroute_lease_heartbeat_seconds)
            try:
                await self.beat()
            except Exception:
                log.exception("replica heartbeat failed")

    async def beat(self) -> ClusterView:
        """Write this replica's row, then read the cluster back for /status (and time the round trip)."""
        now = self.clock()
        started = time.perf_counter()
        try:
            async with self.db.transaction() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO replicas (id, host, pid, started_at, last_seen, shards)"
                        " VALUES (:id, :host, :pid, :started, :now, :shards) ON CONFLICT (id) DO UPDATE"
                        " SET last_seen = excluded.last_seen, shards = excluded.shards"
                    ),
                    {
                        "id": self.replica_id,
                        "host": socket.gethostname(),
                        "pid": os.getpid(),
                        "started": self.started_at,
                        "now": now,
                        "shards": self.shards(),
                    },
                )
            elapsed = (time.perf_counter() - started) * 1000
            since = now - self.settings.silkroute_replica_stale_seconds
            rows = await self.db.rows(
                "SELECT * FROM replicas WHERE last_seen >= :since ORDER BY started_at, id", {"since": since}
            )
            view = ClusterView([Replica(**dict(r)) for r in rows], await current_leader(self.db), elapsed)
        except Exception as exc:
            view = ClusterView([], None, None, f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
        self.view = view
        return view

    def status(self) -> Section:
        """Database, leader and replicas; texts are `Worded` so `/status` words them in the reader's language."""
        title = Worded(N_("Cluster"))
        db = {"backend": "SQLite" if self.db.is_sqlite else "PostgreSQL", "where": self.db.where}
        if not self.active:
            return Section(
                title, Worded(N_("Database: {backend} ({where}); one-shot command, not a replica."), **db)
            )
        view = self.view
        if view is None:
            return Section(title, Worded(N_("Database: {backend} ({where}); starting."), **db))
        if view.database_ms is None:
            return Section(
                title,
                Worded(
                    N_("Database: {backend} ({where}) UNREACHABLE: {error}."), error=view.database_error, **db
                ),
            )
        lines = [
            Worded(N_("Database: {backend} ({where}), answered in {ms:.0f} ms."), ms=view.database_ms, **db)
        ]
        if view.leader is not None:
            me = view.leader.holder == self.replica_id and self.lease.leading
            lines.append(
                Worded(
                    N_("Leader: {holder}{me}, term {term}, since {since}; lease renewed {renewed}."),
                    holder=view.leader.holder,
                    me=Worded(N_(" (this replica)")) if me else "",
                    term=view.leader.term,
                    since=_utc(view.leader.since),
                    renewed=_utc(view.leader.renewed_at),
                )
            )
        else:
            lines.append(Worded(N_("Leader: none elected yet.")))
        lines.append(Worded(N_("Replicas ({count}):"), count=len(view.replicas)))
        for replica in view.replicas:
            lines.append(
                Worded(
                    N_("- {id} (pid {pid}) up since {started}, seen {seen}{shards}"),
                    id=replica.id,
                    pid=replica.pid,
                    started=_utc(replica.started_at),
                    seen=_utc(replica.last_seen),
                    shards=Worded(N_(", shards {shards}"), shards=replica.shards) if replica.shards else "",
                )
            )
        return Section(title, Worded.joined(lines))


def _utc(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
