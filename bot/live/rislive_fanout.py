"""RIS Live messages fanned out on the event bus: the one process that holds the feed publishes what it hears,
so every replica can follow BGP without each opening its own socket to RIPE.

`PublishingFeed` wraps a feed the alert monitors consume: they see the same events as before, and each
message also goes to the bus. Publishing is best effort: a bus that fails must not deafen the monitors.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Any

from bot.live.rislive import RisAnnouncement, RisEvent, RisLiveClient, RisMessage, RisSubscription
from bot.shared_state.events import RIS_MESSAGES, Publisher

log = logging.getLogger(__name__)


def message_json(message: RisMessage) -> dict[str, Any]:
    return asdict(message)


def message_from_json(data: dict[str, Any]) -> RisMessage:
    """The message a publisher sent, with its tuples back (JSON turned them into lists)."""
    return RisMessage(
        **{
            **data,
            "path": tuple(data["path"]),
            "announcements": tuple(
                RisAnnouncement(a["next_hop"], tuple(a["prefixes"])) for a in data["announcements"]
            ),
            "withdrawals": tuple(data["withdrawals"]),
            "community": tuple(tuple(c) for c in data["community"]),
        }
    )


class PublishingFeed:
    """The feed as the monitors use it (`events`, `subscribe`, `unsubscribe`), publishing every message."""

    def __init__(self, feed: RisLiveClient, publisher: Publisher) -> None:
        self.feed = feed
        self.publisher = publisher
        self.published = 0
        self.failures = 0

    async def events(self) -> AsyncIterator[RisEvent]:
        async for event in self.feed.events():
            if isinstance(event, RisMessage):
                await self._publish(event)
            yield event

    async def _publish(self, message: RisMessage) -> None:
        try:
            await self.publisher.publish(RIS_MESSAGES, message_json(message))
        except Exception:
            self.failures += 1
            log.warning("publishing a RIS Live message on the event bus failed", exc_info=self.failures == 1)
        else:
            self.published += 1

    async def subscribe(self, subscription: RisSubscription) -> None:
        await self.feed.subscribe(subscription)

    async def unsubscribe(self, subscription: RisSubscription) -> None:
        await self.feed.unsubscribe(subscription)


def publishing(
    feeds: Callable[[tuple[RisSubscription, ...]], RisLiveClient], publisher: Publisher
) -> Callable[[tuple[RisSubscription, ...]], PublishingFeed]:
    """A feed factory like `LiveSources.rislive` whose feeds publish on the bus."""
    return lambda subscriptions: PublishingFeed(feeds(subscriptions), publisher)
