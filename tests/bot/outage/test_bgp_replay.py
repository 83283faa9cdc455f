"""The own BGP signal on the real snapshot and the real 2019 RIS updates, replayed through the local RIS Live
server on one socket; then every Kazakh-originated prefix withdrawn by every peer, and announced again.

With a second independent signal down (the probe panel, whose hosts stop answering) the verdict turns to
outage, the monitor opens one episode, and it reports "restored" once after the re-announcement.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.settings import CoreSettings, LiveSettings, Settings
from bot.live.http_client import HttpLayer
from bot.live.rislive import RisLiveClient, RisMessage
from bot.outage.bgp import BgpTracker
from bot.outage.model import Entity, Level
from bot.outage.monitor import Change, OutageMonitor
from bot.outage.panel import ProbePanel
from bot.outage.verdict import SignalInput, Thresholds, judge
from bot.routing.snapshot import Snapshot
from tests.bot.live.fake_rislive import FakeRisLive, ris_messages_from_mrt
from tests.bot.outage.alert_replay import Panel, announcements, peers_of, touches, withdrawals

KZ = Entity("country", "KZ", "Kazakhstan")
THRESHOLDS = Thresholds(0.6, timedelta(minutes=20), 7, 3, timedelta(hours=48))


@pytest.fixture(scope="module")
def replay(shared_data: Path) -> list[dict[str, Any]]:
    return ris_messages_from_mrt(shared_data / "mrt" / "ris-rrc00-updates.20190101.0000.gz", 1_000_000)


class Feed:
    """A tracker fed by a real RisLiveClient over the local server, as the shared feed will feed it."""

    def __init__(self, tracker: BgpTracker, fake: FakeRisLive) -> None:
        settings = Settings(
            core=CoreSettings(silkroute_offline=False), live=LiveSettings(rislive_url=fake.url)
        )
        self.http = HttpLayer(settings)
        self.client = RisLiveClient(self.http, tracker.subscriptions())
        self.tracker, self.fake = tracker, fake
        self.sent = self.seen = 0
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for event in self.client.events():
            if isinstance(event, RisMessage):
                self.tracker.observe(event, datetime.fromtimestamp(event.timestamp, UTC))
                self.seen += 1

    async def publish(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.sent += await self.fake.publish(message)
        async with asyncio.timeout(60):
            while self.seen < self.sent:  # noqa: ASYNC110 - a counter, no event to wait on
                await asyncio.sleep(0.01)

    async def close(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task
        await self.http.close()


@pytest.fixture
async def feed(real_snapshot: Snapshot, fake_rislive: FakeRisLive) -> AsyncIterator[Feed]:
    tracker = BgpTracker(min_peers=10)
    tracker.track(KZ, real_snapshot)
    running = Feed(tracker, fake_rislive)
    await fake_rislive.wait_for(subscriptions=len(tracker.subscriptions()))
    yield running
    await running.close()


async def test_withdrawn_country_falls_and_alerts_once_then_restores_once(
    feed: Feed, real_snapshot: Snapshot, replay: list[dict[str, Any]]
) -> None:
    tracker = feed.tracker
    routes = tracker.entities[KZ.key]
    assert len(feed.client.subscriptions) == len(tracker.subscriptions()) > 150  # one socket for them all
    assert feed.fake.connections == 1
    start = datetime.fromtimestamp(replay[0]["timestamp"], UTC)
    tracker.connected(start)
    kazakh = [m for m in replay if touches(routes, m)]
    assert kazakh, "the 2019 updates touch Kazakh prefixes"
    await feed.publish(kazakh)
    assert routes.routed >= 0.9 * routes.baseline

    # The probe panel has a day of history (all answering) before the test's moment.
    check = Panel()
    panel = ProbePanel(["kaspi.kz", "egov.kz", "nur.kz"], check, 300)
    end = datetime.fromtimestamp(kazakh[-1]["timestamp"], UTC)
    moment = end - timedelta(hours=26)
    while moment <= end:
        await panel.run_round(moment)
        moment += timedelta(minutes=5)

    async def verdict(now: datetime) -> Any:
        own = tracker.data(KZ, real_snapshot, now)
        probes = await panel.fetch(KZ, now - THRESHOLDS.history, now)
        return judge(
            KZ,
            [SignalInput(tracker.name, tracker.family, own), SignalInput(panel.name, panel.family, probes)],
            now,
            THRESHOLDS,
        )

    monitor = OutageMonitor()
    assert (await verdict(end)).level is Level.NORMAL
    assert monitor.observe(await verdict(end)) == []

    # Every peer of the replay (and ten more) withdraws every Kazakh prefix at `cut`; the panel goes dark.
    peers = peers_of(replay)
    cut = end + timedelta(minutes=5)
    seen_by_any = {p for p, s in routes.prefixes.items() if s.seen_by}
    assert {peer for state in routes.prefixes.values() for peer in state.seen_by} <= {
        f"rrc00/{p}" for p, _ in peers
    }
    feed.fake.honour_filters = False  # the client filters these too; the fake's own matching is slow
    await feed.publish(withdrawals(peers, list(routes.prefixes), cut))
    assert seen_by_any and routes.routed < 0.05 * routes.baseline
    check.dark = True
    findings = []
    moment = cut
    while moment <= cut + timedelta(hours=1):
        await panel.run_round(moment)
        findings += monitor.observe(await verdict(moment))
        moment += timedelta(minutes=5)
    assert [f.change for f in findings] == [Change.OPENED]
    # In replay time the finding comes SILKROUTE_OUTAGE_DOWN_MINUTES (20) after the burst, no later.
    assert findings[0].verdict.at - cut == timedelta(minutes=20)
    assert findings[0].verdict.level is Level.OUTAGE
    assert set(findings[0].verdict.down_families) == {"routing", "active probing"}

    # Re-announced by the same peers an hour later; the panel answers again.
    back = cut + timedelta(hours=1, minutes=5)
    await feed.publish(announcements(peers, routes, real_snapshot, back))
    assert routes.routed >= 0.99 * routes.baseline
    check.dark = False
    moment = back
    while moment <= back + timedelta(hours=1):
        await panel.run_round(moment)
        findings += monitor.observe(await verdict(moment))
        moment += timedelta(minutes=5)
    assert [f.change for f in findings] == [Change.OPENED, Change.RESTORED]
    assert findings[1].duration is not None and timedelta(minutes=40) <= findings[1].duration <= timedelta(
        minutes=70
    )
