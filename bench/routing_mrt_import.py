"""The whole `silkroute data import` command against Debian's C `bgpdump -m` on the same generated MRT files.

Run: .venv/bin/python bench/routing_mrt_import.py [--routes 10000000] [--updates-peers 4] [--keep DIR]
(`--routes 100000000` for the full goal: a RIB and a bview of 100 M routes each take ~25 min to generate.)
Files come from bench/mrt_generator.py (real MRT of a full table's shape, ~1.2 M prefixes): a RouteViews-style
RIB, a RIS-style bview (another table, other peers) and a BGP4MP_ET updates file of --updates-peers peers
announcing the table. For each file and for the RIB + bview pair it prints, in the same run:
- our wall time (the `silkroute data import` process: detect, parse on every core, build, write, swap,
  record history) divided by bgpdump's (`bgpdump -m FILE > /dev/null`, one file after the other: it is
  single-threaded and parses, prints and discards);
- peak RSS of the whole import as the command reports it (its own peak plus its largest worker's) and as
  GNU time sees it (the largest single process), and bgpdump's;
- bytes on disk per route of the snapshot, and its load time in a fresh process divided by pyasn's load of
  the snapshot's own IPASN file, both with a cold page cache (the files are evicted with
  posix_fadvise(DONTNEED) first, which drops only their pages, not the machine's whole cache).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mrt_generator import generate

ROOT = Path(__file__).resolve().parents[1]
GNU_TIME = "/usr/bin/time"
PREFIXES = 1_200_000  # a full table: the generator's route count divided by this gives the vantages

LOAD_SNAPSHOT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bot.routing.snapshot import load_current
t = time.perf_counter(); load_current(Path(sys.argv[2])); print(time.perf_counter() - t)
line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")); print(int(line.split()[1]) * 1024)
"""
LOAD_PYASN = """
import sys, time, pyasn
t = time.perf_counter(); pyasn.pyasn(sys.argv[1]); print(time.perf_counter() - t)
"""


def timed(command: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall time, peak RSS in bytes of the largest process (GNU time) and stdout of a command."""
    start = time.perf_counter()
    done = subprocess.run(
        [GNU_TIME, "-f", "%M", *command], cwd=cwd, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - start
    return elapsed, int(done.stderr.strip().splitlines()[-1]) * 1024, done.stdout


def bgpdump(files: list[Path], work: Path) -> tuple[float, int]:
    seconds, peak = 0.0, 0
    for path in files:
        elapsed, rss, _ = timed(["sh", "-c", f"bgpdump -m '{path}' > /dev/null"], work)
        seconds, peak = seconds + elapsed, max(peak, rss)
    return seconds, peak


def evict(paths: list[Path]) -> None:
    """Drop these files' pages from the page cache so the next read comes from disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def load_ratio(data: Path, work: Path) -> tuple[float, float, int]:
    """(snapshot load s, pyasn load s, RSS after load), each in a fresh process with a cold cache."""
    folder = (data / "current").resolve()
    files = [p for p in folder.iterdir() if p.is_file()]
    evict(files)
    probe = subprocess.run(
        [sys.executable, "-c", LOAD_SNAPSHOT, str(ROOT), str(data)],
        capture_output=True,
        text=True,
        check=True,
    )
    load, rss = probe.stdout.split()
    evict(files)
    pyasn_probe = subprocess.run(
        [sys.executable, "-c", LOAD_PYASN, str(folder / "ipasn.dat")],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(load), float(pyasn_probe.stdout), int(rss)


def ours(files: list[Path], work: Path, label: str) -> dict[str, float]:
    data = work / f"data-{label}"
    shutil.rmtree(data, ignore_errors=True)
    silkroute = str(Path(sys.executable).with_name("silkroute"))
    elapsed, rss, out = timed(
        [silkroute, "data", "import", *map(str, files), "--data-dir", str(data), "--json"], work
    )
    answer = json.loads(out)["data"]
    folder = Path(answer["snapshot"])
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return {
        "seconds": elapsed,
        "routes_read": sum(f["events"] for f in answer["files"]),
        "routes": answer["routes"],
        "reported_peak": answer["import_peak_rss"],
        "process_peak": rss,
        "bytes_per_route": size / max(1, answer["routes"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--routes", type=int, default=10_000_000, help="routes per RIB file")
    parser.add_argument("--updates-peers", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="generate into (and reuse files from) this folder")
    args = parser.parse_args()
    if shutil.which("bgpdump") is None or not Path(GNU_TIME).exists():
        print("skipped: needs Debian's bgpdump and GNU time (apt-get install bgpdump time)")
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="silkroute-bench-mrt-"))
    vantages = max(2, args.routes // PREFIXES)
    rib = work / "rib" / "gen-rib.20240601.0000.gz"
    if not rib.exists():
        started = time.perf_counter()
        generate(work / "rib", args.routes, vantages, args.updates_peers, seed=1)
        bview = generate(work / "bview", args.routes, vantages + 1, 0, seed=2)[0]
        bview.rename(work / "bview" / "rrcgen-bview.20240601.0000.gz")
        print(f"generated in {time.perf_counter() - started:.0f} s")
    updates = work / "rib" / "gen-updates.20240601.0005.gz"
    bview = work / "bview" / "rrcgen-bview.20240601.0000.gz"
    cases = {"RIB": [rib], "bview": [bview], "updates": [updates], "RIB + bview": [rib, bview]}
    print(
        f"cores: {len(os.sched_getaffinity(0))}; load: {os.getloadavg()[0]:.1f} (other work on the machine)"
    )
    print(
        f"{'case':12} {'routes read':>12} {'ours s':>7} {'bgpdump s':>9} {'ratio':>6} {'routes/s':>10} "
        f"{'peak MiB (cmd/largest)':>22} {'bgpdump MiB':>11} {'B/route':>7}"
    )
    for label, files in cases.items():
        if not all(p.exists() for p in files):
            continue
        mine = ours(files, work, label.replace(" ", "").replace("+", "-"))
        theirs_s, theirs_rss = bgpdump(files, work)
        print(
            f"{label:12} {mine['routes_read']:>12,.0f} {mine['seconds']:>7.1f} {theirs_s:>9.1f} "
            f"{mine['seconds'] / theirs_s:>6.2f} {mine['routes_read'] / mine['seconds']:>10,.0f} "
            f"{mine['reported_peak'] / 2**20:>10,.0f} / {mine['process_peak'] / 2**20:>9,.0f} "
            f"{theirs_rss / 2**20:>11,.0f} {mine['bytes_per_route']:>7.1f}"
        )
    load, pyasn_load, rss = load_ratio(work / "data-RIB-bview", work)
    print(
        f"load of the RIB + bview snapshot, cold page cache: {load:.2f} s vs pyasn {pyasn_load:.2f} s "
        f"(ratio {load / pyasn_load:.2f}); VmHWM after load {rss / 2**20:,.0f} MiB"
    )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
