"""The event bus: what the leader's consumers hear (RIS Live messages, snapshot switches) reaches every
process that subscribes. In one process it is an asyncio fan-out; with Redis it is one Stream per topic.

Publishers and subscribers are separate sides (`Publisher`, `Subscriber`) so a consumer that only the leader
runs holds the publishing side and replicas hold the subscribing one. Events are JSON objects. A subscriber
that falls behind loses the oldest events beyond the backlog rather than slowing the publisher (a monitor
must keep up with BGP); in-process the subscription counts them in `missed`, in Redis the stream keeps the
newest `backlog` events for readers that are behind.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from bot.shared_state.redis_link import TROUBLE, RedisLink

# Topic names every side agrees on (a topic is any name; these are the ones published today).
RIS_MESSAGES = "ris-messages"
SNAPSHOT_SWITCHED = "snapshot-switched"


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    data: dict[str, Any]


class Publisher(Protocol):
    async def publish(self, topic: str, data: dict[str, Any]) -> None: ...


class Subscription(Protocol):
    """Events of the subscribed topics from the moment `subscribe` returned, in publication order per topic."""

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def close(self) -> None: ...


class Subscriber(Protocol):
    async def subscribe(self, *topics: str) -> Subscription: ...


class EventBus(Publisher, Subscriber, Protocol):
    """Both sides, as the composition root builds them; components are handed one side."""


@dataclass(eq=False)
class LocalSubscription:
    topics: frozenset[str]
    bus: LocalBus
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)
    missed: int = 0

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()

    async def close(self) -> None:
        self.bus.subscriptions.discard(self)


class LocalBus:
    """In-process fan-out: each subscription has its own queue of at most `backlog` events."""

    def __init__(self, backlog: int = 10_000) -> None:
        self.backlog = backlog
        self.subscriptions: set[LocalSubscription] = set()

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        event = Event(topic, data)
        for subscription in self.subscriptions:
            if topic not in subscription.topics:
                continue
            if subscription.queue.qsize() >= self.backlog:
                subscription.queue.get_nowait()
                subscription.missed += 1
            subscription.queue.put_nowait(event)

    async def subscribe(self, *topics: str) -> LocalSubscription:
        subscription = LocalSubscription(frozenset(topics), self)
        self.subscriptions.add(subscription)
        return subscription


StreamReply = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]
"""XREAD's answer in RESP2 (the client's default protocol), undecoded: per stream key, its new entries."""


@dataclass(eq=False)
class RedisSubscription:
    """Reads the topics' streams after the ids they had at subscription; XREAD blocks at most `block_ms`
    per call so closing never waits long."""

    link: RedisLink
    positions: dict[str, str]
    block_ms: int = 1000
    closed: bool = False

    async def __aiter__(self) -> AsyncIterator[Event]:
        while not self.closed:
            streams: dict[Any, Any] = dict(self.positions)
            try:
                replies = cast(StreamReply, await self.link.client.xread(streams, block=self.block_ms))
            except TROUBLE as exc:  # resume from the same positions once Redis answers: nothing is skipped
                self.link.worked_around(exc, "events wait")
                await asyncio.sleep(self.block_ms / 1000)
                continue
            for stream, entries in replies or ():
                key = stream.decode()
                for entry_id, fields in entries:
                    self.positions[key] = entry_id.decode()
                    yield Event(key.rsplit(":", 1)[-1], json.loads(fields[b"data"]))

    async def close(self) -> None:
        """End the iteration after the read in progress (within `block_ms`). Cancelling the reading task alone
        is not enough: with redis-py 8 on Python 3.11 a cancel is sometimes lost inside XREAD (the task stays
        "cancelling", still reading the socket, and the loop goes on). Nothing is held server-side."""
        self.closed = True


class RedisBus:
    """Topics as capped Redis Streams (`silkroute:events:<topic>`), so a replica that reconnects resumes where
    it was, and the newest `backlog` events are kept."""

    def __init__(self, link: RedisLink, backlog: int = 10_000, block_ms: int = 1000) -> None:
        self.link = link
        self.backlog = backlog
        self.block_ms = block_ms

    def _stream(self, topic: str) -> str:
        return self.link.key("events", topic)

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Best effort: while Redis does not answer, events are dropped (counted on the link), never raised
        into the consumer that publishes them."""
        try:
            await self.link.client.xadd(
                self._stream(topic), {"data": json.dumps(data)}, maxlen=self.backlog, approximate=True
            )
        except TROUBLE as exc:
            self.link.worked_around(exc, "events are not fanned out")

    async def subscribe(self, *topics: str) -> RedisSubscription:
        positions: dict[str, str] = {}
        for topic in topics:
            last = await self.link.client.xrevrange(self._stream(topic), count=1)
            newest = last[0][0] if last else b"0-0"
            positions[self._stream(topic)] = newest.decode() if isinstance(newest, bytes) else str(newest)
        return RedisSubscription(self.link, positions, self.block_ms)
