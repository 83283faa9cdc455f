"""`silkroute lookup-batch` throughput as a ratio to bare pyasn on the same list of addresses, same run.

Run: .venv/bin/python bench/lookup_batch.py [--count 1000000] [--rounds 5] [--data-dir DIR]
Without --data-dir it builds the snapshot bench/routing_lookup.py uses (real 2014 RouteViews RIB + registry
and names, 0.27 M routes) under /tmp; with it, it uses the snapshot DIR serves (e.g. one of the 120 M-route
pair: bench/README.md). It writes N random IPv4 addresses that some prefix covers to a file, then alternates
--rounds times, each a fresh process timed from start to exit (interpreter start and imports included, as
a researcher runs them):
- the baseline: a Python script loading the snapshot's `ipasn.dat` into pyasn, reading the file and looking
  up every line (no output);
- the whole command, `silkroute lookup-batch FILE` (settings, snapshot load, interval table, origins with
  MOAS, names, registration countries, CSV written to /dev/null);
and, in this process, the answers alone (`BatchLookup.chunks`, the snapshot already open, nothing written)
against the baseline's time. Ratios are throughput ratios, in wall time and in CPU time (user + system of
the process: on a shared machine the wall time also counts what other processes took from it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_lookup import DATA, FILES  # the same snapshot as the single-lookup bench

from bot.routing.batch_lookup import BatchLookup
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current

BARE_PYASN = """
import sys, pyasn
found = pyasn.pyasn(sys.argv[1])
with open(sys.argv[2]) as lines:
    for line in lines:
        found.lookup(line.strip())
"""


def covered_addresses(snapshot: Snapshot, count: int, seed: int = 7) -> list[str]:
    """`count` random IPv4 addresses each inside some announced prefix, so every path does its full work."""
    rng = np.random.default_rng(seed)
    found: list[npt.NDArray[np.uint64]] = []
    total = 0
    while total < count:
        candidates = rng.integers(1 << 24, 224 << 24, 1_000_000, dtype=np.uint64)
        candidates = candidates[snapshot.covering_v4(candidates) >= 0]
        found.append(candidates)
        total += len(candidates)
    return [
        f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"
        for a in np.concatenate(found)[:count].tolist()
    ]


def process(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of a fresh process, from start to exit."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    assert child.stderr is not None
    errors = child.stderr.read().decode()
    child.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0, errors
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, help="use the snapshot this data folder serves")
    parser.add_argument("--work", type=Path, default=Path("/tmp/silkroute-bench-lookup-batch"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    data_dir = args.data_dir
    if data_dir is None:
        data_dir = args.work / "data"
        import_files([DATA / name for name in FILES], data_dir)
    snapshot = load_current(data_dir)
    assert snapshot is not None, f"no snapshot in {data_dir}"
    listing = args.work / "ips.txt"
    listing.write_text("".join(f"{ip}\n" for ip in covered_addresses(snapshot, args.count)))
    ipasn = str(snapshot.folder / "ipasn.dat")
    silkroute = str(Path(sys.executable).with_name("silkroute"))
    env = os.environ | {"SILKROUTE_DATA_DIR": str(data_dir)}
    print(
        f"{args.count:,} covered random IPv4 addresses, snapshot of {snapshot.provenance.routes:,} routes, "
        f"{snapshot.provenance.prefixes_v4 + snapshot.provenance.prefixes_v6:,} prefixes"
    )
    for round_ in range(1, args.rounds + 1):
        bare = process([sys.executable, "-c", BARE_PYASN, ipasn, str(listing)])
        whole = process(
            [silkroute, "--env-file", str(args.work / "none.env"), "lookup-batch", str(listing)], env
        )
        started = time.perf_counter()
        with listing.open() as lines:
            for _ in BatchLookup(snapshot).chunks(lines):
                pass
        alone = time.perf_counter() - started
        print(
            f"round {round_}: bare pyasn process {args.count / bare[0]:,.0f} addresses/s ({bare[0]:.2f} s) | "
            f"silkroute lookup-batch process, CSV out: {whole[0]:.2f} s = {bare[0] / whole[0]:.2f}x wall, "
            f"{bare[1] / whole[1]:.2f}x CPU | BatchLookup.chunks alone: {alone:.2f} s = {bare[0] / alone:.2f}x",
            flush=True,
        )
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
