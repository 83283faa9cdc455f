"""What every live result carries besides its data: fetch time, data time, staleness and upstream notes.

Answers must label each part with its source and age, and say when a part is an old copy served because
the source failed; keeping that in one `LiveMeta` lets `/lookup` and `/transit` do it the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from bot.core.values import Source
from bot.live.cache import LiveCache
from bot.live.http_client import UpstreamBadResponse


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveMeta:
    """Provenance of one live result; `data_time` is the time the upstream says its data describes."""

    source: str
    call: str
    fetched_at: datetime
    data_time: datetime | None = None
    stale: bool = False
    age_seconds: float = 0.0
    error: str = ""
    notes: tuple[str, ...] = ()

    def to_source(self) -> Source:
        """The `Source` line for an answer: dated by the data, flagged stale with the failure that caused it."""
        detail = self.call
        if self.stale:
            detail += f" — stale copy fetched {int(self.age_seconds)} s ago ({self.error})"
        return Source(self.source, self.data_time or self.fetched_at, detail, self.stale)


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveResult:
    meta: LiveMeta


R = TypeVar("R", bound=LiveResult)


async def cached_result(
    cache: LiveCache, endpoint: str, params: Mapping[str, object], fetch: Callable[[], Awaitable[R]]
) -> R:
    """Fetch through the cache and stamp the result with the cache's view: age and staleness."""
    cached = await cache.get(endpoint, params, fetch)
    meta = replace(
        cached.value.meta,
        fetched_at=cached.fetched_at,
        stale=cached.stale,
        age_seconds=cached.age_seconds,
        error=cached.error,
    )
    return replace(cached.value, meta=meta)


def parse_time(value: Any) -> datetime | None:
    """Upstream timestamps are ISO strings, mostly without a zone, always meaning UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def shape_error(source: str, call: str, exc: Exception) -> UpstreamBadResponse:
    """A response that parsed as JSON but lacks the documented fields: say so instead of crashing."""
    return UpstreamBadResponse(source, f"unexpected answer from {call} ({type(exc).__name__}: {exc}).")


def next_page_number(url: Any) -> int | None:
    """The page number in a paginated API's `next` link; followed by number only, so a `next` pointing
    elsewhere cannot redirect us."""
    if not isinstance(url, str) or not url:
        return None
    pages = parse_qs(urlsplit(url).query).get("page")
    try:
        return int(pages[0]) if pages else None
    except ValueError:
        return None
