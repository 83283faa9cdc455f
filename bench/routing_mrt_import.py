"""MRT import throughput against Debian's C `bgpdump -m` on the same files, in the same run.

Run: .venv/bin/python bench/routing_mrt_import.py [--repeats N]
Prints routes/s and peak traced Python memory for our reader, bgpdump's wall time and peak RSS, and the time
ratio ours / bgpdump (below 1.0 = we are faster). Medians over the repeats.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.routing.mrt import MrtReader

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrt"
FILES = [
    "routeviews2-rib.20140523.0600.first1MiB.bz2",
    "ris-rrc00-updates.20190101.0000.gz",
    "routeviews6-rib.20151101.0600.first1MiB.bz2",
]


def ours(path: Path) -> tuple[float, int]:
    """Wall time of a full pass that touches every event (as an import would), and the route count."""
    start = time.perf_counter()
    count = 0
    for _ in MrtReader(path):
        count += 1
    return time.perf_counter() - start, count


def ours_peak(path: Path) -> int:
    tracemalloc.start()
    for _ in MrtReader(path):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def bgpdump(binary: str, path: Path) -> tuple[float, int | None]:
    """Wall time of `bgpdump -m FILE > /dev/null`, and its peak RSS in KiB via GNU time when installed
    (getrusage on children would report the forked Python process instead)."""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    command = [binary, "-m", str(path)]
    if gnu_time is not None:
        command = [gnu_time, "-f", "%M", *command]
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - start
    rss = done.stderr.strip().splitlines()[-1] if gnu_time is not None and done.stderr.strip() else ""
    return elapsed, int(rss) if rss.isdigit() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: real MRT data not found at {DATA}")
        return 0
    binary = shutil.which("bgpdump")
    if binary is None:
        print("note: bgpdump not installed (apt-get install bgpdump); measuring our reader only, no ratio")
    print(
        f"{'file':46} {'routes':>8} {'ours s':>7} {'routes/s':>10} {'peak MiB':>8} {'bgpdump s':>9} {'RSS MiB':>7} {'ratio':>6}"
    )
    ratios = []
    for name in FILES:
        path = DATA / name
        # interleave the two tools so a load change on the machine hits both sides of each pair
        runs, theirs, pair_ratios = [], [], []
        for _ in range(args.repeats):
            runs.append(ours(path))
            if binary is not None:
                theirs.append(bgpdump(binary, path))
                pair_ratios.append(runs[-1][0] / theirs[-1][0])
        ours_s = statistics.median(t for t, _ in runs)
        routes = runs[0][1]
        peak = ours_peak(path) / 2**20
        line = f"{name:46} {routes:>8,} {ours_s:>7.3f} {routes / ours_s:>10,.0f} {peak:>8.1f}"
        if theirs:
            theirs_s = statistics.median(t for t, _ in theirs)
            ratio = statistics.median(pair_ratios)
            ratios.append(ratio)
            rss = max((kib for _, kib in theirs if kib is not None), default=None)
            rss_text = f"{rss / 1024:.1f}" if rss is not None else "n/a"
            line += f" {theirs_s:>9.3f} {rss_text:>7} {ratio:>6.2f}"
        print(line)
    if ratios:
        print(
            f"median ratio ours/bgpdump: {statistics.median(ratios):.2f} (below 1.0 = faster than bgpdump -m)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
