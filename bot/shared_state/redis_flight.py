"""Single-flight across processes: one short Redis lock per key, the others wait for the leader's result.

A lock is `SET key token NX PX` so it vanishes by itself when its holder dies; it is released only by the
token that took it (a holder that overran its lock must not free someone else's). Waiters poll the result
key, and stop waiting as soon as the lock is gone without a result (the fetch failed) or the bound passes;
then they fetch themselves, so a stuck or dead process costs at most one bounded wait, never a hang.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.shared_state.redis_link import RedisLink

# Deletes the lock only when it still holds our token (the Redis documentation's release pattern).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


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
        value = await self.link.client.get(self.key(kind, name))
        return None if value is None else bytes(value, "utf-8") if isinstance(value, str) else value

    async def put(self, kind: str, name: str, data: bytes, ttl: float) -> None:
        await self.link.client.set(self.key(kind, name), data, px=max(1, int(ttl * 1000)))

    @asynccontextmanager
    async def lead(self, name: str) -> AsyncIterator[bool]:
        """True inside when this process holds the lock for `name` (and must compute); released on exit."""
        token = secrets.token_hex(8)
        lock = self.key("lock", name)
        held = bool(await self.link.client.set(lock, token, nx=True, px=int(self.lock_seconds * 1000)))
        try:
            yield held
        finally:
            if held:
                await self._release(keys=[lock], args=[token])

    async def wait(self, kind: str, name: str) -> bytes | None:
        """The value another process is computing, or None once its lock is gone or the bound has passed."""
        deadline = time.monotonic() + self.lock_seconds
        lock = self.key("lock", name)
        key = self.key(kind, name)
        while time.monotonic() < deadline:
            async with self.link.client.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.exists(lock)
                value, locked = await pipe.execute()
            if value is not None:
                return bytes(value)
            if not locked:
                return None
            await asyncio.sleep(self.poll_seconds)
        return None
