"""Redis health for `/status`: ping latency and memory from a real server, and a clear line when it is down."""

from __future__ import annotations

from bot.shared_state.redis_link import RedisLink, redis_status
from tests.bot.reach.servers import closed_port
from tests.helpers import ManualClock


async def test_status_shows_ping_and_memory_of_the_last_heartbeat(redis_url: str) -> None:
    clock = ManualClock(100.0)
    link = RedisLink(redis_url, clock=clock)
    assert redis_status(link).text.endswith("not measured yet.")
    await link.start()
    try:
        clock.advance(12)
        section = link.status()
        assert section.title == "Redis" and section.table is not None
        ((where, ping, memory, measured),) = section.table.rows
        assert where == redis_url.removeprefix("redis://") and ping.endswith(" ms")
        assert memory[-1] in "BKMG" and measured == "12 s ago"
    finally:
        await link.close()


async def test_a_redis_that_does_not_answer_is_reported_not_raised() -> None:
    link = RedisLink(f"redis://127.0.0.1:{closed_port()}/0")
    await link.start()
    try:
        text = link.status().text
    finally:
        await link.close()
    assert "not answering (ConnectionError" in text and "checked 0 s ago" in text
