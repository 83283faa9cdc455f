"""The composition root: every long-lived part is built here, once, with explicit typed arguments.

Nothing below the application layer looks a collaborator up: the snapshot store, the live sources and the
alert system are constructed in order and handed what they use. Each component reports its own health for
`/status`, so the status command needs no knowledge of the areas.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from bot.alerts.model import SiteState, WatchKind
from bot.alerts.ports import ExitHistory, ExitPoint, FeedFactory, SiteCheck, SiteProbe
from bot.alerts.repository import AlertRepository
from bot.alerts.service import AlertService
from bot.app.limits import FairUse
from bot.cluster.service import Cluster
from bot.core.guild_languages import GuildLanguages
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from bot.core.values import Section
from bot.history.changes import exit_shares
from bot.history.recorder import HistoryRecorder, ServedIndex, Watched, WatchedTargets
from bot.history.store import HistoryStore
from bot.live import LiveSources
from bot.live.cache import LiveCache
from bot.live.rislive_fanout import publishing
from bot.live.shared_cache import SharedLiveCache
from bot.net.dns import resolve
from bot.outage.service import OutageService
from bot.reach.probe import ReachConfig, check_target
from bot.reach.site import parse_target
from bot.reach.tls import tcp_connect, tls_handshake
from bot.routing.snapshot_store import SnapshotStore
from bot.shared_state.events import SNAPSHOT_SWITCHED, EventBus, LocalBus, Publisher, RedisBus
from bot.shared_state.redis_link import RedisLink
from bot.shared_state.redis_windows import RedisWindows
from bot.shared_state.shards import Shards


class Component(Protocol):
    """A part with a lifetime and a health line; `/status` shows every component's `status()`."""

    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def status(self) -> Section: ...


@dataclass
class Services:
    """Everything handlers share, by name and type. Built once per process by `build_services`."""

    settings: Settings
    snapshots: SnapshotStore
    live: LiveSources
    alerts: AlertService
    limits: FairUse
    outage: OutageService
    history: HistoryRecorder
    cluster: Cluster
    redis: RedisLink | None = None
    events: EventBus = field(default_factory=LocalBus)
    started_at: float = field(default_factory=time.time)
    failed_extensions: dict[str, str] = field(default_factory=dict)
    languages: GuildLanguages = field(init=False)
    """Each server's language, kept in the alert service's state database (opened when alerts start)."""

    def __post_init__(self) -> None:
        self.languages = GuildLanguages(self.alerts.db)

    @property
    def components(self) -> list[Component]:
        """In start order: Redis first when shared state is on; then the cluster (replicas learn whether they lead
        before any singleton starts, and it lets go of the lease last); the alert system and the outage watch use
        the snapshot and the live sources; history reads the alert system's watches."""
        shared = [self.redis] if self.redis is not None else []
        return [
            *shared,
            self.cluster,
            self.snapshots,
            self.live,
            self.alerts,
            self.limits,
            self.outage,
            self.history,
        ]

    async def start(self) -> None:
        for component in self.components:
            await component.start()

    async def close(self) -> None:
        """Close in reverse start order; one failing close must not keep the others open."""
        for component in reversed(self.components):
            try:
                await component.close()
            except Exception:
                logging.getLogger(__name__).exception("closing %s failed", component.name)


async def watched_targets(repository: AlertRepository) -> Watched:
    """Every AS, country and prefix some server watches: each gets a history point at every import, beside
    the configured countries (a watched country's origin ASes too, as for a configured one)."""
    watches = await repository.watches()
    return Watched(
        countries=sorted({w.target.upper() for w in watches if w.kind is WatchKind.COUNTRY}),
        asns=sorted({int(w.target[2:]) for w in watches if w.kind is WatchKind.ASN}),
        prefixes=sorted({w.target for w in watches if w.kind is WatchKind.PREFIX}),
    )


def build_history(
    settings: Settings, watched: WatchedTargets, served: ServedIndex | None = None
) -> HistoryRecorder:
    return HistoryRecorder(HistoryStore.from_settings(settings), settings.history.countries, watched, served)


def standalone_history(settings: Settings) -> HistoryRecorder:
    """The recorder for the one-shot `silkroute data` commands, reading the watches from the state file."""

    async def watched() -> Watched:
        db = StateDB.from_settings(settings)
        await db.open()
        try:
            return await watched_targets(AlertRepository(db))
        finally:
            await db.close()

    return build_history(settings, watched)


def service_history(
    settings: Settings, snapshots: SnapshotStore, alerts: AlertService, events: Publisher
) -> HistoryRecorder:
    """The running bot's recorder: watches from the alert service's repository, told of every refresh; then
    the event bus hears that a new snapshot serves (other processes sharing the data folder can reload)."""
    history = build_history(settings, lambda: watched_targets(alerts.repository), snapshots.served_index)

    async def imported(folder: Path) -> None:
        await history.record(folder)
        current = snapshots.current
        if current is not None and current.snapshot_id == folder.name:
            await events.publish(SNAPSHOT_SWITCHED, {"snapshot": folder.name})

    snapshots.on_import = imported
    return history


def build_services(settings: Settings, *, long_running: bool = True) -> Services:
    """Create every component from settings, without starting anything (no I/O here).

    A one-shot `silkroute ask` is not long-running: it must not start the daily data refresh, which
    would begin a download at once when there is no snapshot yet.
    """
    snapshots = SnapshotStore(settings.core.silkroute_data_dir, settings if long_running else None)
    redis = RedisLink(settings.redis.silkroute_redis_url) if settings.redis.silkroute_redis_url else None
    live = LiveSources(settings, cache=shared_live_cache(settings, redis))
    outage = OutageService(
        settings,
        snapshots=snapshots,
        live=live,
        check=ReachHostCheck(partial(ReachConfig.from_settings, settings)),
        run_panel=long_running,
    )
    return compose_services(
        settings,
        snapshots,
        live,
        outage,
        limits=shared_limits(settings, redis),
        redis=redis,
        replica=long_running,
    )


def event_bus(redis: RedisLink | None) -> EventBus:
    """Events reach every process through Redis Streams when Redis is configured, else this process only."""
    return LocalBus() if redis is None else RedisBus(redis)


def shared_live_cache(settings: Settings, redis: RedisLink | None) -> LiveCache | None:
    """With Redis, live answers and their single-flight are shared by every process; else the default cache."""
    if redis is None:
        return None
    return SharedLiveCache(redis, lock_seconds=settings.redis.silkroute_redis_lock_seconds)


def shared_limits(settings: Settings, redis: RedisLink | None) -> FairUse | None:
    """With Redis, quota windows count every process's uses, on the wall clock they all share."""
    if redis is None:
        return None
    return FairUse(settings.limits, time.time, RedisWindows(redis))


def compose_services(
    settings: Settings,
    snapshots: SnapshotStore,
    live: LiveSources,
    outage: OutageService,
    *,
    limits: FairUse | None = None,
    alerts: AlertService | None = None,
    redis: RedisLink | None = None,
    replica: bool = True,
) -> Services:
    """The parts that follow from the data sources: limits, alerts (using all of them), history (reading the
    alerts' watches) and the cluster, which starts the singletons (alerts, outage poller) only while this
    replica leads. Tests hand in their own sources, limits or alert service and keep the rest real."""
    limits = limits or FairUse(settings.limits)
    events = event_bus(redis)
    alerts = alerts or build_alerts(settings, snapshots, live, limits, outage, events)
    history = service_history(settings, snapshots, alerts, events)
    if replica:
        snapshots.follow(events)  # the leader refreshes the shared data folder; every replica re-opens it
    cluster = Cluster(
        settings,
        [snapshots, alerts, outage],
        alerts.db,
        active=replica,
        shards=Shards.from_settings(settings.shards).describe,  # the `replicas.shards` column /status lists
        replica_id=alerts.replica_id,
    )
    return Services(
        settings=settings,
        snapshots=snapshots,
        live=live,
        alerts=alerts,
        limits=limits,
        outage=outage,
        history=history,
        redis=redis,
        events=events,
        cluster=cluster,
    )


def reach_probe(settings: Settings, limits: FairUse | None = None) -> SiteProbe:
    """Watched sites are checked by the same stages as `/reach`, within the process-wide probe cap; only the
    verdict and its reason matter.

    The adapter lives here so that `bot.alerts` never imports `bot.reach`.
    """
    config = ReachConfig.from_settings(settings)

    async def probe(site: str) -> SiteCheck:
        async with limits.probe_slot() if limits is not None else contextlib.nullcontext():
            report = await check_target(parse_target(site), config, None)
        # "reachable" is the one reach verdict that means up; the others name the stage that failed.
        state = SiteState.UP if report.verdict == "reachable" else SiteState.DOWN
        return SiteCheck(state, report.verdict, report.reason)

    return probe


def build_alerts(
    settings: Settings,
    snapshots: SnapshotStore,
    live: LiveSources,
    limits: FairUse | None = None,
    outage: OutageService | None = None,
    events: Publisher | None = None,
) -> AlertService:
    """The alert service with what it uses from routing, live and reach, each through its port.

    Offline (tests, air-gapped runs) nothing is probed and no feed is opened: no site checks rather than
    false "down"s, and the BGP monitors say they are idle.
    """
    offline = settings.core.silkroute_offline
    feeds: FeedFactory | None = None if live.offline else live.rislive
    if not live.offline and events is not None:
        feeds = publishing(live.rislive, events)  # replicas follow BGP through the bus, not their own socket
    return AlertService(
        settings,
        snapshots=snapshots,
        feeds=feeds,
        rpki=live.ripestat,
        probe=None if offline else reach_probe(settings, limits),
        outage=outage,
        exit_history=history_exits(HistoryStore.from_settings(settings)),
    )


# A host answers when one of its first addresses completes the handshake; two is enough to ride out one
# dead front end without turning a round into a scan.
ADDRESSES_TRIED = 2


@dataclass
class ReachHostCheck:
    """The outage probe panel's `HostCheck`: TCP connect + TLS handshake to `host` on `port`, refused where
    `/reach` would refuse. It lives here so that `bot.outage` never imports `bot.reach`."""

    make_config: Callable[[], ReachConfig]
    port: int = 443
    _config: ReachConfig | None = field(default=None, init=False)

    def config(self) -> ReachConfig:
        """Built on first use, so a bad reach setting shows up in the panel, not as a start-up crash."""
        if self._config is None:
            self._config = self.make_config()
        return self._config

    async def __call__(self, host: str) -> bool:
        config = self.config()
        lookup = await resolve(host, config.system_resolver, config.timeout)
        for text in lookup.addresses[:ADDRESSES_TRIED]:
            address = ipaddress.ip_address(text)
            if config.policy.refusal(address, self.port) is not None:
                continue
            _, streams = await tcp_connect(address, self.port, config.timeout)
            if streams is None:
                continue
            tls = await tls_handshake(
                streams, host, config.timeout, detector=config.detector, extra_ca_file=config.extra_ca_file
            )
            if tls.status == "ok":
                return True
        return False


def history_exits(store: HistoryStore) -> ExitHistory:
    """The drift monitor's view of the history file: each point's date and exit shares, off the event loop."""

    async def points(target: str, since: str) -> list[ExitPoint]:
        series = await asyncio.to_thread(store.series, target, since)
        return [(p.date, exit_shares(p.view)) for p in series]

    return points
