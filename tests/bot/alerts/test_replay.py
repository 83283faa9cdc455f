"""Real RIS updates replayed through a local RIS Live server into the alert system, with injected events.

The watched Kazakh resources are Kaspi Bank's AS35673 and its 194.187.246.0/24, which 22 RIS peers
announce in the first five minutes of 2019 at rrc00. The test asserts the exact messages that reach the
alert channel: one per event, a recovery, nothing for an RPKI-valid change or a single peer's flap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.index import upstream_of
from bot.alerts.model import WatchKind
from bot.alerts.ports import Feed
from bot.alerts.service import AlertService
from bot.live.rislive import FeedStatus, RisEvent, RisSubscription
from bot.live.sources import LiveSources
from tests.bot.alerts.support import ManualClock, RecordingSink, RpkiServer, live_settings, settings_for
from tests.bot.live.fake_rislive import FakeRisLive, ris_messages_from_mrt

PREFIX = "194.187.246.0/24"
ASN = 35673
HIJACKER = 64511  # documentation-range AS: an obviously injected origin
MORE_SPECIFIC = "194.187.246.0/25"


@pytest.fixture(scope="module")
def replay(shared_data: Path) -> list[dict[str, Any]]:
    return ris_messages_from_mrt(shared_data / "mrt" / "ris-rrc00-updates.20190101.0000.gz", 1_000_000)


@pytest.fixture
async def rpki(shared_data: Path) -> AsyncIterator[RpkiServer]:
    server = RpkiServer(shared_data / "ripestat" / "rpki-validation-status.json")
    async for running in server.run():
        yield running


def announce(peer: str, peer_asn: int, path: list[int], prefixes: list[str], ts: float) -> dict[str, Any]:
    return {
        "timestamp": ts,
        "peer": peer,
        "peer_asn": str(peer_asn),
        "host": "rrc00",
        "type": "UPDATE",
        "path": path,
        "announcements": [{"next_hop": peer, "prefixes": prefixes}],
        "id": f"{peer}-{ts}",
    }


def withdraw(peer: str, peer_asn: int, prefixes: list[str], ts: float) -> dict[str, Any]:
    return {
        "timestamp": ts,
        "peer": peer,
        "peer_asn": str(peer_asn),
        "host": "rrc00",
        "type": "UPDATE",
        "path": [],
        "withdrawals": prefixes,
        "id": f"{peer}-{ts}-w",
    }


class CountingFeed:
    """The real RIS Live client, telling the test when the service has handled each message it yielded.

    The service handles an event before it asks for the next one, so a message counts as handled when
    the next event is asked for: the test waits on that instead of polling a counter.
    """

    def __init__(self) -> None:
        self.feed: Feed | None = None
        self.handled = 0
        self._changed = asyncio.Condition()

    def wrap(self, feed: Feed) -> CountingFeed:
        self.feed = feed
        return self

    async def events(self) -> AsyncIterator[RisEvent]:
        assert self.feed is not None
        async for event in self.feed.events():
            yield event
            if not isinstance(event, FeedStatus):
                async with self._changed:
                    self.handled += 1
                    self._changed.notify_all()

    async def subscribe(self, subscription: RisSubscription) -> None:
        assert self.feed is not None
        await self.feed.subscribe(subscription)

    async def unsubscribe(self, subscription: RisSubscription) -> None:
        assert self.feed is not None
        await self.feed.unsubscribe(subscription)

    async def wait_for(self, handled: int) -> None:
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(lambda: self.handled >= handled)


class Harness:
    def __init__(
        self, system: AlertService, feed: CountingFeed, fake: FakeRisLive, sink: RecordingSink
    ) -> None:
        self.system, self.feed, self.fake, self.sink = system, feed, fake, sink
        self.sent = 0
        self.seen = 0

    async def publish(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.sent += await self.fake.publish(message)
        await self.feed.wait_for(self.sent)

    async def deliver(self) -> list[str]:
        """Run time-based checks and drain the outbox; the titles of messages that reached the channel."""
        await self.system.tick()
        assert self.system.sender is not None
        await self.system.sender.drain_once()  # the sender task may have drained already: both are fine
        new, self.seen = self.sink.titles[self.seen :], len(self.sink.deliveries)
        return new


async def test_replayed_feed_with_injected_events_gives_exact_alerts(
    replay: list[dict[str, Any]], fake_rislive: FakeRisLive, rpki: RpkiServer, tmp_path: Path
) -> None:
    clock = ManualClock()
    # Feed silence is measured on the moved clock too; its alerts are tested in test_system.py.
    settings = live_settings(
        settings_for(tmp_path, silkroute_feed_silence_seconds=86400), fake_rislive.url, rpki.url
    )
    live = LiveSources(settings)
    counting = CountingFeed()
    system = AlertService(
        settings,
        feeds=lambda subscriptions: counting.wrap(live.rislive(subscriptions)),
        rpki=live.ripestat,
        clock=clock,
        batch_window=0,
        tick_seconds=3600,
    )
    sink = RecordingSink()
    h = Harness(system, counting, fake_rislive, sink)
    await system.start()
    try:
        await system.add_watch(1, WatchKind.PREFIX, PREFIX, "Kaspi Bank", "alice")
        await system.add_watch(1, WatchKind.ASN, f"AS{ASN}", "Kaspi Bank", "alice")
        await system.attach(sink)
        await fake_rislive.wait_for(subscriptions=2)
        # 1. The real stream: every message is published; the server's filters pass only ours through.
        await h.publish(replay)
        seeing = sorted(
            {
                (m["peer"], int(m["peer_asn"]))
                for m in replay
                for a in m.get("announcements", ())
                if PREFIX in a["prefixes"]
            }
        )
        assert len(seeing) == 22
        last_path = {m["peer"]: m["path"] for m in replay if m["path"] and m["path"][-1] == ASN}
        known_upstreams = {
            upstream_of(tuple(m["path"]), ASN) for m in replay if m["path"] and m["path"][-1] == ASN
        }
        assert await h.deliver() == []  # a normal morning: no alert

        # 2. A hijack: three peers hear a more-specific from another origin; RPKI says invalid.
        rpki.answers[(f"AS{HIJACKER}", MORE_SPECIFIC)] = "invalid_asn"
        hijack = [announce(p, a, [a, 3216, HIJACKER], [MORE_SPECIFIC], clock()) for p, a in seeing[:3]]
        await h.publish(hijack)
        assert await h.deliver() == [f"OPEN: Possible hijack: {MORE_SPECIFIC} originated by AS{HIJACKER}"]
        alert = sink.deliveries[-1].entries[0].alert
        assert alert.evidence["expected_origins"] == [ASN] and alert.evidence["rpki"] == "invalid_asn"
        assert alert.evidence["paths"][0][1] == f"{seeing[0][1]} 3216 {HIJACKER}"

        # 3. An origin change RPKI says is valid (e.g. a move to the upstream's space): no alert.
        rpki.answers[("AS9198", PREFIX)] = "valid"
        await h.publish([announce(seeing[5][0], seeing[5][1], [seeing[5][1], 9198], [PREFIX], clock())])
        assert await h.deliver() == []
        assert ("AS9198", PREFIX) in rpki.asked

        # 4. One peer flaps (withdraw, wait past the confirmation delay, re-announce): no alert.
        flapper = seeing[10]
        await h.publish([withdraw(*flapper, [PREFIX], clock())])
        clock.advance(400)
        assert await h.deliver() == []
        await h.publish([announce(*flapper, last_path[flapper[0]], [PREFIX], clock())])

        # 5. Twelve peers withdraw: nothing before the confirmation delay, one alert after it.
        losers = seeing[6:18]
        await h.publish([withdraw(p, a, [PREFIX], clock()) for p, a in losers])
        clock.advance(100)
        assert await h.deliver() == []
        clock.advance(300)
        assert await h.deliver() == [f"OPEN: Visibility loss: {PREFIX} withdrawn by 12 peers"]
        clock.advance(60)
        assert await h.deliver() == []  # still lost: no repeat

        # 6. They come back: one recovery.
        await h.publish([announce(p, a, last_path[p], [PREFIX], clock()) for p, a in losers])
        assert await h.deliver() == [f"RESOLVED: Recovered: {PREFIX} is visible again"]

        # 7. The hijacked more-specific disappears: the hijack is over.
        await h.publish([withdraw(p, a, [MORE_SPECIFIC], clock()) for p, a in seeing[:3]])
        assert await h.deliver() == [
            f"RESOLVED: Back to normal: {MORE_SPECIFIC} no longer originated by AS{HIJACKER}"
        ]

        # 8. A new upstream after the learning period: one news alert.
        new_upstream = next(a for a in (9002, 20764, 43727, 31133) if a not in known_upstreams)
        clock.advance(700)
        await h.publish([announce(*seeing[0], [seeing[0][1], new_upstream, ASN], [PREFIX], clock())])
        assert await h.deliver() == [f"NEWS: New upstream: AS{ASN} reached through AS{new_upstream}"]
        assert len(sink.deliveries) == 5
        assert await h.deliver() == []
    finally:
        await system.close()
        await live.close()
