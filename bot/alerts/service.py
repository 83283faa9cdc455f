"""The alert system as a service component: state, monitors, the feed loop, periodic checks and the sender.

`start()` only opens the state file (so one-shot CLI commands can manage watches); `attach(sink)` starts
the live parts once something can show alerts: the Discord client or the console. Dependencies it does
not get injected (RIS Live, RIPEstat, snapshot, reach) are looked up among the other components then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from bot.alerts.delivery import AlertSink, OutboxSender
from bot.alerts.engine import AlertEngine
from bot.alerts.exits import AsView, SnapshotMonitor, upstream_samples, views_of
from bot.alerts.model import CONSOLE_GUILD, AlertKind, Clock, Finding
from bot.alerts.monitors import Baseline, FeedHealthMonitor, HijackCandidate, RouteMonitor, SiteMonitor
from bot.alerts.repository import AlertRecord, AlertStore, NewAlert, Watch
from bot.core.errors import DataUnavailable
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from bot.core.values import Section
from bot.live import LiveSources
from bot.live.rislive import FeedStatus, RisEvent, RisSubscription
from bot.routing.snapshot_store import SnapshotStore

T = TypeVar("T")

log = logging.getLogger(__name__)
FLUSH_SECONDS = 10.0


class RpkiResult(Protocol):
    @property
    def status(self) -> str: ...


class RpkiChecker(Protocol):
    """RIPEstat's rpki-validation call, as `bot.live.ripestat.RipestatClient` offers it."""

    async def rpki_validation(self, asn: int | str, prefix: str) -> RpkiResult: ...


class Feed(Protocol):
    """A RIS Live feed as `bot.live.rislive.RisLiveClient` offers it."""

    def events(self) -> AsyncIterator[RisEvent]: ...

    async def subscribe(self, subscription: RisSubscription) -> None: ...

    async def unsubscribe(self, subscription: RisSubscription) -> None: ...


FeedFactory = Callable[[tuple[RisSubscription, ...]], Feed]
SiteProbe = Callable[[str], Awaitable[tuple[str, str]]]
"""Check one site URL; returns (verdict, one-sentence reason) as `/reach` does."""


class SnapshotBaseline:
    """Expected origins and upstreams from the routing snapshot component, when one is loaded."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store = store

    def origins_of(self, prefix: str) -> set[int]:
        snapshot = self.store.current
        prefix_id = snapshot.prefix_id(prefix) if snapshot is not None else None
        if snapshot is None or prefix_id is None:
            return set()
        return {o.asn for o in snapshot.origins_of_prefix(prefix_id)}

    def upstreams_of(self, asn: int) -> set[int]:
        snapshot = self.store.current
        return set(upstream_samples(snapshot, asn)) if snapshot is not None else set()


def reach_probe(settings: Settings) -> SiteProbe:
    """Watched sites are checked by the same stages as `/reach`; only the verdict and its reason matter here."""
    from bot.reach.probe import ReachConfig, check_target
    from bot.reach.targets import parse_target

    config = ReachConfig.from_settings(settings)

    async def probe(site: str) -> tuple[str, str]:
        report = await check_target(parse_target(site), config, None)
        return report.verdict, report.reason

    return probe


def subscriptions_for(watches: Sequence[Watch]) -> tuple[RisSubscription, ...]:
    """Prefix watches with their more-specifics; AS watches by origin (`<asn>$`)."""
    subs: dict[RisSubscription, None] = {}
    for watch in watches:
        if watch.kind == "prefix":
            subs[RisSubscription(prefix=watch.target, more_specific=True)] = None
        elif watch.kind == "asn":
            subs[RisSubscription(path=f"{watch.target[2:]}$")] = None
    return tuple(subs)


class AlertSystem:
    """Component "alerts"."""

    name = "alerts"

    def __init__(
        self,
        settings: Settings,
        *,
        snapshots: SnapshotStore | None = None,
        live: LiveSources | None = None,
        clock: Clock = time.time,
        feed_factory: FeedFactory | None = None,
        rpki: RpkiChecker | None = None,
        probe: SiteProbe | None = None,
        baseline: Baseline | None = None,
        batch_window: float = 2.0,
        tick_seconds: float = 5.0,
    ) -> None:
        self.settings = settings
        self.snapshot_store = snapshots
        self.live = live
        self.clock = clock
        self.feed_factory = feed_factory
        self.rpki = rpki
        self.probe = probe
        self.batch_window = batch_window
        self.tick_seconds = tick_seconds
        a = settings.alerts
        self.db = StateDB(settings.core.silkroute_state_db)
        self.store = AlertStore(self.db)
        self.engine = AlertEngine(self.store, clock, a.silkroute_renotify_hours * 3600)
        self.routes = RouteMonitor(
            min_peers=a.silkroute_visibility_min_peers,
            confirm_seconds=a.silkroute_visibility_confirm_seconds,
            baseline=baseline,
        )
        self.feed_health = FeedHealthMonitor(a.silkroute_feed_silence_seconds, clock())
        self.sites = SiteMonitor()
        self.snapshots = SnapshotMonitor(a.silkroute_exit_shift_threshold)
        self._snapshot_checked: tuple[str, tuple[int, ...]] | None = None
        self.sink: AlertSink | None = None
        self.sender: OutboxSender | None = None
        self.feed: Feed | None = None
        self.feed_note = "not started"
        self.messages = 0
        self._watches: list[Watch] = []
        self._guilds_by_target: dict[str, set[int]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._flush_on_close = False
        self._pumping = asyncio.Lock()
        self._monitoring = asyncio.Lock()
        """Held around "ask a monitor, apply its findings": the feed and the pump both do that, and an
        interleaving could resolve an alert before its opening is stored (the resolve would be lost)."""
        self._closed = False
        self._last_site_check = float("-inf")

    # lifetime -----------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.db.open()
        if self.routes.baseline is None and self.snapshot_store is not None:
            self.routes.baseline = SnapshotBaseline(self.snapshot_store)
        await self.reload_watches()
        for alert in await self.store.open_alerts():
            if alert.kind == AlertKind.FEED:
                self.feed_health.restore()
            elif alert.kind == AlertKind.SITE:
                self.sites.restore(alert.target)
            else:
                self.routes.restore(
                    alert.kind, alert.target, alert.dedupe_key.split(":", 1)[1], alert.evidence
                )

    async def attach(self, sink: AlertSink, *, background: bool = True) -> None:
        """Start delivering to `sink` and start the feed (a second call only swaps the sink).

        With `background=False` the caller runs `pump()` on its own schedule instead of our sender and
        ticker tasks (the Discord client uses `discord.ext.tasks`, which its test harness can drive).
        """
        self.sink = sink
        if self.sender is not None:
            self.sender.sink = sink
            return
        await self.store.retry_now()
        if self.probe is None and not self.settings.core.silkroute_offline:
            # Offline (tests, air-gapped runs) nothing is probed: no site checks rather than false "down"s.
            self.probe = reach_probe(self.settings)
        self.sender = OutboxSender(
            self.store, sink, self.channel_of, self.clock, batch_window=self.batch_window
        )
        if background:
            self._flush_on_close = True
            self._tasks.append(asyncio.create_task(self.sender.run(), name="alert-sender"))
            self._tasks.append(asyncio.create_task(self._tick_forever(), name="alert-ticker"))
        self._start_feed()
        self.sender.wake.set()

    def _start_feed(self) -> None:
        """Connect to RIS Live once something is watched: with no watches there is nothing to listen for."""
        if self.feed is not None or not self._watches:
            if not self._watches:
                self.feed_note = "idle: nothing watched yet"
            return
        feed = self._make_feed()
        if feed is not None:
            self.feed = feed
            self._tasks.append(asyncio.create_task(self._consume(feed), name="alert-feed"))

    def _make_feed(self) -> Feed | None:
        if self.feed_factory is None:
            live = self.live
            if live is None:
                self.feed_note = "no live sources component"
                return None
            if live.offline:
                self.feed_note = "off (SILKROUTE_OFFLINE=1): BGP monitors idle"
                return None
            self.feed_factory = live.rislive
            self.rpki = self.rpki or live.ripestat
        assert self.feed_factory is not None
        self.feed_note = "connecting"
        return self.feed_factory(subscriptions_for(self._watches))

    async def close(self) -> None:
        """Stop without cutting a delivery in half: a message posted but not marked sent would go out again."""
        async with self._pumping:
            self._closed = True
        if self.sender is not None:
            if self._flush_on_close:
                await self._flush()
            await self.sender.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.db.close()

    async def _flush(self) -> None:
        """Our own sender's last round: a console fed by a pipe ends right after its last command, and the
        alerts that command queued (`/alerts test`) must still be shown. Bounded, so closing never hangs."""
        assert self.sender is not None
        try:
            async with asyncio.timeout(FLUSH_SECONDS):
                await self.sender.drain_once()
        except Exception:
            log.exception("last alert delivery before closing failed; the rows stay pending")

    def status(self) -> Section:
        sender = self.sender
        delivery = (
            f"{sender.delivered} messages delivered, {sender.failures} failed attempts"
            if sender
            else "no alert channel attached in this process"
        )
        return Section(
            "Alerts",
            f"{len(self._watches)} watches; RIS Live: {self.feed_note}, {self.messages} messages; {delivery}.",
        )

    # watches ------------------------------------------------------------------------------------
    async def reload_watches(self) -> None:
        """Re-read watches and re-point monitors and the feed's subscriptions at them."""
        old = set(subscriptions_for(self._watches))
        self._watches = await self.store.watches()
        self._guilds_by_target = {}
        for watch in self._watches:
            self._guilds_by_target.setdefault(watch.target, set()).add(watch.guild_id)
        self.routes.set_watches((w.kind, w.target) for w in self._watches)
        new = set(subscriptions_for(self._watches))
        if self.feed is None and self.sender is not None:
            self._start_feed()
        elif self.feed is not None:
            for sub in old - new:
                await self.feed.unsubscribe(sub)
            for sub in new - old:
                await self.feed.subscribe(sub)

    def guilds_for(self, finding: Finding) -> set[int]:
        if finding.target:
            return self._guilds_by_target.get(finding.target, set())
        return {w.guild_id for w in self._watches}

    async def channel_of(self, guild_id: int) -> int | None:
        if guild_id == CONSOLE_GUILD:
            return 0
        return await self.store.alert_channel(guild_id) or self.settings.discord.alert_channel_id

    # events -------------------------------------------------------------------------------------
    async def handle(self, event: RisEvent) -> list[AlertRecord]:
        """Feed one RIS Live event through the monitors; returns alerts opened or resolved."""
        if isinstance(event, FeedStatus):
            self.feed_note = f"{event.state.value}{' — ' + event.detail if event.detail else ''}"
            async with self._monitoring:
                return await self._apply(self.feed_health.on_state(event, self.clock()))
        self.messages += 1
        async with self._monitoring:
            now = self.clock()
            route_findings, candidates = self.routes.process(event, now)
            changed = await self._apply([*self.feed_health.on_message(now), *route_findings])
        for candidate in candidates:
            rpki = await self._rpki_of(candidate)
            async with self._monitoring:
                self.routes.confirm_hijack(candidate, alerted=rpki is not None)
                if rpki is not None:
                    changed += await self._apply([candidate.finding(rpki)])
        return changed

    async def _rpki_of(self, candidate: HijackCandidate) -> str | None:
        """The RPKI verdict to show on the alert, or None when RPKI says the origin is valid: BGPalerter's
        rule is that a valid origin change is not a hijack. Asked outside the monitor lock (a network call)."""
        if self.rpki is None:
            return "not checked (no live sources)"
        try:
            result = await self.rpki.rpki_validation(candidate.origin, candidate.prefix)
        except DataUnavailable as exc:
            return f"could not be checked ({exc.message})"
        except Exception as exc:
            # A malformed answer or a client bug must not drop a possible hijack: alert without RPKI.
            log.exception("RPKI check of %s failed", candidate.key)
            return f"could not be checked ({type(exc).__name__})"
        if result.status == "valid":
            log.info("origin change %s is RPKI-valid: no alert", candidate.key)
            return None
        return str(result.status)

    async def _apply(self, findings: Sequence[Finding]) -> list[AlertRecord]:
        changed: list[AlertRecord] = []
        for finding in findings:
            changed += await self.engine.apply(finding, self.guilds_for(finding))
        if changed and self.sender is not None:
            self.sender.wake.set()
        return changed

    async def tick(self) -> list[AlertRecord]:
        """Time-based work: confirm visibility losses, feed silence, reminders, site checks when due."""
        now = self.clock()
        async with self._monitoring:
            changed = await self._apply([*self.routes.tick(now), *self.feed_health.tick(now)])
        changed += await self.check_snapshot()
        if await self.engine.renotify_due() and self.sender is not None:
            self.sender.wake.set()
        if (
            self.probe is not None
            and now - self._last_site_check >= self.settings.alerts.silkroute_site_check_minutes * 60
        ):
            self._last_site_check = now
            changed += await self.check_sites()
        return changed

    async def check_snapshot(self) -> list[AlertRecord]:
        """Once per served snapshot (and per set of AS watches): compare each watched AS with the last view.

        Polling the store's `current` on the tick sees every swap (refresher, `/data import`, a restart on a
        newer snapshot) without the store knowing about alerts. Alerts are applied before the new views are
        saved: a crash in between repeats the comparison, and the news rule keeps that from telling twice.
        """
        snapshot = self.snapshot_store.current if self.snapshot_store is not None else None
        asns = tuple(sorted({int(w.target[2:]) for w in self._watches if w.kind == "asn"}))
        if snapshot is None or (snapshot.snapshot_id, asns) == self._snapshot_checked:
            return []
        previous: dict[int, AsView] = {}
        for asn in asns:
            stored = await self.store.snapshot_view(f"AS{asn}")
            if stored is not None:
                previous[asn] = AsView.from_json(stored)
        stale = [a for a in asns if a not in previous or previous[a].snapshot_id != snapshot.snapshot_id]
        views = await asyncio.to_thread(views_of, snapshot, stale)
        async with self._monitoring:
            changed = await self._apply(
                [
                    finding
                    for asn, view in views.items()
                    if asn in previous
                    for finding in self.snapshots.compare(f"AS{asn}", previous[asn], view)
                ]
            )
        await self.store.save_snapshot_views(
            {f"AS{asn}": (view.snapshot_id, view.to_json()) for asn, view in views.items()},
            self.clock(),
            keep=[f"AS{asn}" for asn in asns],
        )
        self._snapshot_checked = (snapshot.snapshot_id, asns)
        return changed

    async def check_sites(self) -> list[AlertRecord]:
        assert self.probe is not None
        changed: list[AlertRecord] = []
        for site in sorted({w.target for w in self._watches if w.kind == "site"}):
            verdict, reason = await self.probe(site)
            async with self._monitoring:
                changed += await self._apply(self.sites.observe(site, verdict, reason))
        return changed

    async def send_test(self, guild_id: int, who: str) -> AlertRecord:
        """A sample alert through the real path: state, outbox, sender, sink."""
        now = self.clock()
        record = await self.store.create_alert(
            NewAlert(
                guild_id=guild_id,
                dedupe_key=f"test:{now}",
                kind=AlertKind.TEST.value,
                target="",
                severity="info",
                title="Test alert",
                summary=f"Requested by {who}. If you can read this, alerts reach this channel.",
                evidence={"paths": [["rrc00/192.0.2.1", "3216 9198"]]},
            ),
            now,
            muted=False,
            event="test",
            resolution="test",
        )
        if self.sender is not None:
            self.sender.wake.set()
        return record

    async def _consume(self, feed: Feed) -> None:
        try:
            async for event in feed.events():
                try:
                    await self.handle(event)
                except Exception:
                    log.exception("alert monitors failed on a feed event")
        except DataUnavailable as exc:
            self.feed_note = f"stopped: {exc.message}"

    async def pump(self) -> None:
        """One round of time-based checks and one outbox drain; never raises (the next round retries).

        The Discord pump loop may still fire while the bot closes: after `close()` a round does nothing."""
        async with self._pumping:
            if self._closed:
                return
            try:
                await self.tick()
                if self.sender is not None:
                    await self.sender.drain_once()
            except Exception:
                log.exception("alert tick failed")

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            await self.pump()
