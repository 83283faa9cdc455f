"""The composition root: every long-lived part is built here, once, with explicit typed arguments.

Nothing below the application layer looks a collaborator up: the snapshot store, the live sources and the
alert system are constructed in order and handed what they use. Each component reports its own health for
`/status`, so the status command needs no knowledge of the areas.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from bot.alerts.service import AlertSystem
from bot.app.features.outage.panel_check import ReachHostCheck
from bot.core.settings import Settings
from bot.core.values import Section
from bot.live import LiveSources
from bot.outage.service import OutageService
from bot.reach.probe import ReachConfig
from bot.routing.snapshot_store import SnapshotStore


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
    alerts: AlertSystem
    outage: OutageService
    started_at: float = field(default_factory=time.time)
    failed_extensions: dict[str, str] = field(default_factory=dict)

    @property
    def components(self) -> list[Component]:
        """In start order: the alert system and the outage watch use the snapshot and the live sources."""
        return [self.snapshots, self.live, self.alerts, self.outage]

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


def build_services(settings: Settings, *, long_running: bool = True) -> Services:
    """Create every component from settings, without starting anything (no I/O here).

    A one-shot `silkroute ask` is not long-running: it must not start the daily data refresh, which
    would begin a download at once when there is no snapshot yet.
    """
    snapshots = SnapshotStore(settings.core.silkroute_data_dir, settings if long_running else None)
    live = LiveSources(settings)
    alerts = AlertSystem(settings, snapshots=snapshots, live=live)
    outage = OutageService(
        settings,
        snapshots=snapshots,
        live=live,
        check=ReachHostCheck(partial(ReachConfig.from_settings, settings)),
        run_panel=long_running,
    )
    return Services(settings=settings, snapshots=snapshots, live=live, alerts=alerts, outage=outage)
