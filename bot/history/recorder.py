"""Recording a history point from a freshly built snapshot, and the component `/status` reports on.

The routing layer knows nothing of history: the composition root hands `HistoryRecorder.record` to whoever
finishes an import (the `data import`/`update` commands and the snapshot store's refresh).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cachetools import LRUCache

from bot.core.values import Section
from bot.history.imported import ImportedTables
from bot.history.prefixes import PrefixTable, prefix_key, prefix_view
from bot.history.store import HistoryStore, Recording
from bot.history.views import build_views
from bot.i18n import N_, Grouped, Worded
from bot.routing.importer import ImportReport
from bot.routing.snapshot import Provenance, Snapshot
from bot.routing.transit import TransitData, TransitIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Watched:
    """What some server watches that history records beside the configured countries."""

    countries: Sequence[str] = ()
    asns: Sequence[int] = ()
    prefixes: Sequence[str] = ()


class Recordable(TransitData, PrefixTable, Protocol):
    """What a point is computed from: the served `Snapshot`, or an import's tables still in memory."""

    @property
    def provenance(self) -> Provenance: ...

    @property
    def snapshot_id(self) -> str: ...


WatchedTargets = Callable[[], Awaitable[Watched]]
ServedIndex = Callable[[Path], tuple[Snapshot, TransitIndex] | None]
ChartCache = LRUCache[Hashable, bytes]


def recording_key(snapshot: Recordable) -> tuple[str, str, str] | None:
    """(day, collectors, data time) of a snapshot's routing data; None when it has no routes (IP -> AS only)."""
    provenance = snapshot.provenance
    when = provenance.data_date
    if when is None or not provenance.collectors:
        return None
    collectors = ",".join(sorted({c.name for c in provenance.collectors}))
    return when.strftime("%Y-%m-%d"), collectors, when.strftime("%Y-%m-%dT%H:%M:%SZ")


def imported(report: ImportReport) -> Recordable:
    """What an import built, read from its tables while they are in memory: re-opening the written snapshot
    (registry JSON, grouping by country, pyasn) would cost more than recording its points."""
    if report.tables is None:
        return Snapshot(report.folder)
    return ImportedTables(report.folder, report.tables, report.provenance)


def record_snapshot(
    store: HistoryStore,
    snapshot: Recordable,
    countries: Sequence[str],
    asns: Iterable[int] = (),
    index: TransitIndex | None = None,
    prefixes: Iterable[str] = (),
) -> Recording | None:
    """Compute and store the snapshot's points (blocking: call it off the event loop); with the served
    snapshot's `index` its results stay cached for `/transit`."""
    key = recording_key(snapshot)
    if key is None:
        return None
    date, collectors, data_time = key
    views = build_views(index or TransitIndex(snapshot), countries, asns)
    views |= {prefix_key(p): prefix_view(snapshot, p) for p in prefixes}
    recorded_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return store.replace(
        Recording(date, collectors, data_time, snapshot.snapshot_id, recorded_at, 0, 0), views
    )


class HistoryRecorder:
    """Component "history": records a point for every snapshot an import produces."""

    name = "history"

    def __init__(
        self,
        store: HistoryStore,
        countries: Sequence[str],
        watched: WatchedTargets,
        served: ServedIndex | None = None,
    ) -> None:
        self.store = store
        self.countries = list(countries)
        self.watched = watched
        self.served = served  # the running bot's: a served folder is recorded through /transit's own index
        # Rendered over-time charts by what they show: a render costs far more than reading the points.
        self.charts: ChartCache = LRUCache(maxsize=64)

    async def start(self) -> None:
        """Nothing to start: the file is opened per call."""

    async def close(self) -> None:
        """Nothing to close: no connection outlives a call."""

    async def targets(self) -> Watched:
        """The countries (configured, then watched ones), the watched ASes, and the watched prefixes and those
        `/history` was asked about (kept in the store) every point is recorded for."""
        watched = await self.watched()
        kept = await asyncio.to_thread(self.store.kept)
        countries = list(dict.fromkeys([*self.countries, *(cc.upper() for cc in watched.countries)]))
        prefixes = list(dict.fromkeys(map(prefix_key, [*watched.prefixes, *kept])))
        return Watched(countries, list(watched.asns), prefixes)

    async def record(self, folder: Path) -> Recording | None:
        """Record the snapshot in `folder` (served or not), for the configured and watched targets."""
        served = self.served(folder) if self.served is not None else None
        snapshot, index = served if served else (await asyncio.to_thread(Snapshot, folder), None)
        return await self._record(snapshot, index)

    async def record_import(self, report: ImportReport) -> Recording | None:
        """Record what an import just built: through the served index when the running bot serves it (its
        results then stay cached for `/transit`), else from the import's tables (`imported`)."""
        if self.served is not None and self.served(report.folder):
            return await self.record(report.folder)
        return await self._record(await asyncio.to_thread(imported, report), None)

    async def _record(self, snapshot: Recordable, index: TransitIndex | None) -> Recording | None:
        targets = await self.targets()
        recording = await asyncio.to_thread(
            record_snapshot,
            self.store,
            snapshot,
            targets.countries,
            targets.asns,
            index,
            targets.prefixes,
        )
        if recording is not None:
            log.info(
                "history point %s (%s): %d targets", recording.date, recording.collectors, recording.points
            )
        return recording

    def status(self) -> Section:
        recordings = self.store.recordings() if self.store.exists() else []
        title = Worded(N_("History"))
        if not recordings:
            return Section(
                title, Worded(N_("No history points yet: every `data import`/`update` records one."))
            )
        newest = recordings[-1]
        size = sum(r.bytes for r in recordings)
        points = sum(r.points for r in recordings)
        return Section(
            title,
            Worded(
                N_(
                    "{count} dated recordings from {first} to {last} ({points} points, {size} bytes, "
                    "{per_point} bytes per point)"
                ),
                count=len(recordings),
                first=recordings[0].date,
                last=newest.date,
                points=Grouped(points),
                size=Grouped(size),
                per_point=Grouped(size // max(points, 1)),
            ),
        )
