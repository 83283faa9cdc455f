"""Benchmark `/transit`: latency for an AS and for a country, cold and warm, and the memory the index adds.

Runs on a synthetic full-size table generated in memory in the `TransitData` shape (>= 900k IPv4 prefixes x
30 vantage points = 27M routes, ~70k origins in a realistic country mix), because the full-table snapshot is
built by the snapshot area's own benchmark. Routes are materialised per origin on request, as the real
snapshot does from its memory-mapped arrays. Every latency is printed as a ratio to a bare dict lookup of a
precomputed answer, measured in the same run.

    .venv/bin/python bench/routing_transit.py [--prefixes 900000] [--vantages 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import timeit
import tracemalloc
from array import array
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.answer import Source
from bot.commands import Caller, Context
from bot.routing.snapshot import Route, Vantage
from bot.routing.store import SnapshotStore
from bot.routing.transit import TransitIndex
from bot.routing.transit_chart import render_chart
from bot.routing.transit_command import transit
from bot.services import Services
from bot.settings import Settings

# Country mix of origins, roughly as in the delegated files (share of ~70k origin ASes).
COUNTRIES = [
    ("US", 0.25),
    ("RU", 0.08),
    ("BR", 0.08),
    ("DE", 0.04),
    ("GB", 0.04),
    ("CN", 0.02),
    ("KZ", 0.003),
]
OTHER = [f"X{i}" for i in range(150)]
TIER1 = [174, 701, 1299, 2914, 3257, 3320, 3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018, 12956]
KZ_UPSTREAMS = [12389, 20485, 31133, 3216, 9002, 43727, 20764, 4134]


class Seen(NamedTuple):
    asn: int
    vantage_points: int


class Match(NamedTuple):
    ip: str
    prefix: str
    origins: list[Seen]


class SyntheticTable:
    """A full-size table held compactly: prefixes per origin, a few upstreams per origin, paths made on demand."""

    def __init__(self, prefixes: int, vantages: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.vantages = [
            Vantage(f"rrc{v // 10:02d}", f"198.51.100.{v}", 64000 + v + 100000) for v in range(vantages)
        ]
        self.registry: dict[int, str] = {}
        origins = max(1, prefixes * 75 // 1000)  # ~75 origins per 1,000 prefixes, as in a real table
        weights = [share for _, share in COUNTRIES]
        rest = 1 - sum(weights)
        codes = [cc for cc, _ in COUNTRIES] + OTHER
        weights += [rest / len(OTHER)] * len(OTHER)
        self.upstreams: dict[int, tuple[int, ...]] = {}
        self.prefix_keys: dict[int, array[int]] = {}
        regional = {cc: [200000 + i * 10 + k for k in range(6)] for i, cc in enumerate(codes)}
        for cc, ases in regional.items():
            for asn in ases:
                self.registry[asn] = cc
        for asn in TIER1:
            self.registry[asn] = "US"
        for asn in KZ_UPSTREAMS:
            self.registry[asn] = "CN" if asn == 4134 else "RU"
        self.registry[9198] = "KZ"
        for peer in self.vantages:
            self.registry[peer.peer_asn] = rng.choice(["US", "DE", "GB", "NL", "JP"])
        asns = [9198, *range(300000, 300000 + origins - 1)]
        for asn in asns:
            cc = "KZ" if asn == 9198 else rng.choices(codes, weights)[0]
            self.registry[asn] = cc
            if cc == "KZ":
                ups = (
                    (9198, *rng.sample(KZ_UPSTREAMS, 2))
                    if asn != 9198
                    else tuple(rng.sample(KZ_UPSTREAMS, 3))
                )
            else:
                ups = tuple(rng.sample(regional[cc], 2))
            self.upstreams[asn] = ups
        # Prefix counts per origin: heavy-tailed (a few origins announce thousands).
        # Capped near the largest real origins (~10k prefixes at full size).
        counts = [min(int(rng.paretovariate(1.2)), prefixes // 100) for _ in asns]
        scale = prefixes / sum(counts)
        base = 1 << 24
        for asn, count in zip(asns, counts, strict=True):
            keys = array("Q")
            for _ in range(max(1, round(count * scale))):
                length = rng.choice((24, 24, 24, 24, 24, 24, 23, 22, 21, 20))
                keys.append(base << 8 | length)
                base += 1 << (32 - length)
            self.prefix_keys[asn] = keys
        self.by_country: dict[str, list[int]] = {}
        for asn, cc in self.registry.items():
            self.by_country.setdefault(cc, []).append(asn)
        self._tier1_of = [TIER1[v % len(TIER1)] for v in range(vantages)]

    @property
    def prefix_count(self) -> int:
        return sum(len(k) for k in self.prefix_keys.values())

    def _path(self, vantage: int, origin: int, choice: int) -> tuple[int, ...]:
        ups = self.upstreams[origin]
        first = ups[choice % len(ups)]
        if first == 9198 and origin != 9198:
            return (
                self.vantages[vantage].peer_asn,
                self._tier1_of[vantage],
                ups[1 + choice % 2],
                9198,
                origin,
            )
        middle = (
            self._tier1_of[vantage] if vantage % 3 else self._tier1_of[(vantage + 1) % len(self.vantages)]
        )
        path = (self.vantages[vantage].peer_asn, middle, first, origin)
        return path + (origin,) * (choice % 3 == 0)  # some prepending

    def routes_of_origin(self, asn: int, family: int | None = None) -> Sequence[Route]:
        if family == 6 or asn not in self.prefix_keys:
            return []
        routes = []
        for i, key in enumerate(self.prefix_keys[asn]):
            net, length = key >> 8, key & 255
            prefix = f"{net >> 24}.{(net >> 16) & 255}.{(net >> 8) & 255}.{net & 255}/{length}"
            for v in range(len(self.vantages)):
                routes.append(Route(v, prefix, self._path(v, asn, i + v)))
        return routes

    def country_of_asn(self, asn: int) -> str | None:
        return self.registry.get(asn)

    def asns_in_country(self, cc: str) -> Sequence[int]:
        return self.by_country.get(cc.upper(), [])

    def as_name(self, asn: int) -> str | None:
        return f"SYNTHETIC-{asn}"

    def lookup_ip(self, ip: str) -> Match | None:
        return None

    def data_sources(self) -> list[Source]:
        return [Source("synthetic full table", datetime(2026, 1, 1, tzinfo=UTC), "generated in memory")]


def serving(table: Any) -> SnapshotStore:
    """A real snapshot store serving the synthetic table, so the handler runs its normal path."""
    store = SnapshotStore(Path("unused"))
    store.current = table
    return store


def seconds(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prefixes", type=int, default=900_000)
    parser.add_argument("--vantages", type=int, default=30)
    args = parser.parse_args()

    started = time.perf_counter()
    table = SyntheticTable(args.prefixes, args.vantages)
    print(
        f"synthetic table: {table.prefix_count:,} IPv4 prefixes x {len(table.vantages)} vantages = "
        f"{table.prefix_count * len(table.vantages):,} routes, {len(table.prefix_keys):,} origins, "
        f"{len(table.asns_in_country('KZ'))} KZ ASes (built in {time.perf_counter() - started:.1f} s)"
    )
    big = max(table.prefix_keys, key=lambda a: len(table.prefix_keys[a]))
    print(
        f"largest origin AS{big}: {len(table.prefix_keys[big]):,} prefixes; AS9198: {len(table.prefix_keys[9198])}"
    )

    answers = {("AS9198", 4): object()}
    loops = 1_000_000
    baseline = timeit.timeit(lambda: answers[("AS9198", 4)], number=loops) / loops
    print(f"baseline: bare dict lookup of a precomputed answer = {baseline * 1e9:.0f} ns")

    def ratio(value: float) -> str:
        return f"{value * 1e3:10.2f} ms  = {value / baseline:>14,.0f} x dict lookup"

    index = TransitIndex(table)
    rows = [
        ("AS9198 compute, cold", seconds(lambda: index.origin(9198, 4))),
        ("AS9198 compute, warm", seconds(lambda: index.origin(9198, 4))),
        (f"AS{big} (largest) compute, cold", seconds(lambda: index.origin(big, 4))),
        (f"AS{big} (largest) compute, warm", seconds(lambda: index.origin(big, 4))),
        ("KZ country compute, cold", seconds(lambda: index.country("KZ", 4))),
        ("KZ country compute, warm", seconds(lambda: index.country("KZ", 4))),
        ("DE country compute, cold", seconds(lambda: index.country("DE", 4))),
        ("DE country compute, warm", seconds(lambda: index.country("DE", 4))),
    ]
    # Memory in a second pass on a fresh index: tracemalloc slows the timed work above several-fold.
    tracemalloc.start()
    fresh = TransitIndex(table)
    before = tracemalloc.get_traced_memory()[0]
    for target in (9198, big):
        fresh.origin(target, 4)
    fresh.country("KZ", 4)
    kz_memory = tracemalloc.get_traced_memory()[0] - before
    fresh.country("DE", 4)
    de_memory = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    cached = len(fresh._origins)

    services = Services(settings=Settings(), components=[serving(table)])
    ctx = Context(services=services, caller=Caller("bench", can_manage=False))

    async def handler_timings() -> list[tuple[str, float]]:
        timings = []
        for target, state in (("AS9198", "cold"), ("AS9198", "warm"), ("KZ", "cold"), ("KZ", "warm")):
            started = time.perf_counter()
            await transit(ctx, target)
            timings.append(
                (f"/transit {target} full handler, {state} (index + chart)", time.perf_counter() - started)
            )
        return timings

    render_chart("warm-up", [], [], "")  # matplotlib's one-off import is not part of any answer's latency
    rows += asyncio.run(handler_timings())
    for label, value in rows:
        print(f"{label:<52} {ratio(value)}")
    print(
        f"memory added by the index: {kz_memory / 1e6:.2f} MB after AS9198 + largest AS + KZ; "
        f"{de_memory / 1e6:.1f} MB after DE too ({cached:,} origin results cached, "
        f"{de_memory / max(cached, 1) / 1e3:.2f} kB each; LRU capped at 20,000 origins)"
    )


if __name__ == "__main__":
    main()
