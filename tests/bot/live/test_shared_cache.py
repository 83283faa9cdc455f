"""The live cache shared through a real Redis: entries, "not found", stale copies and single-flight across
caches that stand for separate processes, then across real OS processes."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable

import pytest

from bot.live.cache import normalise
from bot.live.http_client import HttpLayer, UpstreamError, UpstreamNotFound
from bot.live.ripestat import RipestatClient
from bot.live.shared_cache import SharedLiveCache
from bot.shared_state.redis_link import RedisLink
from tests.bot.live.fake_upstreams import FakeUpstreams
from tests.bot.reach.servers import closed_port
from tests.bot.shared_state.processes import run_workers
from tests.helpers import ManualClock

KEY = "ripestat:looking-glass"
PREFIX = "140.78.0.0/16"

Replica = Callable[..., RipestatClient]


@pytest.fixture
def wall() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
async def replica(redis_url: str, fake_upstreams: FakeUpstreams, wall: ManualClock) -> AsyncIterator[Replica]:
    """A RIPEstat client as one process would have it: its own session, cache and Redis connection."""
    opened: list[tuple[HttpLayer, RedisLink]] = []

    def make(lock_seconds: float = 10.0) -> RipestatClient:
        http, link = HttpLayer(fake_upstreams.settings()), RedisLink(redis_url)
        opened.append((http, link))
        return RipestatClient(http, SharedLiveCache(link, lock_seconds=lock_seconds, wall=wall, timer=wall))

    yield make
    for http, link in opened:
        await http.close()
        await link.close()


def entry_key(prefix: str = PREFIX) -> str:
    """The Redis key of the looking-glass entry for `prefix` (as the cache names it)."""
    key = ("looking-glass", normalise({"resource": prefix}))
    return "silkroute:live:fresh:" + hashlib.sha256(repr(key).encode()).hexdigest()


async def expire(redis_url: str, *kinds: str) -> None:
    """Delete the entry's keys of these kinds ("fresh", "last"), as Redis expiry does when their TTL runs out."""
    link = RedisLink(redis_url)
    await link.client.delete(*(entry_key().replace(":fresh:", f":{kind}:") for kind in kinds))
    await link.close()


async def test_an_answer_one_process_fetched_is_served_to_another_with_its_age(
    replica: Replica, fake_upstreams: FakeUpstreams, wall: ManualClock
) -> None:
    first, second = replica(), replica()
    fetched = await first.looking_glass(PREFIX)
    wall.advance(30)
    shared = await second.looking_glass(PREFIX)
    assert fake_upstreams.requests[KEY] == 1
    assert shared.origins == fetched.origins == (1205,)
    assert shared.meta.age_seconds == pytest.approx(30) and not shared.meta.stale
    assert shared.meta.fetched_at == fetched.meta.fetched_at


async def test_a_lookup_in_flight_elsewhere_is_waited_for_not_repeated(
    replica: Replica, fake_upstreams: FakeUpstreams
) -> None:
    first, second = replica(), replica()
    fake_upstreams.gate = asyncio.Event()
    leading = asyncio.ensure_future(first.looking_glass(PREFIX))
    await fake_upstreams.arrived.wait()  # the first process holds the lock and its request is in flight
    waiting = asyncio.ensure_future(second.looking_glass(PREFIX))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    fake_upstreams.gate.set()
    assert (await waiting).origins == (await leading).origins
    assert fake_upstreams.requests[KEY] == 1


async def test_a_dead_lock_holder_costs_one_bounded_wait_then_the_waiter_fetches(
    replica: Replica, fake_upstreams: FakeUpstreams, redis_url: str
) -> None:
    client = replica(lock_seconds=0.2)
    link = RedisLink(redis_url)
    lock = entry_key().replace(":fresh:", ":lock:")
    await link.client.set(lock, "a process that died", px=60_000)  # never released, outlives the bound
    await link.close()
    answer = await asyncio.wait_for(client.looking_glass(PREFIX), timeout=5)
    assert answer.origins == (1205,) and fake_upstreams.requests[KEY] == 1


async def test_not_found_is_shared_for_its_short_ttl(replica: Replica, fake_upstreams: FakeUpstreams) -> None:
    first, second = replica(), replica()
    fake_upstreams.fail(KEY, "404")
    with pytest.raises(UpstreamNotFound):
        await first.looking_glass(PREFIX)
    with pytest.raises(UpstreamNotFound, match="RIPEstat"):
        await second.looking_glass(PREFIX)
    assert fake_upstreams.requests[KEY] == 1


async def test_a_failed_refresh_serves_the_copy_another_process_fetched_marked_stale(
    replica: Replica, fake_upstreams: FakeUpstreams, redis_url: str, wall: ManualClock
) -> None:
    first, second = replica(), replica()
    await first.looking_glass(PREFIX)
    await expire(redis_url, "fresh")  # the fresh entry's TTL runs out
    wall.advance(600)
    fake_upstreams.fail(KEY, "500")
    stale = await second.looking_glass(PREFIX)
    assert stale.meta.stale and stale.origins == (1205,)
    assert stale.meta.age_seconds == pytest.approx(600)
    assert "stale copy fetched 600 s ago" in stale.meta.to_source().detail
    assert second._cache.stats("ripestat").stale_serves == 1


async def test_a_failing_upstream_is_asked_by_one_process_not_by_each(
    replica: Replica, fake_upstreams: FakeUpstreams, redis_url: str
) -> None:
    first, second, third = replica(), replica(), replica()
    fake_upstreams.fail(KEY, "500")
    with pytest.raises(UpstreamError, match="RIPEstat"):
        await first.looking_glass(PREFIX)
    asked = fake_upstreams.requests[KEY]  # one lookup, with its retries
    fake_upstreams.gate = asyncio.Event()  # were another process to ask, it would wait here
    for other in (second, third):
        with pytest.raises(UpstreamError, match="RIPEstat"):
            await asyncio.wait_for(other.looking_glass(PREFIX), timeout=5)
    assert fake_upstreams.requests[KEY] == asked
    assert second._cache.stats("ripestat").negative_hits == 1

    fake_upstreams.gate.set()
    fake_upstreams.heal(KEY)
    await expire(redis_url, "fresh")  # the failure's FAILURE_TTL runs out
    assert (await second.looking_glass(PREFIX)).origins == (1205,)
    assert fake_upstreams.requests[KEY] == asked + 1


async def test_a_process_with_its_own_good_copy_serves_it_stale_after_another_ones_failure(
    replica: Replica, fake_upstreams: FakeUpstreams, redis_url: str, wall: ManualClock
) -> None:
    first, second = replica(), replica()
    await second.looking_glass(PREFIX)
    await expire(redis_url, "fresh", "last")
    wall.advance(600)  # the second process's own copy is past its TTL too
    fake_upstreams.fail(KEY, "500")
    with pytest.raises(UpstreamError):
        await first.looking_glass(PREFIX)
    asked = fake_upstreams.requests[KEY]
    stale = await second.looking_glass(PREFIX)
    assert stale.meta.stale and stale.origins == (1205,) and fake_upstreams.requests[KEY] == asked


async def test_100_identical_lookups_over_three_processes_make_one_upstream_request(
    redis_url: str, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.delay = 0.3  # the first request stays in flight while the other processes ask
    results = await run_workers(redis_url, "lookups", fake_upstreams.base, "100", count=3)
    assert [r["answers"] for r in results] == [34, 33, 33]
    assert all(r["origins"] == [1205] for r in results)
    assert fake_upstreams.requests[KEY] == 1


async def test_with_redis_down_lookups_are_answered_by_this_process_alone(
    fake_upstreams: FakeUpstreams,
) -> None:
    link = RedisLink(f"redis://127.0.0.1:{closed_port()}/0")
    http = HttpLayer(fake_upstreams.settings())
    client = RipestatClient(http, SharedLiveCache(link))
    try:
        fake_upstreams.delay = 0.05
        answers = await asyncio.gather(*(client.looking_glass(PREFIX) for _ in range(10)))
    finally:
        await http.close()
        await link.close()
    assert {a.origins for a in answers} == {(1205,)} and fake_upstreams.requests[KEY] == 1
    assert link.failures >= 3  # read, lock and write each failed and were done without Redis
