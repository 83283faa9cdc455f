"""Slow exit drift: two snapshot-to-snapshot steps under the threshold, together over it, alert once through the
history points of the last days (real snapshots built by the importer from generated MRT files)."""

from __future__ import annotations

from pathlib import Path

from bot.alerts.model import AlertKind, WatchKind
from bot.alerts.service import AlertService
from bot.app.wiring import history_exits
from bot.history.recorder import record_snapshot
from bot.history.store import HistoryStore
from bot.routing.snapshot_store import SnapshotStore
from tests.bot.alerts.support import ManualClock, RecordingSink, settings_for
from tests.bot.alerts.test_exits import KCELL, VIA_RU, Routes, build
from tests.helpers import sqlite_only

# Both peers carry a /20 (then a /19) through Azerbaijan beside the two /18 through Russia: AZ ~11 %, then 20 %.
AZ_11: Routes = {
    **VIA_RU,
    "2.72.128.0/20": [(0, (3216, 29049, 9198, KCELL)), (1, (9002, 29049, 9198, KCELL))],
}
AZ_20: Routes = {
    **VIA_RU,
    "2.72.128.0/19": [(0, (3216, 29049, 9198, KCELL)), (1, (9002, 29049, 9198, KCELL))],
}


async def run(tmp_path: Path, drift_days: int) -> list[str]:
    data_dir = tmp_path / f"data-{drift_days}"
    history = HistoryStore(tmp_path / f"history-{drift_days}.sqlite3")
    store = SnapshotStore(data_dir)
    system = AlertService(
        settings_for(tmp_path / str(drift_days), silkroute_exit_drift_days=drift_days),
        snapshots=store,
        clock=ManualClock(),
        batch_window=0,
        exit_history=history_exits(history),
    )
    sink = RecordingSink()
    titles: list[str] = []
    await system.start()
    try:
        await system.add_watch(1, WatchKind.ASN, f"AS{KCELL}", "Kcell", "test")
        await system.attach(sink, background=False)
        for day, routes in ((0, VIA_RU), (1, AZ_11), (2, AZ_20)):
            build(data_dir, day, routes)
            snapshot = await store.reload()
            assert snapshot is not None
            await system.pump()
            record_snapshot(history, snapshot, [], [KCELL])  # what every import does after serving
        titles = sink.titles
        if drift_days:
            (alert,) = await system.history(1, 10)
            assert alert.kind == AlertKind.EXIT and alert.evidence["history_point"] == "2019-01-01"
    finally:
        await system.close()
        await store.close()
    return titles


@sqlite_only  # two runs, each with its own state file
async def test_slow_drift_crosses_the_threshold_against_the_window_not_the_last_step(tmp_path: Path) -> None:
    assert await run(tmp_path, 30) == [
        "NEWS: Exit countries of AS29355 drifted since 2019-01-01: RU 100% → 80%, AZ 0% → 20%"
    ]
    assert await run(tmp_path, 0) == []  # drift off: each step (11 %, then 9 %) stays under 15 %
