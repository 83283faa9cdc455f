"""Helpers every test area shares (python-discord/bot keeps the same in `tests/helpers.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from bot.alerts.service import AlertService
from bot.app.limits import FairUse
from bot.app.wiring import Services, compose_services
from bot.core.settings import Settings
from bot.live import LiveSources
from bot.outage.service import OutageService
from bot.routing.snapshot import Snapshot
from bot.routing.snapshot_store import SnapshotStore

BACKENDS = ("sqlite", "postgresql")
both_databases = pytest.mark.parametrize("database", BACKENDS, indirect=True)
"""`pytestmark = both_databases` (or the decorator) runs a test once per state backend (tests/conftest.py `database`)."""
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
"""For a test about the SQLite file itself, or one that keeps two independent state files: it runs on SQLite even
when the whole suite runs on PostgreSQL (SILKROUTE_TEST_DATABASE=postgresql)."""


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
    replica: bool = False,
) -> Services:
    """The real composition of components, with the given parts swapped in; nothing is started (no I/O).

    Not a replica by default: no leader lease or heartbeat loops (tests/bot/cluster starts those itself), so a
    simulated Discord's virtual clock has nothing of ours to wait for on PostgreSQL either."""
    settings = settings or Settings()
    snapshots = snapshots or serving(snapshot)
    live = live or LiveSources(settings)
    outage = outage or OutageService(settings, snapshots=snapshots, live=live)
    return compose_services(settings, snapshots, live, outage, limits=limits, alerts=alerts, replica=replica)


class ManualClock:
    """Time that moves only when a test says so (pass it wherever the code takes a clock)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
