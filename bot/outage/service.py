"""The outage component: builds the signals once, judges an entity on demand, and runs the probe panel.

`/outage` asks `verdict(entity)`; the alert system (country and AS watches) asks the same and hands the
verdicts to `OutageMonitor`. The bot's own BGP tracker is fed by whoever owns the shared RIS Live socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.settings import Settings
from bot.core.values import Section
from bot.i18n import N_, Worded
from bot.live import LiveSources
from bot.live.rislive import RisMessage, RisSubscription
from bot.outage.bgp import BgpTracker
from bot.outage.model import Entity, SignalData, Verdict
from bot.outage.panel import HostCheck, ProbePanel
from bot.outage.signals import (
    AtlasSignal,
    IhrDiscoSignal,
    RipestatPrefixesSignal,
    Signal,
    collect,
    ioda_signals,
)
from bot.outage.verdict import Thresholds, judge
from bot.routing.snapshot_store import SnapshotStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OwnBgpSignal:
    """The tracker as a signal: needs a serving snapshot for its baseline."""

    tracker: BgpTracker
    snapshots: SnapshotStore
    clock: Callable[[], datetime]
    name: str = BgpTracker.name
    family: str = BgpTracker.family

    def applies(self, entity: Entity) -> bool:
        return True

    async def fetch(self, entity: Entity, start: datetime, end: datetime) -> SignalData:
        return self.tracker.data(entity, self.snapshots.require(), self.clock())


class OutageService:
    """Component "outage": the signals, the thresholds, and the panel's periodic rounds."""

    name = "outage"

    def __init__(
        self,
        settings: Settings,
        *,
        snapshots: SnapshotStore,
        live: LiveSources,
        check: HostCheck | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        run_panel: bool = False,
    ) -> None:
        outage = settings.outage
        self.thresholds = Thresholds.from_settings(outage)
        self.clock = clock
        self.snapshots = snapshots
        self.bgp = BgpTracker(settings.alerts.silkroute_visibility_min_peers)
        step = int(outage.silkroute_outage_panel_minutes * 60)
        self.panel = ProbePanel(outage.panel_hosts, check, step) if check is not None else None
        own: list[Signal] = [OwnBgpSignal(self.bgp, snapshots, clock)]
        if self.panel is not None:
            own.append(self.panel)
        self.own_signals = own
        self.signals: list[Signal] = [
            *own,
            *ioda_signals(live.ioda),
            AtlasSignal(live.atlas_probes),
            IhrDiscoSignal(live.ihr),
            RipestatPrefixesSignal(live.ripestat),
        ]
        self._run_panel = run_panel and self.panel is not None
        self._task: asyncio.Task[None] | None = None
        self.leading = True  # a lone process polls; among replicas only the leader does
        self._started = False

    async def verdict(self, entity: Entity) -> Verdict:
        """Every applicable signal fetched at once and judged by the verdict rules at the clock's now."""
        now = self.clock()
        inputs = await collect(self.signals, entity, now - self.thresholds.history, now)
        return judge(entity, inputs, now, self.thresholds)

    def follow(self, entities: Sequence[Entity]) -> tuple[RisSubscription, ...]:
        """Track these entities in the own BGP view (from the serving snapshot) and say what to subscribe to."""
        snapshot = self.snapshots.current
        if snapshot is not None:
            for entity in entities:
                if entity.key not in self.bgp.entities:
                    self.bgp.track(entity, snapshot)
        return self.bgp.subscriptions()

    def observe(self, message: RisMessage, now: datetime) -> None:
        self.bgp.observe(message, now)

    def feed_state(self, connected: bool, now: datetime) -> None:
        """The shared feed connected or dropped: without it the own BGP signal has no present value."""
        if connected:
            self.bgp.connected(now)
        else:
            self.bgp.disconnected()

    async def start(self) -> None:
        """Long-running processes check the panel every few minutes; one-shot commands never probe."""
        self._started = True
        if self._run_panel and self.leading:
            self._task = asyncio.create_task(self._panel_forever(), name="outage-panel")

    async def lead(self, term: int) -> None:
        """This replica holds the lease: it alone polls the panel (the cluster calls this and `stand_by`)."""
        del term
        self.leading = True
        if self._started and self._task is None:
            await self.start()

    async def stand_by(self) -> None:
        self.leading = False
        await self.close()

    async def _panel_forever(self) -> None:
        assert self.panel is not None
        while True:
            await asyncio.sleep(self.panel.step_seconds)
            try:
                await self.panel.run_round(self.clock())
            except Exception:
                log.exception("outage probe panel round failed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def status(self) -> Section:
        panel = (
            Worded(
                N_("probe panel of {hosts} hosts, {rounds} rounds"),
                hosts=len(self.panel.hosts),
                rounds=len(self.panel.rounds),
            )
            if self.panel is not None
            else Worded(N_("no probe panel"))
        )
        feed = (
            Worded(N_("RIS Live connected")) if self.bgp.feed_since else Worded(N_("RIS Live not connected"))
        )
        return Section(
            Worded(N_("Outage watch")),
            Worded(
                N_("{count} entities tracked in BGP ({feed}); {panel}."),
                count=len(self.bgp.entities),
                feed=feed,
                panel=panel,
            ),
        )
