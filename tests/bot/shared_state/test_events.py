"""The event bus in one process and through a real Redis: subscribers get what is published after they
subscribed, per topic and in order; with Redis, across OS processes."""

from __future__ import annotations

import asyncio

from bot.shared_state.events import (
    RIS_MESSAGES,
    SNAPSHOT_SWITCHED,
    Event,
    EventBus,
    LocalBus,
    Subscription,
)
from tests.bot.shared_state.processes import run_workers

NOTES = "notes"  # any topic name works; a test-only one


async def take(subscription: Subscription, count: int) -> list[Event]:
    taken = []
    async with asyncio.timeout(5):
        async for event in subscription:
            taken.append(event)
            if len(taken) == count:
                break
    return taken


async def test_subscribers_get_later_events_of_their_topics_in_order(bus: EventBus) -> None:
    await bus.publish(NOTES, {"n": -1})  # before anyone subscribed: nobody gets it
    alerts = await bus.subscribe(NOTES)
    everything = await bus.subscribe(NOTES, SNAPSHOT_SWITCHED)
    for n in range(3):
        await bus.publish(NOTES, {"n": n})
    await bus.publish(SNAPSHOT_SWITCHED, {"snapshot": "2024-10-10"})
    await bus.publish(RIS_MESSAGES, {"n": 99})
    got = await take(alerts, 3)
    assert [(e.topic, e.data) for e in got] == [(NOTES, {"n": n}) for n in range(3)]
    both = await take(everything, 4)
    assert [e.topic for e in both] == [NOTES, NOTES, NOTES, SNAPSHOT_SWITCHED]
    await alerts.close()
    await everything.close()


async def test_an_in_process_subscriber_that_falls_behind_loses_the_oldest_and_is_told() -> None:
    bus = LocalBus(backlog=3)
    slow = await bus.subscribe(NOTES)
    for n in range(5):
        await bus.publish(NOTES, {"n": n})
    assert [e.data["n"] for e in await take(slow, 3)] == [2, 3, 4]
    assert slow.missed == 2
    await slow.close()
    await bus.publish(NOTES, {"n": 5})
    assert not bus.subscriptions


async def test_events_published_by_one_process_reach_two_others_through_redis(redis_url: str) -> None:
    leader, *replicas = await run_workers(redis_url, "fanout", "200", count=3)
    assert leader == {"published": 200}
    assert [r["received"] for r in replicas] == [list(range(200))] * 2
