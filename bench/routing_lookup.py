"""IP lookups per second through `/lookup`'s code path, as a ratio to bare pyasn on the same IPASN data.

Run: .venv/bin/python bench/routing_lookup.py [--count 20000]
Builds a snapshot from the real 2014 RouteViews RIB (+ registry and names) under /tmp, then looks up the same
random addresses three ways: bare `pyasn.lookup` on the snapshot's IPASN file (baseline), `Snapshot.lookup_ip`
(the snapshot's interval table + the MOAS table) and the whole `/lookup` answer (`lookup()`: covering prefix,
all origins, vantage count, names, countries, sources).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyasn

from bot.app.features.lookup.command import lookup
from bot.routing.importer import import_files
from bot.routing.snapshot import load_current

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = [
    "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2",
    "registry/delegated-derived.20260201.txt.gz",
    "asnames/asnames-pyasn.2016.json.gz",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/silkroute-bench-lookup"))
    args = parser.parse_args()
    shutil.rmtree(args.data, ignore_errors=True)
    report = import_files([DATA / name for name in FILES], args.data)
    snapshot = load_current(args.data)
    assert snapshot is not None
    bare = pyasn.pyasn(str(report.folder / "ipasn.dat"))
    rng = random.Random(7)
    ips: list[str] = []
    while len(ips) < args.count:  # covered addresses only, so every path does its full work
        ip = f"{rng.randint(1, 5)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if bare.lookup(ip)[1] is not None:
            ips.append(ip)

    started = time.perf_counter()
    for ip in ips:
        bare.lookup(ip)
    baseline = args.count / (time.perf_counter() - started)

    started = time.perf_counter()
    for ip in ips:
        snapshot.lookup_ip(ip)
    moas = args.count / (time.perf_counter() - started)

    async def answers() -> float:
        begun = time.perf_counter()
        for ip in ips:
            await lookup(snapshot, ip, None)
        return float(args.count / (time.perf_counter() - begun))

    full = asyncio.run(answers())
    print(f"{args.count:,} covered random addresses, snapshot of {snapshot.provenance.routes:,} routes")
    print(f"bare pyasn.lookup (baseline): {baseline:,.0f} lookups/s")
    print(
        f"Snapshot.lookup_ip (interval table + MOAS table): {moas:,.0f} lookups/s = {moas / baseline:.3f}x baseline"
    )
    print(f"/lookup answer (lookup()): {full:,.0f} lookups/s = {full / baseline:.4f}x baseline")
    shutil.rmtree(args.data, ignore_errors=True)


if __name__ == "__main__":
    main()
