"""CPU time of reading MRT files into route rows: the import's row reader against the event reader and
against `bgpdump -m`, alternated in the same run.

Run: .venv/bin/python bench/mrt_read_rows.py FILE... [--repeats 3]
(files from bench/mrt_generator.py, e.g. the `--keep` folder of bench/routing_mrt_import.py).
Per file and repeat it prints CPU seconds (user + system; wall time on the shared machine says more about
the other work on it than about ours) of:
- rows: `parse_part`, what an import runs per file or part (`MrtReader.read_rows` into `WireRows`: UPDATE
  records decoded in numpy batches, prefixes and paths interned as integer words, the rows spilled), here
  in one process on the whole file;
- events: `MrtReader` events into `RouteAccumulator.consume`, the reader an import used before;
- bgpdump: `bgpdump -m FILE > /dev/null` (C: parse, print, discard);
and each reader's ratio to bgpdump and its CPU time per route read.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.routing.mrt import MrtReader
from bot.routing.rib_workers import parse_part
from bot.routing.route_build import RouteAccumulator


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def read_rows(path: Path, scratch: Path) -> int:
    return parse_part(path, scratch, (0, 1)).rows


def read_events(path: Path, scratch: Path) -> int:
    routes = RouteAccumulator(scratch)
    routes.consume("", MrtReader(path))
    return routes.rib_routes


def bgpdump(path: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["sh", "-c", f"bgpdump -m '{path}' > /dev/null"], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("bgpdump") is None:
        print("skipped: needs Debian's bgpdump (apt-get install bgpdump)")
        return
    print(f"{'file':32} {'reader':8} {'CPU s':>7} {'÷ bgpdump':>9} {'ns/route':>9} {'routes':>11}")
    for path in args.files:
        for _ in range(args.repeats):
            theirs = bgpdump(path)
            print(f"{path.name:32} {'bgpdump':8} {theirs:>7.2f}")
            for label, read in (("rows", read_rows), ("events", read_events)):
                scratch = Path(tempfile.mkdtemp(prefix="silkroute-bench-rows-"))
                try:
                    started, wall = cpu(), time.perf_counter()
                    routes = read(path, scratch)
                    spent = cpu() - started
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
                print(
                    f"{path.name:32} {label:8} {spent:>7.2f} {spent / theirs:>9.2f} "
                    f"{spent / max(1, routes) * 1e9:>9.0f} {routes:>11,} (wall {time.perf_counter() - wall:.1f} s)"
                )


if __name__ == "__main__":
    main()
