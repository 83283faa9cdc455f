"""The whole `silkroute data import` command against Debian's C `bgpdump -m` on the same generated MRT files.

Run: .venv/bin/python bench/routing_mrt_import.py [--routes 10000000] [--updates-peers 4] [--keep DIR]
     [--cases rib,bview,updates,pair] [--check-split [--split-workers N]]
(`--routes 60000000 --cases pair` is the issue's 100 M-route goal: a RIB and a bview of 60 M routes each, below.)
Files come from bench/mrt_generator.py (real MRT of a full table's shape, ~1.2 M prefixes): a RouteViews-style
RIB, a RIS-style bview (another table, other peers) and a BGP4MP_ET updates file of --updates-peers peers
announcing the table. For each file and for the RIB + bview pair it prints, in the same run:
- our wall time (the `silkroute data import` process: detect, parse on every core, build, write, swap,
  record history) divided by bgpdump's (`bgpdump -m FILE > /dev/null`, one file after the other: it is
  single-threaded and parses, prints and discards);
- peak memory of the whole import: "all" is the largest sum of the proportional set size (PSS) of the
  command and every worker process at one moment, sampled every 0.25 s: the physical memory they use
  together, a page the forked workers still share with the importer counted once (a spike shorter than
  the interval can be missed); "RSS" the same sum of resident sizes, which counts such a page once per
  process (~80 MiB per worker); "cmd" is what the command reports (it samples itself and its workers'
  PSS the same way while they read); "largest" is the largest single process's RSS as GNU time sees
  it; and bgpdump's;
- bytes on disk per route of the snapshot, and its load time in a fresh process divided by pyasn's load of
  the snapshot's own IPASN file, both with a cold page cache (the files are evicted with
  posix_fadvise(DONTNEED) first, which drops only their pages, not the machine's whole cache).
The input files are read from the page cache when they fit in it: bgpdump and we read the same files, and
the generator has just written them.

`--check-split` is the issue's truth check at full size: the RIB and the updates file imported by one process
(`import_files(workers=1)`: no worker, nothing split) and again split into parts read by --split-workers
worker processes (`bot.routing.rib_workers.plan_parts` decides the parts, as `data import` does; default: the
cores this process may use, at least 2), then every table file of the two snapshots compared byte for byte
(meta.json without its build time and cost); it prints both wall times and peaks and fails on any difference.

Measured results, commands and where the memory goes: bench/README.md.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mrt_generator import generate
from bot.routing.rib_workers import descendants, plan_parts, proportional_bytes, status_bytes

ROOT = Path(__file__).resolve().parents[1]
GNU_TIME = "/usr/bin/time"
PREFIXES = 1_200_000  # a full table: the generator's route count divided by this gives the vantages
SAMPLE_SECONDS = 0.25  # a /proc scan costs ~3 % of a core at 0.1 s
CASES = {"rib": "RIB", "bview": "bview", "updates": "updates", "pair": "RIB + bview"}
VARYING_META = ("built_at", "import_seconds", "import_peak_rss")  # differ between any two builds

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
IMPORT_WITH_WORKERS = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bot.routing.importer import import_files
print(import_files([Path(p) for p in sys.argv[4:]], Path(sys.argv[2]), workers=int(sys.argv[3])).folder)
"""


@dataclass(slots=True)
class Run:
    """A finished command: wall time, peak memory of its process tree (sampled sums of PSS and of RSS) and the
    peak RSS of its largest process."""

    seconds: float
    peak_all: int
    peak_rss_sum: int
    peak_largest: int
    stdout: str


def run(command: list[str], cwd: Path) -> Run:
    """Run a command under GNU time, sampling the summed PSS and RSS of its process tree until it ends."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            [GNU_TIME, "-f", "%M", *command], cwd=cwd, stdout=out, stderr=err, text=True
        )
        peak_all = peak_rss = 0
        while True:  # wait() rather than sleep(): the wall time ends when the command does
            tree = [str(pid) for pid in (process.pid, *descendants(process.pid))]
            peak_all = max(peak_all, sum(map(proportional_bytes, tree)))
            peak_rss = max(peak_rss, sum(status_bytes(pid, "VmRSS") for pid in tree))
            try:
                process.wait(timeout=SAMPLE_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        errors = err.read()
        if process.returncode:
            raise RuntimeError(f"{command[:3]} failed ({process.returncode}): {errors[-2000:]}")
        largest = int(errors.strip().splitlines()[-1]) * 1024
        return Run(elapsed, max(peak_all, largest), max(peak_rss, largest), largest, out.read())


def bgpdump(files: list[Path], work: Path) -> Run:
    total = Run(0.0, 0, 0, 0, "")
    for path in files:
        done = run(["sh", "-c", f"bgpdump -m '{path}' > /dev/null"], work)
        total.seconds += done.seconds
        total.peak_all, total.peak_largest = (
            max(total.peak_all, done.peak_all),
            max(total.peak_largest, done.peak_largest),
        )
    return total


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
    done = run([silkroute, "data", "import", *map(str, files), "--data-dir", str(data), "--json"], work)
    answer = json.loads(done.stdout)["data"]
    folder = Path(answer["snapshot"])
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return {
        "seconds": done.seconds,
        "routes_read": sum(f["events"] for f in answer["files"]),
        "routes": answer["routes"],
        "reported_peak": answer["import_peak_rss"],
        "peak_all": done.peak_all,
        "peak_rss_sum": done.peak_rss_sum,
        "peak_largest": done.peak_largest,
        "bytes_per_route": size / max(1, answer["routes"]),
    }


def compare_snapshots(one: Path, other: Path) -> list[str]:
    """Names of the files that differ between two snapshot folders (meta.json without what varies)."""
    names = sorted({p.name for p in one.iterdir()} | {p.name for p in other.iterdir()})
    differ = []
    for name in names:
        a, b = one / name, other / name
        if not (a.is_file() and b.is_file()):
            differ.append(f"{name} (only in one)")
        elif name == "meta.json":
            metas = [json.loads(p.read_text(encoding="utf-8")) for p in (a, b)]
            for meta in metas:
                for varies in VARYING_META:
                    meta["provenance"].pop(varies, None)
            if metas[0] != metas[1]:
                differ.append(name)
        elif not filecmp.cmp(a, b, shallow=False):
            differ.append(name)
    return differ


def check_split(files: list[Path], work: Path, workers: int) -> bool:
    """Import `files` in one process, then split on `workers` processes; True when every table is equal."""
    parts = plan_parts(files, workers)
    if not parts:
        print(f"split check: {workers} workers would not split these files (too small); nothing compared")
        return True
    runs = {}
    for label, count in (("whole", 1), ("split", workers)):
        data = work / f"data-{label}"
        shutil.rmtree(data, ignore_errors=True)
        command = [
            sys.executable,
            "-c",
            IMPORT_WITH_WORKERS,
            str(ROOT),
            str(data),
            str(count),
            *map(str, files),
        ]
        runs[label] = run(command, work)
    folders = {label: Path(done.stdout.strip()) for label, done in runs.items()}
    differ = compare_snapshots(folders["whole"], folders["split"])
    tables = len(list(folders["whole"].iterdir()))
    for label, done in runs.items():
        how = "one process" if label == "whole" else f"{sum(parts)} parts ({parts}) on {workers} workers"
        print(
            f"  {label:5} ({how}): {done.seconds:.1f} s, peak all {done.peak_all / 2**20:,.0f} MiB, "
            f"largest process {done.peak_largest / 2**20:,.0f} MiB"
        )
    names = ", ".join(p.name for p in files)
    if differ:
        print(f"split check FAILED on {names}: {', '.join(differ)} differ")
    else:
        print(f"split check: {names} whole and split give byte-identical tables ({tables} files compared)")
    return not differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--routes", type=int, default=10_000_000, help="routes per RIB file")
    parser.add_argument("--updates-peers", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="generate into (and reuse files from) this folder")
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"which imports to time, of {','.join(CASES)}"
    )
    parser.add_argument("--check-split", action="store_true", help="compare whole and split imports' tables")
    parser.add_argument("--split-workers", type=int, default=max(2, len(os.sched_getaffinity(0))))
    args = parser.parse_args()
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CASES]
    if unknown:
        parser.error(
            f"unknown case(s) {', '.join(unknown)}: choose from {','.join(CASES)}, e.g. --cases rib,pair"
        )
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
    inputs = {"rib": [rib], "bview": [bview], "updates": [updates], "pair": [rib, bview]}
    print(
        f"cores: {len(os.sched_getaffinity(0))}; load: {os.getloadavg()[0]:.1f} (other work on the machine)"
    )
    identical = True
    if args.check_split:
        identical = check_split([p for p in (rib, updates) if p.exists()], work, args.split_workers)
    if chosen:
        print(
            f"{'case':12} {'routes read':>12} {'ours s':>7} {'bgpdump s':>9} {'ratio':>6} {'routes/s':>10} "
            f"{'peak MiB all/RSS/cmd/largest':>29} {'bgpdump MiB':>11} {'B/route':>7}"
        )
    for case in chosen:
        files = inputs[case]
        if not all(p.exists() for p in files):
            continue
        mine = ours(files, work, case)
        theirs = bgpdump(files, work)
        print(
            f"{CASES[case]:12} {mine['routes_read']:>12,.0f} {mine['seconds']:>7.1f} {theirs.seconds:>9.1f} "
            f"{mine['seconds'] / theirs.seconds:>6.2f} {mine['routes_read'] / mine['seconds']:>10,.0f} "
            f"{mine['peak_all'] / 2**20:>8,.0f}/{mine['peak_rss_sum'] / 2**20:>5,.0f}/"
            f"{mine['reported_peak'] / 2**20:>6,.0f}/"
            f"{mine['peak_largest'] / 2**20:>7,.0f} {theirs.peak_largest / 2**20:>11,.0f} "
            f"{mine['bytes_per_route']:>7.1f}"
        )
    shown = next((case for case in ("pair", "rib", "bview", "updates") if case in chosen), None)
    if shown is not None and (work / f"data-{shown}" / "current").exists():
        load, pyasn_load, rss = load_ratio(work / f"data-{shown}", work)
        print(
            f"load of the {CASES[shown]} snapshot, cold page cache: {load:.2f} s vs pyasn "
            f"{pyasn_load:.2f} s (ratio {load / pyasn_load:.2f}); VmHWM after load {rss / 2**20:,.0f} MiB"
        )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
