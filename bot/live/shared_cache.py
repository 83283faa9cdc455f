"""`SharedLiveCache`: the live cache with its entries and single-flight in Redis, for several processes.

Same interface and semantics as `LiveCache` (fresh for the endpoint's TTL, "not found" for its negative TTL,
the last good answer served marked stale when a refresh fails); what changes is that every process sees the
entries any of them fetched, and identical lookups in different processes share one upstream request. The
in-process layer stays in front: concurrent callers in one process still wait on one task, and a fresh
entry is read from Redis once per process rather than once per caller.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.live.cache import DAY, ENDPOINTS, Cached, Endpoint, LiveCache, _Entry
from bot.live.http_client import UpstreamError, UpstreamNotFound
from bot.shared_state.redis_flight import RedisFlight
from bot.shared_state.redis_link import RedisLink

T = TypeVar("T")

# Last good answers are kept this long for stale-if-error (the in-process cache bounds them by count instead).
LAST_GOOD_TTL = 7 * DAY
FAILURE_TTL = 10.0
"""After a fetch failed, the other processes answer from its error (or their stale copy) for this long instead
of each asking the failing upstream again; one process retries it after that."""


@dataclass(frozen=True, slots=True)
class _Record:
    """What Redis holds for a key: an answer with when it was fetched and stored (the wall clock all processes
    share gives its age), or the upstream's "not found"."""

    value: Any
    fetched_at: datetime
    stored_at: float
    not_found: UpstreamNotFound | None = None
    failed: UpstreamError | None = None


class SharedLiveCache(LiveCache):
    """Entries pickled in Redis (written only by silkroute processes, which trust each other as they trust
    the state database); the lock per key bounds how long other processes wait for its holder."""

    def __init__(
        self,
        link: RedisLink,
        *,
        lock_seconds: float = 30.0,
        wall: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.monotonic,
        endpoints: Mapping[str, Endpoint] = ENDPOINTS,
    ) -> None:
        super().__init__(timer=timer, endpoints=endpoints)
        self._flight = RedisFlight(link, "live", lock_seconds=lock_seconds)
        self._wall = wall

    async def _refresh(self, spec: Endpoint, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> Cached[T]:
        name = hashlib.sha256(repr(key).encode()).hexdigest()
        shared = await self._flight.get("fresh", name)
        if shared is None:
            async with self._flight.lead(name) as leader:
                if leader:  # another process may have stored it between our read and taking the lock
                    shared = await self._flight.get("fresh", name)
                    if shared is None:
                        return await self._fetch_and_share(spec, key, name, fetch)
                else:
                    shared = await self._flight.wait("fresh", name)
            if shared is None:  # the holder failed, died or overran its lock: fetch ourselves
                return await self._fetch_and_share(spec, key, name, fetch)
        self.stats(spec.source).coalesced += 1
        record: _Record = pickle.loads(shared)
        if record.failed is not None:
            return await self._after_failure(spec, key, name, record.failed)
        return self._adopt(spec, key, record)

    def _adopt(self, spec: Endpoint, key: Hashable, record: _Record) -> Cached[Any]:
        """Keep another process's record in this process's layers too, with the age it already has."""
        if record.not_found is not None:
            self._negative[spec.name][key] = record.not_found
            raise record.not_found
        entry = self._entry(record)
        self._fresh[spec.name][key] = entry
        self._last_good[key] = entry
        return self._cached(entry)

    def _entry(self, record: _Record) -> _Entry:
        age = max(0.0, self._wall() - record.stored_at)
        return _Entry(record.value, record.fetched_at, self._timer() - age)

    async def _fetch_and_share(
        self, spec: Endpoint, key: Hashable, name: str, fetch: Callable[[], Awaitable[T]]
    ) -> Cached[T]:
        failures: list[UpstreamError] = []

        async def watched() -> T:
            try:
                return await fetch()
            except UpstreamNotFound:
                raise
            except UpstreamError as exc:
                failures.append(exc)
                raise

        try:
            cached = await super()._refresh(spec, key, watched)
        except UpstreamNotFound as exc:
            record = _Record(None, datetime.now(UTC), self._wall(), exc)
            await self._flight.put(name, {"fresh": spec.negative_ttl}, pickle.dumps(record))
            raise
        except UpstreamError as exc:  # no last good copy in this process; another one may have fetched it
            await self._share_failure(name, exc)
            return await self._shared_stale(spec, name, exc)
        if failures:  # served from this process's last good copy
            await self._share_failure(name, failures[-1])
        if cached.stale:
            return cached
        data = pickle.dumps(_Record(cached.value, cached.fetched_at, self._wall() - cached.age_seconds))
        await self._flight.put(name, {"fresh": spec.ttl, "last": LAST_GOOD_TTL}, data)
        return cached

    async def _share_failure(self, name: str, error: UpstreamError) -> None:
        record = _Record(None, datetime.now(UTC), self._wall(), failed=error)
        await self._flight.put(name, {"fresh": FAILURE_TTL}, pickle.dumps(record))

    async def _after_failure(
        self, spec: Endpoint, key: Hashable, name: str, error: UpstreamError
    ) -> Cached[Any]:
        """Another process's fetch just failed: this process's last good copy, else any process's, marked
        stale with the error; else the error itself, without asking the upstream."""
        self.stats(spec.source).negative_hits += 1
        last = self._last_good.get(key)
        if last is not None:
            self.stats(spec.source).stale_serves += 1
            return self._cached(last, stale=True, error=error.message)
        return await self._shared_stale(spec, name, error)

    async def _shared_stale(self, spec: Endpoint, name: str, error: UpstreamError) -> Cached[Any]:
        """The last good copy any process fetched, marked stale, or `error` when there is none."""
        last = await self._flight.get("last", name)
        if last is None:
            raise error
        self.stats(spec.source).stale_serves += 1
        return self._cached(self._entry(pickle.loads(last)), stale=True, error=error.message)
