"""Helpers every test area shares (python-discord/bot keeps the same in `tests/helpers.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from bot.alerts.service import AlertService
from bot.app.limits import FairUse
from bot.app.wiring import Services, build_alerts, service_history
from bot.core.settings import Settings
from bot.live import LiveSources
from bot.outage.service import OutageService
from bot.routing.snapshot import Snapshot
from bot.routing.snapshot_store import SnapshotStore


def serving(view: Any) -> SnapshotStore:
    """A real snapshot store serving `view` (a hand-built route set or a loaded snapshot) without a data dir."""
    store = SnapshotStore(Path("unused"))
    store.current = cast(Snapshot, view)
    return store


def make_services(
    settings: Settings | None = None,
    *,
    snapshot: Any = None,
    snapshots: SnapshotStore | None = None,
    live: LiveSources | None = None,
    alerts: AlertService | None = None,
    limits: FairUse | None = None,
    outage: OutageService | None = None,
) -> Services:
    """The real composition of components, with the given parts swapped in; nothing is started (no I/O)."""
    settings = settings or Settings()
    snapshots = snapshots or serving(snapshot)
    live = live or LiveSources(settings)
    outage = outage or OutageService(settings, snapshots=snapshots, live=live)
    limits = limits or FairUse(settings.limits)
    alerts = alerts or build_alerts(settings, snapshots, live, limits, outage)
    history = service_history(settings, snapshots, alerts)
    return Services(
        settings=settings,
        snapshots=snapshots,
        live=live,
        alerts=alerts,
        limits=limits,
        outage=outage,
        history=history,
    )
