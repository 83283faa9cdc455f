"""Benchmark `/country target:KZ`, cold and warm, as ratios to a warm `/transit target:KZ` in the same run.

Cold = a freshly loaded snapshot object (so every cache is empty): the profile of every KZ origin, the size of
the five compared countries, the chart. Warm = the same question again. Both go through the real handler.

    .venv/bin/python bench/country_profile.py [--snapshot DIR] [--repeat 5]

`--snapshot DIR`: a built snapshot, e.g. the generated full-size table of
`bench/routing_fullsize.py --keep --data DIR` (900k IPv4 + 100k IPv6 prefixes x 30 vantage points, 300 KZ
ASes). Without it the shared real data (2014 RouteViews RIB + 2019 RIS updates + registry + IXP list) is
imported into a temporary folder first.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app.answer import Answer
from bot.app.commands import Caller, Context
from bot.app.features.country.command import country
from bot.app.features.transit.command import transit
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current
from tests.helpers import make_services

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_FILES = (
    "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2",
    "mrt/ris-rrc00-updates.20190101.0000.gz",
    "registry/delegated-derived.20260201.txt.gz",
    "asnames/asnames-libloc.20221029.json.gz",
    "ixp/ixps-peering-lans.202410.jsonl",
)


def context(snapshot: Snapshot) -> Context:
    return Context(services=make_services(snapshot=snapshot), caller=Caller("bench", can_manage=False))


async def timed(handler: Callable[[Context, str], Awaitable[Answer]], ctx: Context) -> float:
    started = time.perf_counter()
    await handler(ctx, "KZ")
    return time.perf_counter() - started


async def run(data_dir: Path, repeat: int) -> None:
    cold: list[float] = []
    warm: list[float] = []
    transit_warm: list[float] = []
    for _ in range(repeat):
        snapshot = load_current(data_dir)  # a new object: fresh per-snapshot indexes, nothing cached
        assert snapshot is not None
        ctx = context(snapshot)
        cold.append(await timed(country, ctx))
        warm.append(await timed(country, ctx))
        await transit(ctx, "KZ")  # the cold /transit is not the baseline
        transit_warm.append(await timed(transit, ctx))
    answer = await country(ctx, "KZ")
    base = statistics.median(transit_warm)
    print(
        f"snapshot: {data_dir} ({snapshot.provenance.routes:,} routes, {len(snapshot.vantages)} vantage points)"
    )
    print(
        f"KZ: {answer.data['size']['routed_asns']} origin ASes, "
        f"{answer.data['size']['routed_ipv4_addresses']:,} routed IPv4 addresses, "
        f"no observed path avoiding RU: {answer.data['no_path_avoiding'][0]['share']:.1%}"
    )
    print(f"baseline, warm /transit target:KZ: median {base * 1e3:.2f} ms over {repeat} runs")
    for label, values in (("cold /country target:KZ", cold), ("warm /country target:KZ", warm)):
        median = statistics.median(values)
        print(f"{label}: median {median * 1e3:.1f} ms = {median / base:.1f}x the warm /transit")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshot", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.snapshot is not None:
        asyncio.run(run(args.snapshot, args.repeat))
        return
    folder = Path(tempfile.mkdtemp(prefix="silkroute-bench-country-"))
    try:
        import_files([SHARED / name for name in REAL_FILES], folder)
        asyncio.run(run(folder, args.repeat))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
