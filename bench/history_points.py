"""Benchmark history points: bytes per point, and the time to record one import's points as a ratio to the
import itself (goal: <= 5 %), on the real shared MRT files (each imported with the real registry and names).

The import and the recording are timed in the same run on the same machine, so the ratio travels between
machines; the recording uses the default countries (KZ,KG,UZ,TJ,TM,RU,CN,AZ) on a fresh transit index, as an
import does.

    .venv/bin/python bench/history_points.py [--shared ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.settings import HistorySettings
from bot.history.recorder import record_snapshot
from bot.history.store import HistoryStore
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot

FILES = (
    "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2",
    "mrt/ris-rrc00-updates.20190101.0000.gz",
    "mrt/ris-rrc01-updates.20241001.0055.gz",
)
REGISTRY = ("registry/delegated-derived.20260201.txt.gz", "asnames/asnames-libloc.20221029.json.gz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of N for both timings")
    args = parser.parse_args()
    countries = HistorySettings().countries
    print(f"{'file':48} {'import s':>9} {'record s':>9} {'ratio':>7} {'points':>7} {'bytes/point':>11}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name in FILES:
            inputs = [args.shared / name] + [args.shared / r for r in REGISTRY]
            import_s, record_s = float("inf"), float("inf")
            for attempt in range(args.repeat):
                started = time.perf_counter()
                report = import_files(inputs, root / f"data-{attempt}-{Path(name).stem}")
                import_s = min(import_s, time.perf_counter() - started)
                store = HistoryStore(root / f"history-{attempt}.sqlite3")
                started = time.perf_counter()
                recording = record_snapshot(store, Snapshot(report.folder), countries)
                record_s = min(record_s, time.perf_counter() - started)
            assert recording is not None
            print(
                f"{name:48} {import_s:9.2f} {record_s:9.2f} {record_s / import_s:7.1%} "
                f"{recording.points:7,} {recording.bytes / recording.points:11.0f}"
            )


if __name__ == "__main__":
    main()
