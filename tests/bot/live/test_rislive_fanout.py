"""The RIS Live feed published on the event bus: replicas receive exactly the messages the leader's monitors
consumed (real 2019 updates replayed by the local RIS Live server), and a failing bus never deafens them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.live.http_client import HttpLayer
from bot.live.rislive import FeedState, FeedStatus, RisLiveClient, RisMessage
from bot.live.rislive_fanout import PublishingFeed, message_from_json, publishing
from bot.shared_state.events import RIS_MESSAGES, EventBus
from tests.bot.live.fake_rislive import FakeRisLive, ris_messages_from_mrt

SENT = 40


@pytest.fixture
def replay(shared_data: Path) -> list[dict[str, Any]]:
    return ris_messages_from_mrt(shared_data / "mrt" / "ris-rrc00-updates.20190101.0000.gz", SENT)


async def consume(
    feed: PublishingFeed, fake_rislive: FakeRisLive, replay: list[dict[str, Any]]
) -> list[RisMessage]:
    """What the monitors see of the replay through the publishing feed."""
    events = aiter(feed.events())
    async with asyncio.timeout(10):
        while (
            not isinstance(status := await anext(events), FeedStatus) or status.state != FeedState.CONNECTED
        ):
            pass
        await fake_rislive.wait_for(subscriptions=0)
        for message in replay:
            await fake_rislive.publish(message)
        seen: list[RisMessage] = []
        while len(seen) < len(replay):
            if isinstance(event := await anext(events), RisMessage):
                seen.append(event)
    return seen


async def test_replicas_receive_what_the_monitors_consumed(
    rislive_http: HttpLayer, fake_rislive: FakeRisLive, replay: list[dict[str, Any]], bus: EventBus
) -> None:
    replica = await bus.subscribe(RIS_MESSAGES)
    feed = publishing(lambda subs: RisLiveClient(rislive_http, subs), bus)(())
    seen = await consume(feed, fake_rislive, replay)
    received = []
    async with asyncio.timeout(5):
        async for event in replica:
            received.append(message_from_json(event.data))
            if len(received) == len(seen):
                break
    assert received == seen and len(seen) == SENT
    assert feed.published == SENT and feed.failures == 0


class BrokenBus:
    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        raise ConnectionError("Redis went away")


async def test_a_failing_bus_does_not_stop_the_feed(
    rislive_http: HttpLayer, fake_rislive: FakeRisLive, replay: list[dict[str, Any]]
) -> None:
    feed = PublishingFeed(RisLiveClient(rislive_http, ()), BrokenBus())
    assert len(await consume(feed, fake_rislive, replay)) == SENT
    assert (feed.published, feed.failures) == (0, SENT)
