"""Answers for `silkroute data import|update|status`: what was built, from what, and what was lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bot.app.answer import Answer, Severity
from bot.core.settings import Settings
from bot.core.values import Section, Table
from bot.history.recorder import HistoryRecorder
from bot.history.store import Recording
from bot.routing.importer import ImportReport, import_files
from bot.routing.snapshot import FileRecord, Provenance, Snapshot, discard
from bot.routing.snapshot_store import SnapshotStore
from bot.routing.update import update


def _when(provenance: Provenance) -> str:
    date = provenance.data_date
    return date.strftime("%Y-%m-%d %H:%M UTC") if date else "unknown date"


def _loss(record: FileRecord) -> str:
    """MRT files estimate the routes a cut cost; text files keep their complete lines or entries."""
    if not record.truncated:
        return ""
    if record.kind == "mrt":
        return f"truncated (~{record.events_lost_estimate:,} routes)"
    return "truncated (complete records kept)"


def _provenance_sections(provenance: Provenance) -> list[Section]:
    files = Table(
        ["File", "Kind", "Collector", "Size", "Records", "Routes read", "Lost", "sha256"],
        [
            [
                f.name,
                f.role or f.kind,
                f.collector,
                f"{f.size:,}",
                f"{f.records:,}" if f.kind == "mrt" else "",
                f"{f.events:,}" if f.kind == "mrt" else "",
                _loss(f) + (f" {f.skipped_corrupt} corrupt" if f.skipped_corrupt else ""),
                f.sha256[:16],
            ]
            for f in provenance.files
        ],
    )
    collectors = Table(
        ["Collector", "Data from", "Data to", "Vantage points", "Routes"],
        [
            [
                c.name,
                c.data_start.strftime("%Y-%m-%d %H:%M") if c.data_start else "?",
                c.data_end.strftime("%Y-%m-%d %H:%M") if c.data_end else "?",
                str(c.vantage_points),
                f"{c.routes:,}",
            ]
            for c in provenance.collectors
        ],
    )
    return [Section("Collectors", "", collectors), Section("Files", "", files)]


def _provenance_data(provenance: Provenance, folder: Path) -> dict[str, object]:
    return {"snapshot": str(folder), **provenance.to_json(), "vantage_points": provenance.vantage_points}


def _cost(provenance: Provenance) -> str:
    """How long the import took and how much memory it needed: what sizing a server for `data update` needs."""
    if not provenance.import_seconds:
        return ""
    rate = (
        f" ({provenance.routes_read / provenance.import_seconds:,.0f} routes/s)"
        if provenance.routes_read
        else ""
    )
    return (
        f" Import took {provenance.import_seconds:,.1f} s{rate}, "
        f"peak memory {provenance.import_peak_rss / 2**20:,.0f} MiB."
    )


def _history_section(recording: Recording | None) -> Section:
    if recording is None:
        return Section("History", "No history point: the import holds no routes (IP -> AS data only).")
    return Section(
        "History",
        f"Recorded the history point of {recording.date} ({recording.collectors}): {recording.points:,} "
        f"targets, {recording.bytes:,} bytes; an earlier point of that date and those collectors was replaced.",
    )


def report_answer(
    report: ImportReport, recording: Recording | None = None, *, recorded: bool = False
) -> Answer:
    p = report.provenance
    built = (
        f"{p.prefixes_v4:,} IPv4 + {p.prefixes_v6:,} IPv6 prefixes, {p.routes:,} routes "
        f"({p.unique_paths:,} distinct AS paths) from {p.vantage_points} vantage points, data of {_when(p)}."
    )
    if report.serving:
        summary = f"Snapshot {report.folder.name} is now serving: {built}"
    else:
        summary = (
            f"Imported {built} This data is older than the serving snapshot's, so the serving snapshot is "
            "unchanged; the import only adds a history point."
        )
    summary += _cost(p)
    sections = _provenance_sections(p)
    if recorded:
        sections.insert(0, _history_section(recording))
    if report.warnings:
        sections.insert(0, Section("Warnings", "\n".join(report.warnings)))
    return Answer(
        command="data import",
        title="Routing snapshot imported" if report.serving else "Older routing data recorded into history",
        summary=summary,
        severity=Severity.WARNING if report.warnings else Severity.OK,
        sections=sections,
        sources=Snapshot(report.folder).data_sources(),
        data={
            **_provenance_data(p, report.folder),
            "warnings": report.warnings,
            "serving": report.serving,
            "history": None
            if recording is None
            else {
                "date": recording.date,
                "collectors": recording.collectors,
                "points": recording.points,
                "bytes": recording.bytes,
            },
        },
    )


async def _answer_and_record(report: ImportReport, history: HistoryRecorder | None) -> Answer:
    """Record the import's history point, answer, then drop the snapshot if it was kept aside (older data)."""
    try:
        recording = await history.record_import(report) if history is not None else None
        return report_answer(report, recording, recorded=history is not None)
    finally:
        if not report.serving:
            await asyncio.to_thread(discard, report.folder)


async def import_command(
    paths: list[Path],
    data_dir: Path,
    history: HistoryRecorder | None = None,
    workers: int | None = None,
    say: Callable[[str], None] | None = None,
) -> Answer:
    """Import local files (off the event loop); ImportFailed (a BadInput) leaves the old snapshot serving."""
    report = await asyncio.to_thread(import_files, paths, data_dir, say, workers)
    return await _answer_and_record(report, history)


async def update_command(settings: Settings, history: HistoryRecorder | None = None) -> Answer:
    """Download current public data and import it; DownloadFailed (Unavailable) names the failing source."""
    answer = await _answer_and_record(await update(settings), history)
    answer.command, answer.title = "data update", "Routing data updated"
    return answer


def status_answer(store: SnapshotStore) -> Answer:
    snapshot = store.current
    if snapshot is None:
        return Answer(
            command="data status",
            title="No routing snapshot",
            summary=store.status().text,
            severity=Severity.WARNING,
            data={"snapshot": None},
        )
    p = snapshot.provenance
    warnings = [f"{name} was truncated" for name in p.truncated_files]
    return Answer(
        command="data status",
        title=f"Routing snapshot {snapshot.snapshot_id}",
        summary=store.status().text + f". Built {p.built_at:%Y-%m-%d %H:%M UTC}.",
        severity=Severity.WARNING if warnings else Severity.OK,
        sections=_provenance_sections(p),
        sources=snapshot.data_sources(),
        data=_provenance_data(p, snapshot.folder),
    )


async def status_command(data_dir: Path) -> Answer:
    """`silkroute data status` outside the bot: load the current snapshot and describe it."""
    store = SnapshotStore(data_dir)
    await store.start()
    return status_answer(store)
