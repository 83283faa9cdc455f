"""A country watch on KZ in the whole alert system, fed the real 2019 RIS updates through the local RIS Live
server, then every Kazakh-originated prefix withdrawn by every peer at a chosen moment, and announced again.

Shared by the test (what reaches the channel, across a restart) and the bench (how long after the burst the
alert leaves the outbox, in replay time). Replay time is the alert service's injected clock: the own BGP view
stamps each message with it, the probe panel (the second, independent signal) runs its rounds on it, and the
outbox marks rows sent with it. The other sources point at a closed local port, so they count as missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.alerts.model import WatchKind
from bot.alerts.service import AlertService
from bot.core.settings import Settings
from bot.live.sources import LiveSources
from bot.outage.bgp import EntityRoutes
from bot.outage.service import OutageService
from bot.routing.snapshot import Snapshot
from tests.bot.alerts.support import ManualClock, RecordingSink, live_settings, settings_for
from tests.bot.alerts.test_replay import CountingFeed
from tests.bot.live.fake_rislive import FakeRisLive
from tests.helpers import serving

GUILD = 42
CLOSED = "http://127.0.0.1:9"
"""The discard port: nothing listens, so IODA, Atlas, IHR and RIPEstat fail fast and are listed missing."""
EXTRA_PEERS = [(f"192.0.2.{i}", "64500") for i in range(10)]
"""Ten more peers than the five minutes of rrc00 hold, so every prefix is withdrawn by enough of them."""


def scenario_settings(tmp: Path, rislive_url: str) -> Settings:
    # Feed silence is measured on the moved clock too: the minutes replayed without a message are not one.
    settings = live_settings(settings_for(tmp, silkroute_feed_silence_seconds=86400), rislive_url, CLOSED)
    settings.live.ioda_url = CLOSED + "/ioda"
    settings.live.ihr_url = CLOSED + "/ihr"
    settings.live.ripe_atlas_url = CLOSED + "/atlas"
    return settings


def touches(routes: EntityRoutes, data: dict[str, Any]) -> bool:
    """Cheap pre-selection of the replay (the server would not deliver the rest anyway)."""
    path = data.get("path") or []
    origin = path[-1] if path and not isinstance(path[-1], list) else None
    prefixes = [p for a in data.get("announcements") or () for p in a["prefixes"]]
    return origin in routes.asns or any(
        p in routes.prefixes for p in [*prefixes, *(data.get("withdrawals") or ())]
    )


def update(peer: str, peer_asn: str, moment: datetime, ident: str, **change: Any) -> dict[str, Any]:
    return {
        "timestamp": moment.timestamp(),
        "peer": peer,
        "peer_asn": peer_asn,
        "host": "rrc00",
        "type": "UPDATE",
        "path": [],
        "id": ident,
        **change,
    }


def withdrawals(
    peers: Sequence[tuple[str, str]], prefixes: Sequence[str], moment: datetime
) -> list[dict[str, Any]]:
    """Every peer withdraws every prefix, 200 to a message like a session reset does."""
    ordered = sorted(prefixes)
    return [
        update(peer, asn, moment, f"w-{peer}-{i}", withdrawals=ordered[i : i + 200])
        for peer, asn in peers
        for i in range(0, len(ordered), 200)
    ]


def announcements(
    peers: Sequence[tuple[str, str]], routes: EntityRoutes, snapshot: Snapshot, moment: datetime
) -> list[dict[str, Any]]:
    """Every peer announces every prefix again from its snapshot origin (or a tracked one)."""
    fallback = min(routes.asns)
    by_origin: dict[int, list[str]] = {}
    for prefix in routes.prefixes:
        origins = [o.asn for o in snapshot.origins_of_prefix(snapshot.prefix_id(prefix) or 0)]
        owner = next((o for o in origins if o in routes.asns), fallback)
        by_origin.setdefault(owner, []).append(prefix)
    return [
        update(
            peer,
            asn,
            moment,
            f"a-{peer}-{owner}",
            path=[int(asn), owner],
            announcements=[{"next_hop": peer, "prefixes": prefixes}],
        )
        for peer, asn in peers
        for owner, prefixes in by_origin.items()
    ]


def peers_of(replay: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted({(m["peer"], m["peer_asn"]) for m in replay}) + EXTRA_PEERS


class Panel:
    """The probe panel's hosts answer until `dark` is set (the injected HostCheck)."""

    def __init__(self) -> None:
        self.dark = False

    async def __call__(self, host: str) -> bool:
        return not self.dark


class Process:
    """One bot process: live sources, the outage watch (own BGP + probe panel) and the alert service."""

    def __init__(
        self, snapshot: Snapshot, fake: FakeRisLive, tmp: Path, clock: ManualClock, sink: RecordingSink
    ) -> None:
        self.settings = scenario_settings(tmp, fake.url)
        self.fake, self.clock, self.sink = fake, clock, sink
        self.live = LiveSources(self.settings)
        self.check = Panel()
        store = serving(snapshot)
        self.outage = OutageService(
            self.settings, snapshots=store, live=self.live, check=self.check, clock=self.moment
        )
        self.counting = CountingFeed()
        self.alerts = AlertService(
            self.settings,
            snapshots=store,
            feeds=lambda subscriptions: self.counting.wrap(self.live.rislive(subscriptions)),
            outage=self.outage,
            clock=clock,
            batch_window=0,
            tick_seconds=3600,
        )
        self.sent = 0
        self.delivered_at: list[datetime] = []
        self.closed = False

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    @property
    def routes(self) -> EntityRoutes:
        return self.outage.bgp.entities["country:KZ"]

    async def start(self, *, watch: bool) -> None:
        await self.alerts.start()
        if watch:
            assert await self.alerts.add_watch(GUILD, WatchKind.COUNTRY, "KZ", "", "tester") is not None
        connections = self.fake.connections + 1
        await self.alerts.attach(self.sink, background=False)
        await self.fake.wait_for(subscriptions=len(self.outage.bgp.subscriptions()), connections=connections)

    async def seed_panel(self, hours: float) -> None:
        """The panel's past rounds (all answering), so it has a baseline by the test's moment."""
        assert self.outage.panel is not None
        now = self.moment()
        moment = now - timedelta(hours=hours)
        while moment < now:
            await self.outage.panel.run_round(moment)
            moment += timedelta(seconds=self.outage.panel.step_seconds)

    async def morning(self, replay: list[dict[str, Any]]) -> None:
        """Watch KZ, give the panel a day of history, stream the real updates, let half an hour pass."""
        await self.start(watch=True)
        await self.seed_panel(hours=26)
        await self.publish([m for m in replay if touches(self.routes, m)])
        await self.run(30)

    async def burst(self, replay: list[dict[str, Any]]) -> None:
        """Every peer withdraws every Kazakh prefix now; the panel's hosts stop answering."""
        self.fake.honour_filters = False  # the client filters these too; the fake's own matching is slow
        await self.publish(withdrawals(peers_of(replay), list(self.routes.prefixes), self.moment()))
        assert self.routes.routed < 0.05 * self.routes.baseline
        self.check.dark = True

    async def publish(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.sent += await self.fake.publish(message)
        await self.counting.wait_for(self.sent)

    async def run(self, minutes: int) -> None:
        """Replay time passes minute by minute: a panel round when due, then the alert pump (checks + outbox)."""
        assert self.outage.panel is not None
        step = int(self.outage.panel.step_seconds)
        for _ in range(minutes):
            self.clock.advance(60)
            if int(self.clock()) % step < 60:
                await self.outage.panel.run_round(self.moment())
            before = len(self.sink.deliveries)
            await self.alerts.pump()
            self.delivered_at += [self.moment()] * (len(self.sink.deliveries) - before)

    async def close(self) -> None:
        """Stop the process (a restart's first half); again, as a fixture's teardown, it does nothing."""
        if self.closed:
            return
        self.closed = True
        await self.alerts.close()
        await self.live.close()
