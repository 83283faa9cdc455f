"""`silkroute data backfill`: history points from the public archives, and the answer saying what was done."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from bot.app.answer import Answer, BadInput, Severity
from bot.core.settings import Settings
from bot.core.values import Section, Source, Table
from bot.history.backfill import (
    EVERY_EXAMPLE,
    BackfillPlan,
    backfill,
    parse_every,
    require_online,
    wanted_dates,
)
from bot.history.recorder import HistoryRecorder
from bot.routing.update import download_all, sources_for

DEFAULT_COLLECTORS = ("route-views2", "rrc00")


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option} {text!r} is not a date.", example=EVERY_EXAMPLE) from None


async def _registry(settings: Settings, given: list[Path]) -> tuple[list[Path], Path | None]:
    """The registry files every RIB is imported with: the given ones, else today's NRO stats and AS names."""
    if given:
        return given, None
    folder = settings.core.silkroute_data_dir / "backfill" / "registry"
    return await download_all(settings, folder, sources_for(settings)[2:]), folder


async def backfill_command(
    settings: Settings,
    history: HistoryRecorder,
    start: str,
    end: str,
    every: str,
    collectors: str = ",".join(DEFAULT_COLLECTORS),
    registry: list[Path] | None = None,
    say: Callable[[str], None] | None = None,
) -> Answer:
    """Backfill, then answer with one row per wanted date and collector; `say` reports each step as it ends."""
    names = [c.strip() for c in collectors.split(",") if c.strip()]
    if not names:
        raise BadInput("--collectors names no collector.", example=EVERY_EXAMPLE + " --collectors rrc00")
    dates = wanted_dates(parse_day(start, "--from"), parse_day(end, "--to"), parse_every(every))
    require_online(settings)
    files, downloaded = await _registry(settings, registry or [])
    targets = await history.targets()
    plan = BackfillPlan(dates, names, files, targets.countries, targets.asns, targets.prefixes)
    try:
        report = await backfill(settings, history.store, plan, say)
    finally:
        if downloaded is not None:
            await asyncio.to_thread(shutil.rmtree, downloaded, ignore_errors=True)
    rows = [[f"{w}", c, "recorded", r.date, f"{r.points:,}", f"{r.bytes:,}"] for w, c, r in report.recorded]
    rows += [[f"{w}", c, "already recorded", "", "", ""] for w, c in report.skipped]
    rows += [[f"{w}", c, "missing in the archive", "", "", ""] for w, c in report.missing]
    rows.sort()
    newest: dict[str, datetime] = {}
    for _wanted, collector, recording in report.recorded:
        when = datetime.fromisoformat(recording.data_time)
        newest[collector] = max(newest.get(collector, when), when)
    summary = (
        f"{len(report.recorded)} history point(s) recorded, {len(report.skipped)} already present, "
        f"{len(report.missing)} missing in the archive, for {len(dates)} date(s) x {len(names)} collector(s). "
        "The serving snapshot is unchanged."
    )
    return Answer(
        command="data backfill",
        title="History backfilled from the archives",
        summary=summary,
        severity=Severity.WARNING if report.missing else Severity.OK,
        sections=[
            Section(
                "Dates", "", Table(["Wanted", "Collector", "Result", "Data date", "Points", "Bytes"], rows)
            )
        ],
        sources=[
            Source(f"BGP collector {c}", newest.get(c), "archived RIBs, newest recorded date") for c in names
        ],
        data={
            "recorded": [
                {"wanted": f"{w}", "collector": c, "date": r.date, "points": r.points, "bytes": r.bytes}
                for w, c, r in report.recorded
            ],
            "skipped": [{"wanted": f"{w}", "collector": c} for w, c in report.skipped],
            "missing": [{"wanted": f"{w}", "collector": c} for w, c in report.missing],
        },
    )
