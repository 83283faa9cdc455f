"""Single-flight, TTL expiry, stale-if-error and negative caching, through real requests to a local server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.live.cache import ENDPOINTS, LiveCache, normalise
from bot.live.http_client import HttpLayer, UpstreamHTTPError, UpstreamNotFound
from bot.live.ripestat import RipestatClient
from tests.bot.live.fake_upstreams import FakeUpstreams

KEY = "ripestat:looking-glass"


class Clock:
    """A hand-driven monotonic clock, so TTLs expire without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def ripestat(fake_upstreams: FakeUpstreams, clock: Clock) -> AsyncIterator[RipestatClient]:
    http = HttpLayer(fake_upstreams.settings())
    client = RipestatClient(http, LiveCache(timer=clock))
    yield client
    await http.close()


async def test_100_concurrent_identical_cold_lookups_make_one_request_then_one_more_after_ttl(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams, clock: Clock
) -> None:
    fake_upstreams.delay = 0.05  # keep the first request in flight while the others arrive
    results = await asyncio.gather(*(ripestat.looking_glass("140.78.0.0/16") for _ in range(100)))
    assert fake_upstreams.requests[KEY] == 1
    assert {r.origins for r in results} == {(1205,)}
    stats = ripestat._cache.stats("ripestat")
    assert (stats.misses, stats.coalesced) == (1, 99)

    clock.now += ENDPOINTS["looking-glass"].ttl - 1
    await asyncio.gather(*(ripestat.looking_glass("140.78.0.0/16") for _ in range(100)))
    assert fake_upstreams.requests[KEY] == 1
    assert stats.hits == 100

    clock.now += 2
    await asyncio.gather(*(ripestat.looking_glass("140.78.0.0/16") for _ in range(100)))
    assert fake_upstreams.requests[KEY] == 2


async def test_equal_lookups_written_differently_share_one_cache_entry(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams
) -> None:
    await ripestat.looking_glass("140.78.0.0/16")
    await ripestat.looking_glass(" 140.78.1.2/16")  # host bits and spaces do not make a new question
    await ripestat.asn_neighbours("AS1205")
    await ripestat.asn_neighbours(1205)
    assert fake_upstreams.requests[KEY] == 1
    assert fake_upstreams.requests["ripestat:asn-neighbours"] == 1
    assert normalise({"B": 1, "a": None, "c": True}) == (("b", "1"), ("c", "true"))


async def test_failed_refresh_serves_the_expired_answer_marked_stale_with_its_age(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams, clock: Clock
) -> None:
    fresh = await ripestat.looking_glass("140.78.0.0/16")
    assert not fresh.meta.stale
    clock.now += 600
    fake_upstreams.fail(KEY, "500")
    stale = await ripestat.looking_glass("140.78.0.0/16")
    assert stale.meta.stale
    assert stale.meta.age_seconds == pytest.approx(600)
    assert stale.origins == fresh.origins
    source = stale.meta.to_source()
    assert source.stale and "stale copy fetched 600 s ago" in source.detail and "HTTP 500" in source.detail
    stats = ripestat._cache.stats("ripestat")
    assert (stats.stale_serves, stats.errors) == (1, 1)
    assert fake_upstreams.requests[KEY] == 1 + 3  # the failed refresh still stopped at the retry limit

    fake_upstreams.heal(KEY)
    again = await ripestat.looking_glass("140.78.0.0/16")
    assert not again.meta.stale


async def test_without_a_cached_copy_the_error_reaches_the_caller(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.fail(KEY, "500")
    with pytest.raises(UpstreamHTTPError, match="RIPEstat: server error"):
        await ripestat.looking_glass("140.78.0.0/16")
    fake_upstreams.heal(KEY)
    assert (await ripestat.looking_glass("140.78.0.0/16")).origins == (1205,)  # errors are not cached


async def test_not_found_is_cached_briefly(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams, clock: Clock
) -> None:
    fake_upstreams.fail(KEY, "404")
    for _ in range(3):
        with pytest.raises(UpstreamNotFound):
            await ripestat.looking_glass("140.78.0.0/16")
    assert fake_upstreams.requests[KEY] == 1
    assert ripestat._cache.stats("ripestat").negative_hits == 2
    fake_upstreams.heal(KEY)
    clock.now += ENDPOINTS["looking-glass"].negative_ttl + 1
    assert (await ripestat.looking_glass("140.78.0.0/16")).origins == (1205,)
    assert fake_upstreams.requests[KEY] == 2


async def test_a_cancelled_caller_does_not_cancel_the_shared_fetch(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.gate = asyncio.Event()
    first = asyncio.ensure_future(ripestat.looking_glass("140.78.0.0/16"))
    second = asyncio.ensure_future(ripestat.looking_glass("140.78.0.0/16"))
    await fake_upstreams.arrived.wait()  # the shared fetch is in flight, held by the gate
    first.cancel()
    fake_upstreams.gate.set()
    assert (await second).origins == (1205,)
    assert fake_upstreams.requests[KEY] == 1
