"""The serving snapshot as a long-lived component, with the optional background refresh.

Handlers read `store.current` once per answer; a refresh or import swaps in a new Snapshot object, so an
answer in progress finishes on the snapshot it started with. The store also owns what is cached per
snapshot (the transit and country-profile indexes), so a swap drops it with the snapshot it described.

Replicas share one data folder: only the lease holder refreshes it (the store is a cluster singleton:
`lead`/`stand_by`), and every store that follows the event bus re-opens `current` when the leader says it
switched. Without Redis that event stays in the leader's process, so a long-running store also re-reads the
`current` link every `silkroute_snapshot_recheck_seconds` (a few system calls) and switches when it moved: a
follower serves a new snapshot within one re-check of the switch, with or without Redis. `install_snapshot`
renames a complete folder in and then repoints `current`, so a reload never sees a half-written build.

While serving, a long-running store claims its folder in the data folder (`served`), refreshed at every
re-check, so the prune after the leader's next import leaves it alone until this store has switched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from bot.core.errors import DataUnavailable
from bot.core.settings import Settings
from bot.core.values import Section
from bot.i18n import N_, Worded
from bot.routing.country_profile import ProfileIndex, ProfileIndexes
from bot.routing.importer import ImportReport
from bot.routing.refresh import RefreshState, Sleep, refresh_forever
from bot.routing.served import claim, owner_token, release
from bot.routing.snapshot import Snapshot, current_folder, discard
from bot.routing.transit import TransitIndex, TransitIndexes
from bot.shared_state.events import SNAPSHOT_SWITCHED, Subscriber, Subscription

log = logging.getLogger(__name__)
# Told the folder of every snapshot a refresh built, served or not (the history recorder, given by the wiring).
ImportListener = Callable[[Path], Awaitable[object]]
WallClock = Callable[[], float]
CLAIM_RECHECKS = 6
"""A claim lasts this many re-checks (at least MIN_CLAIM_SECONDS): a store whose loop is late a few times keeps
its folder, and a dead replica's folder is free again within that time."""
MIN_CLAIM_SECONDS = 60.0

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
        self,
        data_dir: Path,
        settings: Settings | None = None,
        on_import: ImportListener | None = None,
        *,
        clock: WallClock = time.time,
        sleep: Sleep = asyncio.sleep,
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
        self.leading = True
        """Whether this process refreshes the data folder: a lone store does, replicas only while leading."""
        self._started = False
        self._switches: Subscriber | None = None
        self._follower: asyncio.Task[None] | None = None
        self._subscription: Subscription | None = None
        self.followed = 0
        """How many switches made by another process this store re-opened (announced or found by a re-check)."""
        self.clock = clock
        self.sleep = sleep
        self.owner = owner_token()
        self._opened: Path | None = None
        """The folder the last load attempt found in `current` (loaded or not): a re-check reloads only when
        `current` points elsewhere, so a broken build is not retried (and logged) every few seconds."""
        self._loading = asyncio.Lock()
        self._rechecker: asyncio.Task[None] | None = None

    def follow(self, switches: Subscriber) -> None:
        """Re-open `current` whenever a `snapshot-switched` event arrives (from `start` on)."""
        self._switches = switches

    async def start(self) -> None:
        """Load the current snapshot, follow the switches, and refresh when leading and settings allow."""
        if self._switches is not None:
            # Subscribe before loading: a switch between the load and the subscription would be missed.
            try:
                subscription = await self._switches.subscribe(SNAPSHOT_SWITCHED)
            except Exception:
                log.exception("cannot follow snapshot switches; this process serves what it loads now")
            else:
                self._subscription = subscription
                self._follower = asyncio.create_task(self._follow(subscription), name="snapshot-follower")
        await self._load()
        self._started = True
        self._start_refresher()
        if self.settings is not None:
            self._rechecker = asyncio.create_task(self._recheck_forever(), name="snapshot-recheck")

    @property
    def claims(self) -> bool:
        """Whether this store claims what it serves: long-running ones do (a one-shot answer is over before
        an import could prune its folder)."""
        return self.settings is not None

    def _claim_until(self) -> float:
        seconds = self.settings.routing.silkroute_snapshot_recheck_seconds if self.settings else 0.0
        return self.clock() + max(MIN_CLAIM_SECONDS, CLAIM_RECHECKS * seconds)

    async def _recheck_forever(self) -> None:
        assert self.settings is not None
        while True:
            await self.sleep(self.settings.routing.silkroute_snapshot_recheck_seconds)
            try:
                await self.recheck()
            except Exception:  # a full disk or a vanished folder must not end the loop
                log.exception("re-checking the served snapshot failed")

    async def recheck(self) -> bool:
        """Switch to `current` when it points elsewhere than the last load found, else renew the claim on
        what is served; whether it switched."""
        pointed = await asyncio.to_thread(current_folder, self.data_dir)
        if pointed != self._opened:
            await self._load()
            self.followed += 1
            log.info("serving snapshot %s, found switched on a re-check", pointed.name if pointed else None)
            return True
        current = self.current
        if current is not None and self.claims:
            await asyncio.to_thread(self._claim, current.snapshot_id)
        return False

    def _claim(self, snapshot_id: str) -> bool:
        """Claim the served folder; False when the data folder cannot be written (a read-only mount): this
        store then serves unclaimed, as before claims existed, rather than not at all."""
        try:
            claim(self.data_dir, self.owner, snapshot_id, self._claim_until())
        except OSError as exc:
            log.warning(
                "cannot claim snapshot %s in %s (%s); an import may prune it", snapshot_id, self.data_dir, exc
            )
            return False
        return True

    async def _load(self) -> None:
        try:
            await self.reload()
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            self.error = f"could not load the snapshot in {self.data_dir}: {exc}"
            log.exception("loading the routing snapshot failed")

    def _start_refresher(self) -> None:
        settings = self.settings
        if (
            self.refresher is None
            and self.leading
            and settings
            and settings.routing.silkroute_update_interval_hours
            and not settings.core.silkroute_offline
        ):
            self.refresher = asyncio.create_task(
                refresh_forever(settings, self.serve_import, self.last_built, state=self.refresh_state)
            )

    async def lead(self, term: int) -> None:
        """This replica holds the lease: it alone downloads and builds the shared data folder."""
        del term
        self.leading = True
        if self._started:
            self._start_refresher()

    async def stand_by(self) -> None:
        """Another replica refreshes the folder; this one serves what the leader's switches announce."""
        self.leading = False
        await self._stop_refresher()

    async def _follow(self, subscription: Subscription) -> None:
        try:
            async for event in subscription:
                current = self.current
                if current is not None and current.snapshot_id == event.data.get("snapshot"):
                    continue  # our own switch (or one already served)
                await self._load()
                self.followed += 1
                log.info("serving snapshot %s, switched by another replica", event.data.get("snapshot"))
        finally:
            await subscription.close()

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
        """Serve whatever `current` points to now; the old snapshot serves until the new one is loaded.

        One load at a time: a re-check, an announced switch and the leader's own import could otherwise
        finish out of order and leave an older snapshot serving."""
        async with self._loading:
            fresh = await asyncio.to_thread(self._open_current)
            self.current, self.error = fresh, ""
            return fresh

    def _open_current(self) -> Snapshot | None:
        """Open the folder `current` points to, claimed first when this store claims: the claim is written,
        then `current` read again, so a prune that ran in between (it only removes folders `current` has left)
        is seen and the newer folder opened instead."""
        while True:
            folder = self._opened = current_folder(self.data_dir)
            if folder is None:
                if self.claims:
                    release(self.data_dir, self.owner)
                return None
            if not self.claims or not self._claim(folder.name) or current_folder(self.data_dir) == folder:
                return Snapshot(folder)

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
        await self._stop_refresher()
        if self._subscription is not None:
            await self._subscription.close()  # ends the follower even if its cancel below is lost in a read
        for task in (self._follower, self._rechecker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._follower = self._rechecker = None
        if self.claims:
            await asyncio.to_thread(release, self.data_dir, self.owner)

    async def _stop_refresher(self) -> None:
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
