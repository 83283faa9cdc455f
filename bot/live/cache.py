"""Caching for live lookups: TTL per endpoint, single-flight, stale-if-error and short negative caching.

A chat full of people asks the same thing at once, and public APIs are rate-limited and sometimes down.
So identical concurrent lookups share one upstream request, answers are kept as long as the data behind
them stays the same, and when a refresh fails the last good answer is served, marked stale with its age.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from cachetools import LRUCache, TTLCache

from bot.live.http_client import UpstreamError, UpstreamNotFound

T = TypeVar("T")

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One upstream call and how long its answer stays true (`ttl`); `why` documents the choice."""

    source: str
    name: str
    ttl: float
    why: str
    negative_ttl: float = MINUTE


# TTLs follow the freshness in ../shared/notes/routing-sources.md: a cached answer should not outlive
# the upstream's own update cycle by much, and should not be refetched faster than the upstream changes.
ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("ripestat", "looking-glass", 2 * MINUTE, "RIS route collectors' current paths; minutes old"),
        Endpoint("ripestat", "routing-status", 15 * MINUTE, "RIB dumps every 8 h plus updates"),
        Endpoint("ripestat", "visibility", 30 * MINUTE, "computed from the 8-hourly RIS RIB dumps"),
        Endpoint("ripestat", "asn-neighbours", 6 * HOUR, "daily data, about a day old"),
        Endpoint(
            "ripestat", "prefix-overview", 15 * MINUTE, "announced state from RIS, changes with routing"
        ),
        Endpoint("ripestat", "network-info", HOUR, "covering prefix and origin change rarely"),
        Endpoint("ripestat", "as-overview", 12 * HOUR, "AS holder names change rarely"),
        Endpoint("ripestat", "announced-prefixes", HOUR, "built from the 8-hourly RIB dumps"),
        Endpoint("ripestat", "routing-history", 6 * HOUR, "built from the 8-hourly RIB dumps, years back"),
        Endpoint("ripestat", "rir-stats-country", DAY, "RIR delegated stats are published daily"),
        Endpoint("ripestat", "country-resource-list", DAY, "RIR delegated stats are published daily"),
        Endpoint("ripestat", "rpki-validation", 10 * MINUTE, "validators refresh ROAs every few minutes"),
        Endpoint("ihr", "hegemony", 15 * MINUTE, "today's hegemony bins change every 15 minutes"),
        Endpoint("ihr", "hegemony-history", 7 * DAY, "historical hegemony bins never change"),
        Endpoint("ihr", "hegemony-countries", 6 * HOUR, "country dependency is recomputed daily"),
        Endpoint("ihr", "hegemony-countries-history", 7 * DAY, "historical country bins never change"),
        Endpoint("ihr", "disco-events", 5 * MINUTE, "outage events are detected in near real time"),
        Endpoint("ripestat", "country-resource-stats", 15 * MINUTE, "hourly buckets of RIS routing data"),
        Endpoint("ioda", "ioda-signals", 5 * MINUTE, "IODA's finest native step is 5 minutes"),
        Endpoint("ioda", "ioda-events", 5 * MINUTE, "IODA detects outages in near real time"),
        Endpoint("atlas", "atlas-probes", 5 * MINUTE, "probe status changes within minutes"),
    )
}


@dataclass(frozen=True, slots=True)
class Cached(Generic[T]):
    """A value with when it was fetched; `stale` means a refresh failed and this is the last good one."""

    value: T
    fetched_at: datetime
    age_seconds: float
    stale: bool = False
    error: str = ""


@dataclass(slots=True)
class CacheStats:
    """Per-source counters for `/status`."""

    hits: int = 0
    misses: int = 0
    coalesced: int = 0
    stale_serves: int = 0
    negative_hits: int = 0
    errors: int = 0


@dataclass(slots=True)
class _Entry:
    value: Any
    fetched_at: datetime
    stored_at: float


def normalise(params: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Key parameters independent of order, case of names, whitespace and None, so equal lookups share."""
    items: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value).strip()
        items.append((name.strip().lower(), text))
    return tuple(sorted(items))


class LiveCache:
    """Fresh answers in one TTL cache per endpoint; last good answers in a bounded LRU for stale-if-error."""

    def __init__(
        self,
        *,
        maxsize: int = 2048,
        stale_maxsize: int = 8192,
        timer: Callable[[], float] = time.monotonic,
        endpoints: Mapping[str, Endpoint] = ENDPOINTS,
    ) -> None:
        self._timer = timer
        self._endpoints = dict(endpoints)
        self._fresh = {
            name: TTLCache[Hashable, _Entry](maxsize, e.ttl, timer) for name, e in endpoints.items()
        }
        self._negative = {
            name: TTLCache[Hashable, UpstreamNotFound](maxsize, e.negative_ttl, timer)
            for name, e in endpoints.items()
        }
        self._last_good: LRUCache[Hashable, _Entry] = LRUCache(stale_maxsize)
        self._inflight: dict[Hashable, asyncio.Task[Cached[Any]]] = {}
        self._stats = {e.source: CacheStats() for e in endpoints.values()}

    def stats(self, source: str) -> CacheStats:
        return self._stats.setdefault(source, CacheStats())

    def size(self, source: str) -> int:
        return sum(len(self._fresh[n]) for n, e in self._endpoints.items() if e.source == source)

    def sources(self) -> list[str]:
        return list(dict.fromkeys(e.source for e in self._endpoints.values()))

    async def get(
        self, endpoint: str, params: Mapping[str, object], fetch: Callable[[], Awaitable[T]]
    ) -> Cached[T]:
        """The cached answer, or one shared fetch for all concurrent callers asking the same thing."""
        spec = self._endpoints[endpoint]
        stats = self.stats(spec.source)
        key = (endpoint, normalise(params))
        entry = self._fresh[endpoint].get(key)
        if entry is not None:
            stats.hits += 1
            return self._cached(entry)
        not_found = self._negative[endpoint].get(key)
        if not_found is not None:
            stats.negative_hits += 1
            raise not_found
        task = self._inflight.get(key)
        if task is None:
            stats.misses += 1
            task = asyncio.ensure_future(self._refresh(spec, key, fetch))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        else:
            stats.coalesced += 1
        # shield: one caller giving up (a cancelled command) must not cancel the fetch the others wait for.
        return await asyncio.shield(task)

    def _finished(self, key: Hashable, task: asyncio.Task[Cached[Any]]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here so an error nobody awaited any more is not logged as lost

    async def _refresh(self, spec: Endpoint, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> Cached[T]:
        stats = self.stats(spec.source)
        try:
            value = await fetch()
        except UpstreamNotFound as exc:
            self._negative[spec.name][key] = exc
            raise
        except UpstreamError as exc:
            stats.errors += 1
            last = self._last_good.get(key)
            if last is None:
                raise
            stats.stale_serves += 1
            return self._cached(last, stale=True, error=exc.message)
        entry = _Entry(value, datetime.now(UTC), self._timer())
        self._fresh[spec.name][key] = entry
        self._last_good[key] = entry
        return self._cached(entry)

    def _cached(self, entry: _Entry, *, stale: bool = False, error: str = "") -> Cached[Any]:
        return Cached(entry.value, entry.fetched_at, max(0.0, self._timer() - entry.stored_at), stale, error)
