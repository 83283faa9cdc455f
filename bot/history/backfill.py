"""`data backfill`: history points from the public archives' RIBs, one raw file on disk at a time.

For each wanted date and collector, the archived RIB nearest the date (00:00 UTC of the date, then of the days
either side) is fetched with the `data update` machinery (resumable `.part`, size and time caps), imported into
a scratch folder beside — never instead of — the serving snapshot, recorded as a point, and deleted with the
scratch snapshot before the next one is fetched. A ledger in the history file remembers which wanted dates are
done, so an interrupted run resumes where it stopped; a date no archive file answers is reported and skipped.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import aiohttp

from bot.core.errors import DataUnavailable, InvalidInput
from bot.core.settings import Settings
from bot.history.recorder import imported, record_snapshot
from bot.history.store import HistoryStore, Recording
from bot.net.download import DownloadLimits, NotOnServer, download_resumable
from bot.routing.importer import import_files
from bot.routing.update import DataSource, download_limits, download_session

EVERY_EXAMPLE = "silkroute data backfill --from 2021-01-01 --to 2026-11-01 --every 1mo"
_EVERY = re.compile(r"^(?P<n>[1-9][0-9]{0,3})(?P<unit>d|w|mo|y)$")
RIS_COLLECTOR = re.compile(r"^rrc[0-9]{2}$")


@dataclass(frozen=True, slots=True)
class Every:
    """A step between wanted dates: whole months keep "the 1st of each month" on the 1st."""

    months: int = 0
    days: int = 0


def parse_every(text: str) -> Every:
    match = _EVERY.match(text.strip().lower())
    if match is None:
        raise InvalidInput(
            f"--every {text!r} is not a step: use a number and d (days), w (weeks), mo (months) or y (years).",
            example=EVERY_EXAMPLE,
        )
    n, unit = int(match["n"]), match["unit"]
    return {"d": Every(days=n), "w": Every(days=7 * n), "mo": Every(months=n), "y": Every(months=12 * n)}[
        unit
    ]


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):  # the 31st of a short month falls back to its last day
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


def wanted_dates(start: date, end: date, every: Every) -> list[date]:
    if end < start:
        raise InvalidInput(f"--to {end} is before --from {start}.", example=EVERY_EXAMPLE)
    dates: list[date] = []
    step = 0
    while True:
        day = _add_months(start, every.months * step) + timedelta(days=every.days * step)
        if day > end:
            return dates
        dates.append(day)
        step += 1


def archive_source(settings: Settings, collector: str, day: date) -> DataSource:
    """The archived 00:00 UTC RIB of `collector` on `day`: RIS bview for rrcNN, RouteViews otherwise."""
    history = settings.history
    fields = {"yyyy": f"{day:%Y}", "mm": f"{day:%m}", "yyyymmdd": f"{day:%Y%m%d}", "hhmm": "0000"}
    if RIS_COLLECTOR.match(collector):
        url = history.silkroute_ris_archive_url.format(collector=collector, **fields)
        return DataSource(f"RIPE RIS {collector} bview {day}", url, f"{collector}-bview.{day:%Y%m%d}.0000.gz")
    folder = "" if collector == "route-views2" else f"{collector}/"
    url = history.silkroute_routeviews_archive_url.format(collector_dir=folder, **fields)
    return DataSource(f"RouteViews {collector} RIB {day}", url, f"{collector}-rib.{day:%Y%m%d}.0000.bz2")


def nearest_days(day: date, search_days: int) -> list[date]:
    """The day itself, then one day after and before, two days after and before… up to `search_days`."""
    days = [day]
    for offset in range(1, search_days + 1):
        days += [day + timedelta(days=offset), day - timedelta(days=offset)]
    return days


@dataclass(slots=True)
class BackfillReport:
    recorded: list[tuple[date, str, Recording]] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)
    missing: list[tuple[date, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BackfillPlan:
    dates: Sequence[date]
    collectors: Sequence[str]
    registry: Sequence[Path]  # delegated stats and AS names, imported with every RIB (kept for the whole run)
    countries: Sequence[str]
    asns: Sequence[int]
    prefixes: Sequence[str] = ()


Progress = Callable[[str], None]


def require_online(settings: Settings) -> None:
    """Fail at once when offline, before any download is attempted."""
    if settings.core.silkroute_offline:
        raise DataUnavailable(
            "silkroute is offline (SILKROUTE_OFFLINE=1): no archive can be downloaded.", example=EVERY_EXAMPLE
        )


async def backfill(
    settings: Settings, store: HistoryStore, plan: BackfillPlan, say: Progress | None = None
) -> BackfillReport:
    """Record every (date, collector) of the plan not already done; returns what was recorded, skipped, missing."""
    require_online(settings)
    work = settings.core.silkroute_data_dir / "backfill"
    raw, scratch = work / "raw", work / "scratch"
    await asyncio.to_thread(raw.mkdir, parents=True, exist_ok=True)
    report = BackfillReport()
    tell = say or (lambda _message: None)
    limits = download_limits(settings)
    search_days = settings.history.silkroute_backfill_search_days
    async with download_session(settings, "data backfill") as session:
        for wanted in plan.dates:
            for collector in plan.collectors:
                if await asyncio.to_thread(store.backfilled, collector, wanted.isoformat()):
                    report.skipped.append((wanted, collector))
                    continue
                candidates = [
                    archive_source(settings, collector, d) for d in nearest_days(wanted, search_days)
                ]
                found = await _fetch_first(session, candidates, raw, limits)
                if found is None:
                    tell(f"{collector} {wanted}: no archived RIB within the search window, skipped")
                    report.missing.append((wanted, collector))
                    continue
                source, path = found
                try:
                    recording = await asyncio.to_thread(_record, store, path, scratch, plan)
                finally:
                    await asyncio.to_thread(path.unlink, missing_ok=True)
                    await asyncio.to_thread(shutil.rmtree, scratch, ignore_errors=True)
                date_text = recording.date if recording else ""
                await asyncio.to_thread(
                    store.mark_backfilled, collector, wanted.isoformat(), source.url, date_text
                )
                if recording is not None:
                    report.recorded.append((wanted, collector, recording))
                    tell(f"{collector} {wanted}: recorded the point of {recording.date}")
    return report


async def _fetch_first(
    session: aiohttp.ClientSession, candidates: Sequence[DataSource], raw: Path, limits: DownloadLimits
) -> tuple[DataSource, Path] | None:
    """Download the first candidate the archive has (nearest first); None when it has none of them."""
    for source in candidates:
        try:
            return source, await download_resumable(
                session, source.name, source.url, raw / source.filename, limits
            )
        except NotOnServer:
            continue
    return None


def _record(store: HistoryStore, path: Path, scratch: Path, plan: BackfillPlan) -> Recording | None:
    """Import one RIB (with the registry files) into the scratch folder and record its point."""
    report = import_files([path, *plan.registry], scratch)
    return record_snapshot(store, imported(report), plan.countries, plan.asns, prefixes=plan.prefixes)
