"""The composition root: every long-lived part is built here, once, with explicit typed arguments.

Nothing below the application layer looks a collaborator up: the snapshot store, the live sources and the
alert system are constructed in order and handed what they use. Each component reports its own health for
`/status`, so the status command needs no knowledge of the areas.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from bot.alerts.repository import AlertStore
from bot.alerts.service import AlertSystem
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from bot.core.values import Section
from bot.history.recorder import HistoryRecorder, WatchedAsns
from bot.history.store import HistoryStore
from bot.live import LiveSources
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
    history: HistoryRecorder
    started_at: float = field(default_factory=time.time)
    failed_extensions: dict[str, str] = field(default_factory=dict)

    @property
    def components(self) -> list[Component]:
        """In start order: the alert system uses the snapshot and the live sources; history reads its watches."""
        return [self.snapshots, self.live, self.alerts, self.history]

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


async def watched_asns(store: AlertStore) -> list[int]:
    """Every AS some server watches: each gets a history point at every import, beside the countries."""
    return sorted({int(w.target[2:]) for w in await store.watches() if w.kind == "asn"})


def build_history(settings: Settings, watched: WatchedAsns) -> HistoryRecorder:
    return HistoryRecorder(
        HistoryStore(settings.history.silkroute_history_db), settings.history.countries, watched
    )


def standalone_history(settings: Settings) -> HistoryRecorder:
    """The recorder for the one-shot `silkroute data` commands, reading the watches from the state file."""

    async def watched() -> list[int]:
        db = StateDB(settings.core.silkroute_state_db)
        await db.open()
        try:
            return await watched_asns(AlertStore(db))
        finally:
            await db.close()

    return build_history(settings, watched)


def build_services(settings: Settings, *, long_running: bool = True) -> Services:
    """Create every component from settings, without starting anything (no I/O here).

    A one-shot `silkroute ask` is not long-running: it must not start the daily data refresh, which
    would begin a download at once when there is no snapshot yet. The refresh tells the history recorder
    about each snapshot it builds; the recorder reads the watched ASes from the alert system's store.
    """
    snapshots = SnapshotStore(settings.core.silkroute_data_dir, settings if long_running else None)
    live = LiveSources(settings)
    alerts = AlertSystem(settings, snapshots=snapshots, live=live)
    history = build_history(settings, lambda: watched_asns(alerts.store))
    snapshots.on_import = history.record
    return Services(settings=settings, snapshots=snapshots, live=live, alerts=alerts, history=history)
