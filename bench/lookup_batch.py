"""`silkroute lookup-batch` throughput as a ratio to bare pyasn on the same list of addresses, same run.

Run: .venv/bin/python bench/lookup_batch.py [--count 1000000] [--rounds 5]
Builds the snapshot bench/routing_lookup.py uses (real 2014 RouteViews RIB + registry and names) under /tmp and writes N random
covered IPv4 addresses to a file. Baseline: pyasn loading the snapshot's IPASN file, then reading the
file and looking up every line (no output). Ours: the whole command, `silkroute lookup-batch FILE` run
in-process through the CLI entry point (snapshot load, interval table, origins with MOAS, names, registration
countries, CSV written to /dev/null), and the answers alone (interval table pre-built, nothing written).
The three alternate --rounds times; each ratio is given in wall time and in CPU time of this process (on a
shared machine the wall time also counts what other processes took from it: the CPU ratio is the steadier).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyasn
from routing_lookup import DATA, FILES  # the same snapshot as the single-lookup bench

from bot.frontends.cli import main as cli_main
from bot.routing.batch_lookup import BatchLookup
from bot.routing.importer import import_files
from bot.routing.snapshot import load_current


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path("/tmp/silkroute-bench-lookup-batch"))
    args = parser.parse_args()
    shutil.rmtree(args.data, ignore_errors=True)
    report = import_files([DATA / name for name in FILES], args.data / "data")
    ipasn = str(report.folder / "ipasn.dat")
    probe = pyasn.pyasn(ipasn)
    rng = random.Random(7)
    listing = args.data / "ips.txt"
    with listing.open("w") as out:
        written = 0
        while written < args.count:  # covered addresses only, so every path does its full work
            ip = f"{rng.randint(1, 5)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            if probe.lookup(ip)[1] is not None:
                out.write(ip + "\n")
                written += 1

    os.environ["SILKROUTE_DATA_DIR"] = str(args.data / "data")
    snapshot = load_current(args.data / "data")
    assert snapshot is not None
    print(f"{args.count:,} covered random IPv4 addresses, snapshot of {snapshot.provenance.routes:,} routes")

    def bare() -> None:
        found = pyasn.pyasn(ipasn)
        with listing.open() as lines:
            for line in lines:
                found.lookup(line.strip())

    def whole() -> None:
        with (
            Path(os.devnull).open("w") as sink,
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            code = cli_main(["--env-file", str(args.data / "none.env"), "lookup-batch", str(listing)])
        assert code == 0, code

    def answers() -> None:
        batch = BatchLookup(snapshot)
        with listing.open() as lines:
            for _ in batch.chunks(lines):
                pass

    for round_ in range(1, args.rounds + 1):
        baseline, ours, alone = timed(bare), timed(whole), timed(answers)
        print(
            f"round {round_}: bare pyasn (load + read file + lookup each; baseline) "
            f"{args.count / baseline[0]:,.0f} addresses/s | lookup-batch, whole command, CSV out: "
            f"{args.count / ours[0]:,.0f}/s = {baseline[0] / ours[0]:.2f}x wall, "
            f"{baseline[1] / ours[1]:.2f}x CPU | BatchLookup.chunks alone: {baseline[0] / alone[0]:.2f}x wall, "
            f"{baseline[1] / alone[1]:.2f}x CPU"
        )
    shutil.rmtree(args.data, ignore_errors=True)


def timed(run: Callable[[], None]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


if __name__ == "__main__":
    main()
