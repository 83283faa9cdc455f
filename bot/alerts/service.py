"""The alert service: the one object handlers, buttons and front ends call about watches and alerts.

It owns the state file, the monitors (one per alert kind), the feed loop, the periodic checks and the
sender, and keeps them in step by itself: adding or removing a watch re-points the monitors and the RIS
Live subscriptions in the same call. `start()` only opens the state file (so one-shot CLI commands can
manage watches); `attach(sink)` starts the live parts once something can show alerts. Everything it uses
from other parts of the bot comes in through its constructor, shaped by `bot.alerts.ports`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.alerts.delivery import AlertSink, ChannelRef, OutboxSender
from bot.alerts.engine import AlertEngine
from bot.alerts.model import (
    CONSOLE_GUILD,
    AlertKind,
    AlertSeverity,
    Clock,
    Finding,
    OutboxEvent,
    WatchKind,
    wording,
)
from bot.alerts.monitors.base import Baseline, Restorable
from bot.alerts.monitors.drift import ExitDriftMonitor
from bot.alerts.monitors.exits import ExitShiftMonitor
from bot.alerts.monitors.feed import FeedHealthMonitor
from bot.alerts.monitors.origin import HijackCandidate, OriginMonitor
from bot.alerts.monitors.outage import OutageAlertMonitor
from bot.alerts.monitors.site import SiteMonitor
from bot.alerts.monitors.upstream import UpstreamMonitor
from bot.alerts.monitors.visibility import VisibilityMonitor
from bot.alerts.ports import (
    ExitHistory,
    Feed,
    FeedFactory,
    OutageWatch,
    RpkiChecker,
    SiteProbe,
    SnapshotProvider,
)
from bot.alerts.repository import AlertRecord, AlertRepository, Mute, NewAlert, Watch
from bot.alerts.snapshot_views import AsView, SnapshotBaseline, views_of
from bot.cluster.identity import new_replica_id
from bot.core.errors import DataUnavailable
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from bot.core.values import Section
from bot.i18n import N_, Worded
from bot.live.rislive import FeedState, FeedStatus, RisEvent, RisSubscription
from bot.outage.model import Entity
from bot.routing.country_names import country_name

log = logging.getLogger(__name__)
FLUSH_SECONDS = 10.0


def subscriptions_for(watches: Sequence[Watch]) -> tuple[RisSubscription, ...]:
    """Prefix watches with their more-specifics; AS watches by origin (`<asn>$`)."""
    subs: dict[RisSubscription, None] = {}
    for watch in watches:
        if watch.kind is WatchKind.PREFIX:
            subs[RisSubscription(prefix=watch.target, more_specific=True)] = None
        elif watch.kind is WatchKind.ASN:
            subs[RisSubscription(path=f"{watch.target[2:]}$")] = None
    return tuple(subs)


class AlertService:
    """Component "alerts"."""

    name = "alerts"

    def __init__(
        self,
        settings: Settings,
        *,
        snapshots: SnapshotProvider | None = None,
        feeds: FeedFactory | None = None,
        rpki: RpkiChecker | None = None,
        probe: SiteProbe | None = None,
        outage: OutageWatch | None = None,
        clock: Clock = time.time,
        baseline: Baseline | None = None,
        exit_history: ExitHistory | None = None,
        batch_window: float = 2.0,
        tick_seconds: float = 5.0,
        replica_id: str = "",
    ) -> None:
        self.settings = settings
        self.replica_id = replica_id or new_replica_id()
        """This process's name in the cluster (the `Cluster` takes it over): the sender claims rows under it."""
        self.snapshots = snapshots
        self.feeds = feeds
        self.rpki = rpki
        self.probe = probe
        self.outage = outage
        self.clock = clock
        self.batch_window = batch_window
        self.tick_seconds = tick_seconds
        a = settings.alerts
        self.db = StateDB.from_settings(settings)
        self.repository = AlertRepository(self.db)
        self.engine = AlertEngine(self.repository, clock, a.silkroute_renotify_hours * 3600)
        if baseline is None and snapshots is not None:
            baseline = SnapshotBaseline(snapshots)
        self.origins = OriginMonitor(baseline)
        self.visibility = VisibilityMonitor(
            min_peers=a.silkroute_visibility_min_peers, confirm_seconds=a.silkroute_visibility_confirm_seconds
        )
        self.upstreams = UpstreamMonitor(baseline)
        self.exits = ExitShiftMonitor(a.silkroute_exit_shift_threshold)
        self.exit_history = exit_history
        self.drift = ExitDriftMonitor(a.silkroute_exit_shift_threshold, a.silkroute_exit_drift_days)
        self.feed_health = FeedHealthMonitor(a.silkroute_feed_silence_seconds, clock())
        self.sites = SiteMonitor()
        self.outages = OutageAlertMonitor()
        self._restorers: dict[AlertKind, Restorable] = {
            AlertKind.ORIGIN: self.origins,
            AlertKind.VISIBILITY: self.visibility,
            AlertKind.FEED: self.feed_health,
            AlertKind.SITE: self.sites,
            AlertKind.OUTAGE: self.outages,
        }
        """Monitors of conditions that stay open; news kinds (upstream, exit, test) have nothing to restore."""
        self._snapshot_checked: tuple[str, tuple[int, ...]] | None = None
        self.sink: AlertSink | None = None
        self.sender: OutboxSender | None = None
        self.feed: Feed | None = None
        self.feed_note = "not started"
        self.messages = 0
        self._watches: list[Watch] = []
        self._guilds_by_target: dict[str, set[int]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._sender_task: asyncio.Task[None] | None = None
        self._every_replica = False
        self._flush_on_close = False
        self._pumping = asyncio.Lock()
        self._monitoring = asyncio.Lock()
        """Held around "ask a monitor, apply its findings": the feed and the pump both do that, and an
        interleaving could resolve an alert before its opening is stored (the resolve would be lost)."""
        self._closed = False
        self.leading = True
        """Whether this process runs the feed and the monitors' clock. A lone process always does; among
        replicas only the lease holder does (`lead`/`stand_by`, called by the cluster). A Discord sender runs on
        every replica: each claims only its shards' guilds' rows, and a claim is exclusive."""
        self._background = False
        self._last_site_check = float("-inf")
        self._last_outage_check = float("-inf")

    # lifetime -----------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.db.open()
        await self._restore()

    async def _restore(self) -> None:
        """Watches and the monitors' open conditions as the database has them (another replica may have led)."""
        await self._sync_watches()
        for alert in await self.repository.open_alerts():
            if (monitor := self._restorers.get(alert.kind)) is not None:
                monitor.restore(alert)

    async def lead(self, term: int) -> None:
        """This replica won the lease: pick up the state the last leader left and start the singletons."""
        log.info("alerts: leading (term %d)", term)
        self.leading = True
        self.engine.term = term
        if self.db.is_open:
            await self._restore()
        if self.sender is not None:
            self._start_singletons()
            self.sender.resume()
            # A drain now takes over the rows of any replica whose heartbeat went stale (the last leader's too,
            # once its row is stale); a live replica's claims are left to it.
            self.sender.wake.set()

    async def stand_by(self) -> None:
        """Another replica leads (or this one lost the lease): stop the feed and the ticker; a Discord sender
        goes on delivering this process's shards' alerts, which the leader queues."""
        self.leading = False
        if self.sender is not None and not self._every_replica:
            await self.sender.stop()  # a delivery in progress is marked sent before the sender stops
        await self._stop_tasks()
        self.feed = None
        self.feed_note = "standby: another replica leads"

    async def attach(self, sink: AlertSink, *, background: bool = True, every_replica: bool = False) -> None:
        """Start delivering to `sink` and start the feed (a second call only swaps the sink).

        With `background=False` the caller runs `pump()` on its own schedule instead of our sender and
        ticker tasks (the Discord client uses `discord.ext.tasks`, which its test harness can drive).
        `every_replica`: the sink posts only its own shards' guilds (Discord), so it delivers whether or not this
        replica leads; otherwise (the console, which stands in for every guild) only the leader delivers, so a
        console opened beside Discord replicas does not take their guilds' alerts.
        """
        self.sink = sink
        if self.sender is not None:
            self.sender.sink = sink
            return
        await self.repository.retry_now()
        self.sender = OutboxSender(
            self.repository,
            sink,
            self.channel_of,
            self.clock,
            batch_window=self.batch_window,
            owner=self.replica_id,
            # SQLite has one replica by design; its heartbeat is written once, so its age says nothing
            stale_seconds=None
            if self.db.is_sqlite
            else self.settings.database.silkroute_replica_stale_seconds,
        )
        self._every_replica = every_replica
        if not (self.leading or every_replica):
            await self.sender.stop()
        self._background = background
        if background:
            self._flush_on_close = True
            self._sender_task = asyncio.create_task(self.sender.run(), name="alert-sender")
        if self.leading:
            self._start_singletons()
        self.sender.wake.set()

    def _start_singletons(self) -> None:
        if self._background and not self._tasks:
            self._tasks.append(asyncio.create_task(self._tick_forever(), name="alert-ticker"))
        self._start_feed()

    @property
    def delivering(self) -> bool:
        """Whether this process has an alert channel (Discord or the console) attached."""
        return self.sink is not None

    def _start_feed(self) -> None:
        """Connect to RIS Live once something is watched: with no watches there is nothing to listen for."""
        if self.feed is not None:
            return
        if not self._watches:
            self.feed_note = "idle: nothing watched yet"
            return
        if self.feeds is None:
            self.feed_note = (
                "off (SILKROUTE_OFFLINE=1): BGP monitors idle"
                if self.settings.core.silkroute_offline
                else "no RIS Live feed in this process"
            )
            return
        self.feed_note = "connecting"
        self.feed = self.feeds(self._subscriptions())
        self._tasks.append(asyncio.create_task(self._consume(self.feed), name="alert-feed"))

    async def close(self) -> None:
        """Stop without cutting a delivery in half: a message posted but not marked sent would go out again."""
        async with self._pumping:
            self._closed = True
        if self.sender is not None:
            if self._flush_on_close:
                await self._flush()
            await self.sender.stop()
        await self._stop_tasks()
        if self._sender_task is not None:
            self._sender_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender_task
            self._sender_task = None
        await self.db.close()

    async def _stop_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

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
            Worded(
                N_("{delivered} messages delivered, {failures} failed attempts"),
                delivered=sender.delivered,
                failures=sender.failures,
            )
            if sender
            else Worded(N_("no alert channel attached in this process"))
        )
        return Section(
            Worded(N_("Alerts")),
            Worded(
                N_("{watches} watches; RIS Live: {feed}, {messages} messages; {delivery}."),
                watches=len(self._watches),
                feed=self.feed_note,
                messages=self.messages,
                delivery=delivery,
            ),
        )

    # what handlers and buttons call ----------------------------------------------------------------
    async def add_watch(
        self, guild_id: int, kind: WatchKind, target: str, note: str, created_by: str
    ) -> Watch | None:
        """The new watch, already monitored; None when this guild watches the target already."""
        watch = await self.repository.add_watch(guild_id, kind, target, note, created_by, self.clock())
        if watch is not None:
            await self._sync_watches()
        return watch

    async def remove_watch(self, guild_id: int, target: str) -> int | None:
        """None when not watched; else how many open alerts for it were resolved with it (silently)."""
        resolved = await self.repository.remove_watch(guild_id, target, self.clock())
        if resolved is not None:
            await self._sync_watches()
        return resolved

    async def watches(self, guild_id: int) -> list[Watch]:
        return await self.repository.watches(guild_id)

    async def alert(self, alert_id: int) -> AlertRecord | None:
        return await self.repository.alert(alert_id)

    async def open_alerts(self, guild_id: int) -> list[AlertRecord]:
        return await self.repository.open_alerts(guild_id)

    async def history(self, guild_id: int, limit: int) -> list[AlertRecord]:
        return await self.repository.history(guild_id, limit)

    async def active_mutes(self, guild_id: int) -> list[Mute]:
        return await self.repository.active_mutes(self.clock(), guild_id)

    async def set_channel(self, guild_id: int, raw: str) -> ChannelRef:
        """Resolve `raw` with the attached sink (which knows its channels) and keep it for this guild."""
        assert self.sink is not None, "set_channel needs an attached sink; check `delivering` first"
        ref = await self.sink.resolve_channel(guild_id, raw)
        await self.repository.set_alert_channel(guild_id, ref.id)
        return ref

    async def ack(self, alerts: Sequence[AlertRecord], who: str) -> int:
        """Stop reminders of `alerts` (those one message showed) and of their guild's other open alerts for the
        same targets, in one transaction; how many were acknowledged now."""
        if not alerts:
            return 0
        ids = {a.id for a in alerts}
        targets = {a.target for a in alerts if a.target}
        guilds = {a.guild_id for a in alerts}
        for guild_id in guilds:
            ids |= {o.id for o in await self.repository.open_alerts(guild_id) if o.target in targets}
        return await self.repository.ack(sorted(ids), who)

    async def mute(self, guild_id: int, target: str, kind: str, seconds: float, who: str) -> Mute:
        """Silence `kind` (or `ALL_KINDS`) alerts for `target` (or `ANY_TARGET`) for `seconds`."""
        return await self.engine.mute(guild_id, target, kind, seconds, who)

    async def _sync_watches(self) -> None:
        """Re-read watches and re-point monitors and the feed's subscriptions at them."""
        old = set(self._subscriptions())
        self._watches = await self.repository.watches()
        self._guilds_by_target = {}
        for watch in self._watches:
            self._guilds_by_target.setdefault(watch.target, set()).add(watch.guild_id)
        targets = [(w.kind, w.target) for w in self._watches]
        self.origins.set_watches(targets)
        self.visibility.set_watches(targets)
        self.upstreams.set_watches(targets)
        new = set(self._subscriptions())
        if self.feed is None and self.sender is not None:
            self._start_feed()
        elif self.feed is not None:
            for sub in old - new:
                await self.feed.unsubscribe(sub)
            for sub in new - old:
                await self.feed.subscribe(sub)

    def _outage_targets(self) -> list[tuple[str, Entity]]:
        """Country watches, and AS watches for their multi-signal outage alert, as outage entities."""
        found: dict[str, Entity] = {}
        for watch in self._watches:
            if watch.kind is WatchKind.COUNTRY:
                found[watch.target] = Entity("country", watch.target, country_name(watch.target))
            elif watch.kind is WatchKind.ASN:
                found[watch.target] = Entity("asn", watch.target[2:])
        return sorted(found.items())

    def _subscriptions(self) -> tuple[RisSubscription, ...]:
        """The watches' own filters plus the outage watch's (its BGP view of every watched country and AS)."""
        subs = dict.fromkeys(subscriptions_for(self._watches))
        if self.outage is not None:
            subs.update(dict.fromkeys(self.outage.follow([e for _, e in self._outage_targets()])))
        return tuple(subs)

    def guilds_for(self, finding: Finding) -> set[int]:
        if finding.target:
            return self._guilds_by_target.get(finding.target, set())
        return {w.guild_id for w in self._watches}

    async def channel_of(self, guild_id: int) -> int | None:
        if guild_id == CONSOLE_GUILD:
            return 0
        return await self.repository.alert_channel(guild_id) or self.settings.discord.alert_channel_id

    # events -------------------------------------------------------------------------------------
    async def handle(self, event: RisEvent) -> list[AlertRecord]:
        """Feed one RIS Live event through the monitors; returns alerts opened or resolved."""
        if isinstance(event, FeedStatus):
            self.feed_note = f"{event.state.value}{' — ' + event.detail if event.detail else ''}"
            if self.outage is not None and event.state in (FeedState.CONNECTED, FeedState.DISCONNECTED):
                self.outage.feed_state(event.state is FeedState.CONNECTED, self._moment())
            async with self._monitoring:
                return await self._apply(self.feed_health.on_state(event, self.clock()))
        self.messages += 1
        if self.outage is not None:
            self.outage.observe(event, self._moment())
        async with self._monitoring:
            now = self.clock()
            origin_findings, candidates = self.origins.process(event)
            changed = await self._apply(
                [
                    *self.feed_health.on_message(now),
                    *origin_findings,
                    *self.visibility.process(event, now),
                    *self.upstreams.process(event, now),
                ]
            )
        for candidate in candidates:
            rpki = await self._rpki_of(candidate)
            async with self._monitoring:
                self.origins.confirm(candidate, alerted=rpki is not None)
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
            changed = await self._apply([*self.visibility.tick(now), *self.feed_health.tick(now)])
        changed += await self.check_snapshot()
        if await self.engine.renotify_due() and self.sender is not None:
            self.sender.wake.set()
        if (
            self.probe is not None
            and now - self._last_site_check >= self.settings.alerts.silkroute_site_check_minutes * 60
        ):
            self._last_site_check = now
            changed += await self.check_sites()
        if (
            self.outage is not None
            and now - self._last_outage_check >= self.settings.outage.silkroute_outage_check_minutes * 60
        ):
            self._last_outage_check = now
            changed += await self.check_outages()
        return changed

    def _moment(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def check_outages(self) -> list[AlertRecord]:
        """Judge every watched country and AS; an unavailable verdict (no snapshot yet) skips that round."""
        assert self.outage is not None
        changed: list[AlertRecord] = []
        for target, entity in self._outage_targets():
            try:
                verdict = await self.outage.verdict(entity)
            except DataUnavailable as exc:
                log.info("outage check of %s skipped: %s", target, exc.message)
                continue
            async with self._monitoring:
                changed += await self._apply(self.outages.observe(target, verdict))
        return changed

    async def check_snapshot(self) -> list[AlertRecord]:
        """Once per served snapshot (and per set of AS watches): compare each watched AS with the last view.

        Polling the provider's `current` on the tick sees every swap (refresher, `/data import`, a restart on
        a newer snapshot) without the store knowing about alerts. Alerts are applied before the new views are
        saved: a crash in between repeats the comparison, and the news rule keeps that from telling twice.
        """
        snapshot = self.snapshots.current if self.snapshots is not None else None
        asns = tuple(sorted({int(w.target[2:]) for w in self._watches if w.kind is WatchKind.ASN}))
        if snapshot is None or (snapshot.snapshot_id, asns) == self._snapshot_checked:
            return []
        previous: dict[int, AsView] = {}
        for asn in asns:
            stored = await self.repository.snapshot_view(f"AS{asn}")
            if stored is not None:
                previous[asn] = AsView.from_json(stored)
        stale = [a for a in asns if a not in previous or previous[a].snapshot_id != snapshot.snapshot_id]
        views = await asyncio.to_thread(views_of, snapshot, stale)
        findings: list[Finding] = []
        for asn, view in views.items():
            shifted = self.exits.compare(f"AS{asn}", previous[asn], view) if asn in previous else []
            if asn in previous:
                findings += shifted + self.upstreams.compare_snapshots(f"AS{asn}", previous[asn], view)
            since = self.drift.since(view)
            if not shifted and self.exit_history is not None and since is not None:
                points = await self.exit_history(f"AS{asn}", since)
                findings += self.drift.compare(f"AS{asn}", view, points)
        async with self._monitoring:
            changed = await self._apply(findings)
        await self.repository.save_snapshot_views(
            {f"AS{asn}": (view.snapshot_id, view.to_json()) for asn, view in views.items()},
            self.clock(),
            keep=[f"AS{asn}" for asn in asns],
        )
        self._snapshot_checked = (snapshot.snapshot_id, asns)
        return changed

    async def check_sites(self) -> list[AlertRecord]:
        assert self.probe is not None
        changed: list[AlertRecord] = []
        for site in sorted({w.target for w in self._watches if w.kind is WatchKind.SITE}):
            check = await self.probe(site)
            async with self._monitoring:
                changed += await self._apply(self.sites.observe(site, check))
        return changed

    async def send_test(self, guild_id: int, who: str) -> AlertRecord:
        """A sample alert through the real path: state, outbox, sender, sink."""
        now = self.clock()
        title = Worded(N_("Test alert"))
        summary = Worded(N_("Requested by {who}. If you can read this, alerts reach this channel."), who=who)
        record = await self.repository.create_alert(
            NewAlert(
                guild_id=guild_id,
                dedupe_key=f"test:{now}",
                kind=AlertKind.TEST,
                target="",
                severity=AlertSeverity.INFO,
                title=title,
                summary=summary,
                evidence={"paths": [["rrc00/192.0.2.1", "3216 9198"]], **wording(title, summary)},
            ),
            now,
            muted=False,
            event=OutboxEvent.TEST,
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
                if self.leading:
                    await self.tick()
                if self.sender is not None:
                    await self.sender.drain_once()
            except Exception:
                log.exception("alert tick failed")

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            await self.pump()
