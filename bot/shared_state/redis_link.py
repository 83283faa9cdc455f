"""`RedisLink`: the one Redis connection pool of a process, and its health for `/status`.

Every shared piece (live cache, fair use, events) goes through one pool so a process opens few connections
and reports one health line. `/status` must not wait on the network, so a heartbeat measures ping latency
and memory in the background and the status shows the last measurement with its age.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.core.values import Section, Table
from bot.i18n import N_, Worded

log = logging.getLogger(__name__)

PREFIX = "silkroute:"

TROUBLE = (RedisError, OSError)
"""What a Redis call raises when the server is down, slow or unreachable; callers work around it."""

# A Redis that stops answering must cost a lookup seconds, never hang it (XREAD blocks for less than this).
SOCKET_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Health:
    """One heartbeat: round-trip time of PING, memory Redis reports, or the error that stopped it."""

    at: float
    ping_ms: float | None
    memory: str
    error: str = ""


class RedisLink:
    """Component "redis": the pool, named keys under one prefix, and a heartbeat every `interval` seconds."""

    name = "redis"

    def __init__(
        self, url: str, *, interval: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.url = url
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
        )
        self.interval = interval
        self.clock = clock
        self.health: Health | None = None
        self.failures = 0
        self._failing = False
        self._heartbeat: asyncio.Task[None] | None = None

    def key(self, *parts: str) -> str:
        """A key in silkroute's namespace, so the bot can share a Redis with other programs."""
        return PREFIX + ":".join(parts)

    def worked_around(self, exc: Exception, fallback: str) -> None:
        """Count a failed call its caller replaced with `fallback`; logged once until Redis answers again."""
        self.failures += 1
        if not self._failing:
            self._failing = True
            log.warning(
                "Redis at %s failed (%s: %s); %s until it answers",
                self.where,
                type(exc).__name__,
                exc,
                fallback,
            )

    async def measure(self) -> Health:
        """Ping and read memory use now; a failure is recorded, not raised (status shows it)."""
        started = time.perf_counter()
        try:
            await self.client.ping()
            ping_ms = (time.perf_counter() - started) * 1000
            memory = await self.client.info("memory")
            health = Health(self.clock(), ping_ms, str(memory.get("used_memory_human", "?")))
            self._failing = False
        except TROUBLE as exc:
            health = Health(self.clock(), None, "", f"{type(exc).__name__}: {exc}")
        self.health = health
        return health

    async def _beat(self) -> None:
        while True:
            await self.measure()
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        health = await self.measure()
        if health.error:
            log.warning(
                "Redis at %s is not answering (%s); shared state fails until it does",
                self.where,
                health.error,
            )
        self._heartbeat = asyncio.create_task(self._beat())

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self.client.aclose()

    @property
    def where(self) -> str:
        """Host, port and database without a password, for logs and `/status`."""
        parts = urlsplit(self.url)
        return f"{parts.hostname or parts.path}:{parts.port or 6379}{parts.path if parts.hostname else ''}"

    def status(self) -> Section:
        return redis_status(self)


def redis_status(link: RedisLink) -> Section:
    """Redis health: where, ping latency and memory used, as of the last heartbeat, and calls worked around."""
    health = link.health
    failed = (
        Worded(N_(" {count} calls failed and were done in this process instead."), count=link.failures)
        if link.failures
        else ""
    )
    if health is None:
        return Section(
            "Redis", Worded(N_("{where}: not measured yet.{failed}"), where=link.where, failed=failed)
        )
    age = Worded(N_("{seconds:.0f} s ago"), seconds=max(0.0, link.clock() - health.at))
    if health.error:
        return Section(
            "Redis",
            Worded(
                N_("{where}: not answering ({error}), checked {age}.{failed}"),
                where=link.where,
                error=health.error,
                age=age,
                failed=failed,
            ),
        )
    table = Table(
        [Worded(N_("server")), Worded(N_("ping")), Worded(N_("memory used")), Worded(N_("measured"))]
    )
    table.rows.append([link.where, f"{health.ping_ms:.1f} ms", health.memory, age])
    return Section(
        "Redis", Worded(N_("Shared live cache, fair-use windows and events.{failed}"), failed=failed), table
    )
