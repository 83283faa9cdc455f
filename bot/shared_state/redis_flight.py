"""Single-flight across processes: one short Redis lock per key, the others wait for the leader's result.

A lock is `SET key token NX PX` so it vanishes by itself when its holder dies; it is released only by the
token that took it (a holder that overran its lock must not free someone else's). Waiters poll the result
key, and stop waiting as soon as the lock is gone without a result (the fetch failed) or the bound passes;
then they fetch themselves, so a stuck or dead process costs at most one bounded wait, never a hang.

Redis trouble never fails a lookup: a read that fails is a miss, a lock that cannot be taken is this
process's to compute, a write that fails is skipped (each counted on the link, and logged).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.shared_state.redis_link import TROUBLE, RedisLink

# Deletes the lock only when it still holds our token (the Redis documentation's release pattern).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

ALONE = "lookups are not shared with other processes"


class RedisFlight:
    """Values under `silkroute:<space>:…` with TTLs, and the lock that lets one process compute each."""

    def __init__(
        self, link: RedisLink, space: str, *, lock_seconds: float, poll_seconds: float = 0.01
    ) -> None:
        self.link = link
        self.space = space
        self.lock_seconds = lock_seconds
        self.poll_seconds = poll_seconds
        self._release = link.client.register_script(RELEASE)

    def key(self, kind: str, name: str) -> str:
        return self.link.key(self.space, kind, name)

    async def get(self, kind: str, name: str) -> bytes | None:
        try:
            value = await self.link.client.get(self.key(kind, name))
        except TROUBLE as exc:
            self.link.worked_around(exc, ALONE)
            return None
        return value if isinstance(value, bytes) else None

    async def put(self, name: str, ttls: dict[str, float], data: bytes) -> None:
        """Store `data` under each kind in `ttls` (kind → seconds) at once."""
        try:
            async with self.link.client.pipeline(transaction=True) as pipe:
                for kind, ttl in ttls.items():
                    pipe.set(self.key(kind, name), data, px=max(1, int(ttl * 1000)))
                await pipe.execute()
        except TROUBLE as exc:
            self.link.worked_around(exc, ALONE)

    @asynccontextmanager
    async def lead(self, name: str) -> AsyncIterator[bool]:
        """True inside when this process must compute `name`: it holds the lock, or Redis cannot say who
        does; the lock is released on exit."""
        token = secrets.token_hex(8)
        lock = self.key("lock", name)
        try:
            held = bool(await self.link.client.set(lock, token, nx=True, px=int(self.lock_seconds * 1000)))
        except TROUBLE as exc:
            self.link.worked_around(exc, ALONE)
            yield True
            return
        try:
            yield held
        finally:
            if held:
                try:
                    await self._release(keys=[lock], args=[token])
                except TROUBLE as exc:  # the lock expires by itself
                    self.link.worked_around(exc, ALONE)

    async def wait(self, kind: str, name: str) -> bytes | None:
        """The value another process is computing, or None once its lock is gone or the bound has passed."""
        deadline = time.monotonic() + self.lock_seconds
        lock = self.key("lock", name)
        key = self.key(kind, name)
        while time.monotonic() < deadline:
            try:
                async with self.link.client.pipeline(transaction=False) as pipe:
                    pipe.get(key)
                    pipe.exists(lock)
                    value, locked = await pipe.execute()
            except TROUBLE as exc:
                self.link.worked_around(exc, ALONE)
                return None
            if value is not None:
                return bytes(value)
            if not locked:
                return None
            await asyncio.sleep(self.poll_seconds)
        return None
