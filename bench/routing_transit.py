"""Benchmark `/transit`: latency for an AS and for a country, cold and warm, and the memory the index adds.

Default: a synthetic full-size table generated in memory in the `TransitData` shape (>= 900k IPv4 prefixes x
30 vantage points = 27M routes, ~70k origins in a realistic country mix), routes materialised per origin on
request as the real snapshot does from its memory-mapped arrays.
`--snapshot DIR`: a real snapshot (`load_current(DIR)`, e.g. the one `bench/routing_fullsize.py --keep --data
DIR` builds), served by a SnapshotStore; it measures the largest origin, a median-sized one, the country
holding the most ASes and KZ.
Baseline, in the same run: the naive implementation of the same computation (`naive` below: no per-origin
route index and no cache, so an answer scans the whole table for its routes, then runs the same arithmetic);
every latency is printed with the naive one's time divided by it (the speed-up the index buys).
Memory: process RSS (anonymous part separately: the snapshot's memory-mapped pages are file-backed) around
the timed pass, and tracemalloc's count of Python allocations in a second pass on a fresh index.

    .venv/bin/python bench/routing_transit.py [--prefixes 900000] [--vantages 30] [--snapshot DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import tracemalloc
from array import array
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app.commands import Caller, Context
from bot.app.features.transit.chart import render_chart
from bot.app.features.transit.command import transit
from bot.core.settings import CoreSettings, Settings
from bot.core.values import Source
from bot.routing.snapshot import Route, Snapshot, Vantage
from bot.routing.snapshot_store import SnapshotStore
from bot.routing.transit import TransitData, TransitIndex
from tests.helpers import make_services

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

    def has_routes(self, family: int) -> bool:
        return family == 4  # the generated table is IPv4 only

    def origin_asns(self) -> frozenset[int]:
        return frozenset(self.prefix_keys)

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


class Case(NamedTuple):
    """One measured target: an origin AS (int) or a country code (str)."""

    label: str
    target: int | str

    def run(self, index: TransitIndex) -> object:
        if isinstance(self.target, int):
            return index.origin(self.target, 4)
        return index.country(self.target, 4)

    @property
    def command(self) -> str:
        return f"AS{self.target}" if isinstance(self.target, int) else self.target


def naive(data: TransitData, case: Case) -> object:
    """The straightforward implementation: read every route of the table (origin by origin, which is how
    the table is stored), keep those whose path ends in a wanted origin, compute each origin's result with
    no cache, then the answer."""
    wanted = {case.target} if isinstance(case.target, int) else set(data.asns_in_country(case.target))
    grouped: dict[int, list[Any]] = {}
    for origin in data.origin_asns():
        for route in data.routes_of_origin(origin, 4):
            last = route.path[-1] if route.path else None
            if isinstance(last, int) and last in wanted:
                grouped.setdefault(last, []).append(route)
    index = TransitIndex(data)
    for asn, routes in grouped.items():
        index.origin(asn, 4, routes)
    return case.run(index)


def seconds(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def rss_mb() -> dict[str, float]:
    """VmRSS and its anonymous part (the index lives there; mapped snapshot pages are RssFile)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "RssAnon")}


def synthetic_cases(table: SyntheticTable) -> tuple[list[Case], list[Case]]:
    """Measured cases and the subset timed through the handler."""
    big = max(table.prefix_keys, key=lambda a: len(table.prefix_keys[a]))
    print(
        f"largest origin AS{big}: {len(table.prefix_keys[big]):,} prefixes; AS9198: {len(table.prefix_keys[9198])}"
    )
    cases = [
        Case("AS9198", 9198),
        Case(f"AS{big} (largest)", big),
        Case("KZ country", "KZ"),
        Case("DE country", "DE"),
    ]
    return cases, [cases[0], cases[2]]


def snapshot_cases(snapshot: Snapshot) -> tuple[list[Case], list[Case]]:
    """The largest origin, a median-sized one, the country with the most ASes, and KZ when registered."""
    ranges = np.asarray(snapshot._origin_lengths, dtype=np.int64)
    routes_before = np.append(0, np.cumsum(ranges))[np.asarray(snapshot._origin_offsets)]
    sizes = np.diff(routes_before)  # each origin's routes: the sum of its row ranges
    asns = np.asarray(snapshot._origin_asns)
    order = np.argsort(sizes, kind="stable")
    big, small = int(asns[order[-1]]), int(asns[order[len(order) // 2]])
    codes = {cc for cc in map(snapshot.country_of_asn, asns.tolist()) if cc}
    # a generated table has no registry: then there is no country to ask about
    crowded = max(sorted(codes), key=lambda cc: len(snapshot.asns_in_country(cc)), default=None)
    for asn in (big, small):
        print(
            f"AS{asn} ({snapshot.country_of_asn(asn)}): {int(sizes[np.searchsorted(asns, asn)]):,} routes "
            "(all families)"
        )
    cases = [Case(f"AS{big} (largest origin)", big), Case(f"AS{small} (median origin)", small)]
    if crowded is not None:
        print(f"{crowded}: {len(snapshot.asns_in_country(crowded)):,} registered ASes")
        cases.append(Case(f"{crowded} country (most ASes)", crowded))
    if snapshot.asns_in_country("KZ"):
        cases.append(Case("KZ country", "KZ"))
    return cases, cases


async def serve(args: argparse.Namespace) -> tuple[SnapshotStore, str]:
    """The store that handlers will read: the real snapshot in DIR, or the synthetic table put in its place."""
    started = time.perf_counter()
    if args.snapshot is not None:
        store = SnapshotStore(args.snapshot)
        await store.start()  # no settings: no background refresh
        if store.current is None:
            raise SystemExit(f"no snapshot in {args.snapshot}: {store.error}")
        p = store.current.provenance
        about = (
            f"snapshot {store.current.snapshot_id}: {p.prefixes_v4:,} IPv4 + {p.prefixes_v6:,} IPv6 prefixes, "
            f"{p.routes:,} routes, {p.vantage_points} vantages"
        )
    else:
        table = SyntheticTable(args.prefixes, args.vantages)
        store = SnapshotStore(Path("unused"))
        store.current = table  # type: ignore[assignment]  # the synthetic table has the TransitData shape
        about = (
            f"synthetic table: {table.prefix_count:,} IPv4 prefixes x {len(table.vantages)} vantages = "
            f"{table.prefix_count * len(table.vantages):,} routes, {len(table.prefix_keys):,} origins, "
            f"{len(table.asns_in_country('KZ'))} KZ ASes"
        )
    return store, f"{about} (ready in {time.perf_counter() - started:.1f} s)"


def memory_pass(data: TransitData, cases: Sequence[Case]) -> Iterator[tuple[str, float, int]]:
    """(label, MB traced after it, origin results cached) per case, on a fresh index: tracemalloc slows the
    work several-fold, so the timed pass runs without it."""
    tracemalloc.start()
    fresh = TransitIndex(data)
    before = tracemalloc.get_traced_memory()[0]
    try:
        for case in cases:
            case.run(fresh)
            yield case.label, (tracemalloc.get_traced_memory()[0] - before) / 1e6, len(fresh._origins)
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prefixes", type=int, default=900_000, help="synthetic mode only")
    parser.add_argument("--vantages", type=int, default=30, help="synthetic mode only")
    parser.add_argument("--snapshot", type=Path, help="measure the real snapshot in this data dir instead")
    args = parser.parse_args()
    asyncio.run(run(args))


async def run(args: argparse.Namespace) -> None:
    store, about = await serve(args)
    print(about)
    current: object = store.current  # the synthetic table stands in for a Snapshot at run time
    data: TransitData
    if isinstance(current, Snapshot):
        data, (cases, handled) = current, snapshot_cases(current)
    else:
        assert isinstance(current, SyntheticTable)
        data, (cases, handled) = current, synthetic_cases(current)

    baselines = {case.command: seconds(partial(naive, data, case)) for case in cases}
    for case in cases:
        print(f"baseline, naive full-scan computation of {case.label}: {baselines[case.command]:,.2f} s")

    index = TransitIndex(data)
    rows = []
    rss_before = rss_mb()
    for case in cases:
        for state in ("cold", "warm"):
            rows.append((case.command, f"{case.label} compute, {state}", seconds(partial(case.run, index))))
    rss_after = rss_mb()

    # offline: the handler's own work is measured, not a failing attempt to reach IHR from a machine without Internet
    settings = Settings(core=CoreSettings(silkroute_offline=True))
    services = make_services(settings, snapshots=store)
    ctx = Context(services=services, caller=Caller("bench", can_manage=False))
    render_chart("warm-up", [], [], "")  # matplotlib's one-off import is not part of any answer's latency
    try:
        for case in handled:
            for state in ("cold", "warm"):
                started = time.perf_counter()
                await transit(ctx, case.command)
                rows.append(
                    (
                        case.command,
                        f"/transit {case.command} full handler, {state} (index + chart)",
                        time.perf_counter() - started,
                    )
                )
    finally:
        await services.close()
    for command, label, value in rows:
        print(
            f"{label:<56} {value * 1e3:10.2f} ms; the naive scan takes {baselines[command] / value:>12,.1f} x as long"
        )
    print(
        f"RSS around the timed index pass: {rss_before['VmRSS']:,.0f} -> {rss_after['VmRSS']:,.0f} MB "
        f"(+{rss_after['VmRSS'] - rss_before['VmRSS']:,.0f}); anonymous {rss_before['RssAnon']:,.0f} -> "
        f"{rss_after['RssAnon']:,.0f} MB (+{rss_after['RssAnon'] - rss_before['RssAnon']:,.0f}); "
        f"{len(index._origins):,} origin results cached"
    )
    for label, traced, cached in memory_pass(data, cases):
        print(
            f"tracemalloc, fresh index, after {label}: {traced:,.2f} MB, {cached:,} origin results cached "
            f"({traced * 1e3 / max(cached, 1):.2f} kB each; LRU capped at 20,000 origins)"
        )


if __name__ == "__main__":
    main()
