"""The serving snapshot as a long-lived component, with the optional background refresh.

Handlers read `store.current` once per answer; a refresh or import swaps in a new Snapshot object, so an
answer in progress finishes on the snapshot it started with. The store also owns what is cached per
snapshot (the transit and country-profile indexes), so a swap drops it with the snapshot it described.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from bot.core.errors import DataUnavailable
from bot.core.settings import Settings
from bot.core.values import Section
from bot.i18n import N_, Worded
from bot.routing.country_profile import ProfileIndex, ProfileIndexes
from bot.routing.importer import ImportReport
from bot.routing.refresh import RefreshState, refresh_forever
from bot.routing.snapshot import Snapshot, discard, load_current
from bot.routing.transit import TransitIndex, TransitIndexes

log = logging.getLogger(__name__)
# Told the folder of every snapshot a refresh built, served or not (the history recorder, given by the wiring).
ImportListener = Callable[[Path], Awaitable[object]]

NO_SNAPSHOT = Worded(
    N_(
        "No routing snapshot is loaded yet. Build one with `silkroute data update` (downloads public data) or "
        "`silkroute data import RIB.bz2 delegated-extended asnames.json`."
    )
)


class SnapshotStore:
    """Component "snapshot": loads `data_dir/current` off the event loop and serves it until replaced."""

    name = "snapshot"

    def __init__(
        self, data_dir: Path, settings: Settings | None = None, on_import: ImportListener | None = None
    ) -> None:
        self.data_dir = data_dir
        self.settings = settings
        self.on_import = on_import
        self.current: Snapshot | None = None
        self.error = ""
        self.refresher: asyncio.Task[None] | None = None
        self.refresh_state = RefreshState()
        self._transit = TransitIndexes()
        self._profiles = ProfileIndexes()

    async def start(self) -> None:
        """Load the current snapshot; start the refresher when settings allow (online, interval > 0)."""
        try:
            await self.reload()
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            self.error = f"could not load the snapshot in {self.data_dir}: {exc}"
            log.exception("loading the routing snapshot failed")
        settings = self.settings
        if (
            settings
            and settings.routing.silkroute_update_interval_hours
            and not settings.core.silkroute_offline
        ):
            self.refresher = asyncio.create_task(
                refresh_forever(settings, self.serve_import, self.last_built, state=self.refresh_state)
            )

    def last_built(self) -> datetime | None:
        """When the serving snapshot was built (the refresher counts its interval from it); None without one."""
        return self.current.provenance.built_at if self.current else None

    async def serve_import(self, report: ImportReport) -> None:
        """Serve what a refresh built, tell the listener (history), then drop it if it was kept aside (older)."""
        await self.reload()
        try:
            if self.on_import is not None:
                await self.on_import(report.folder)
        finally:
            if not report.serving:
                await asyncio.to_thread(discard, report.folder)

    async def reload(self) -> Snapshot | None:
        """Serve whatever `current` points to now; the old snapshot serves until the new one is loaded."""
        fresh = await asyncio.to_thread(load_current, self.data_dir)
        self.current, self.error = fresh, ""
        return fresh

    def require(self) -> Snapshot:
        """The serving snapshot, or DataUnavailable telling the operator how to get one."""
        if self.current is None:
            raise DataUnavailable(NO_SNAPSHOT, example="silkroute data update")
        return self.current

    def transit_index(self) -> TransitIndex:
        """The transit index (with its result and chart caches) of the serving snapshot, one per snapshot."""
        return self._transit.for_snapshot(self.require())

    def served_index(self, folder: Path) -> tuple[Snapshot, TransitIndex] | None:
        """The serving snapshot and its transit index when `folder` is the one served, else None: work done on
        this index (history's recording after an import) leaves `/transit` warm."""
        current = self.current
        if current is None or current.snapshot_id != folder.name:
            return None
        return current, self._transit.for_snapshot(current)

    def profile_index(self) -> ProfileIndex:
        """The country-profile index (profiles, sizes, charts) of the serving snapshot, one per snapshot."""
        return self._profiles.for_snapshot(self.require())

    async def close(self) -> None:
        if self.refresher is not None:
            self.refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.refresher
            self.refresher = None

    def status(self) -> Section:
        refresh = self.refresh_state.describe()
        snapshot = self.current
        if snapshot is None:
            text = self.error or (
                f"No routing snapshot in {self.data_dir}. Run `silkroute data update` or "
                "`silkroute data import FILE...`."
            )
            return Section("Routing snapshot", f"{text} {refresh[:1].upper()}{refresh[1:]}".strip())
        p = snapshot.provenance
        date = p.data_date.strftime("%Y-%m-%d %H:%M UTC") if p.data_date else "unknown"
        return Section(
            "Routing snapshot",
            f"{snapshot.snapshot_id}: data of {date}, {p.prefixes_v4:,} IPv4 + {p.prefixes_v6:,} IPv6 prefixes, "
            f"{p.routes:,} routes from {p.vantage_points} vantage points "
            f"({', '.join(c.name for c in p.collectors) or 'no collector: IP -> AS only'})"
            + f"; {snapshot.disk_bytes() / 1e6:,.1f} MB on disk"
            + (f", built in {p.import_seconds:,.1f} s" if p.import_seconds else "")
            + (f"; {len(p.truncated_files)} truncated file(s)" if p.truncated_files else "")
            + (f"; {refresh}" if refresh else ""),
        )
