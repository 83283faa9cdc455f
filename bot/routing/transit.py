"""Transit dependency of an origin AS or a whole country: exit countries, country presence, AS hegemony.

The definitions (issue 4) are implemented exactly, and repeated in `TRANSIT_HELP`:
- a route is (vantage point, prefix, AS path); a path with an AS_SET or a loop is dropped, prepending collapsed,
  the origin is the last AS; weight = 2^(32-len) for IPv4, 1 for IPv6;
- per origin O and vantage v with a route to O: hegemony of X != O, country presence of C and exit country C
  (first AS registered outside O's country, walking from O towards v; only v's leaving routes count);
- per-vantage values are combined with a 10 % trimmed mean (missing = 0, drop n // 10 from each end);
- a country K: its origins' normalised exit shares (and foreign transit hegemony) averaged, weighted by each
  origin's announced address space.

Unregistered ASes (no registration country) are reported under `ZZ`: they count as their own "country" for
presence and for the transit list, they are *skipped* when walking to the exit (they are not registered in
another country), and the share of route weight that passes such an AS before its exit (or never leaves) is
reported as `unregistered_before_exit` so a reader sees how much the exit answer could hide.

Everything is computed lazily per snapshot: one origin from `routes_of_origin`, one country from
`asns_in_country` plus its origins' cached results, so no answer rescans the whole table.
"""

from __future__ import annotations

import socket
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from cachetools import LRUCache

from bot.core.values import Source
from bot.routing.country_names import UNKNOWN_COUNTRY

PathHop = int | frozenset[int]


class VantageLike(Protocol):
    """One peer of a collector (the snapshot's `Vantage`)."""

    @property
    def collector(self) -> str: ...

    @property
    def peer_asn(self) -> int: ...


class RouteLike(Protocol):
    """One route as the snapshot stores it; a frozenset hop is an AS_SET."""

    @property
    def vantage(self) -> int: ...

    @property
    def prefix(self) -> str: ...

    @property
    def path(self) -> tuple[PathHop, ...]: ...


class OriginSeenLike(Protocol):
    @property
    def asn(self) -> int: ...


class IpMatchLike(Protocol):
    """What `lookup_ip` returns: the covering prefix and its origin ASes, most-seen first."""

    @property
    def prefix(self) -> str: ...

    @property
    def origins(self) -> Sequence[OriginSeenLike]: ...


class TransitData(Protocol):
    """The part of the routing snapshot `/transit` reads; the real `Snapshot` satisfies it structurally."""

    @property
    def vantages(self) -> Sequence[VantageLike]: ...

    def routes_of_origin(self, asn: int, family: int | None = None) -> Sequence[RouteLike]: ...

    def origin_asns(self) -> Collection[int]: ...

    def has_routes(self, family: int) -> bool: ...

    def country_of_asn(self, asn: int) -> str | None: ...

    def asns_in_country(self, cc: str) -> Sequence[int]: ...

    def as_name(self, asn: int) -> str | None: ...

    def lookup_ip(self, ip: str) -> IpMatchLike | None: ...

    def data_sources(self) -> list[Source]: ...


K = TypeVar("K", int, str)
Shares = tuple[tuple[str, float], ...]
Hegemony = tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class OriginTransit:
    """The combined (trimmed-mean) results for one origin AS in one address family."""

    origin: int
    family: int
    country: str | None
    vantage_points: int
    leaving_vantage_points: int
    routes: int
    dropped_as_set: int
    dropped_loop: int
    prefixes: int
    address_space: int
    exit_countries: Shares
    countries: Shares
    transit: Hegemony
    unregistered_before_exit: float
    vantage_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CountryTransit:
    """A country's origins combined, weighted by each origin's announced address space."""

    country: str
    family: int
    registered_ases: int
    origin_ases: int
    leaving_origin_ases: int
    address_space: int
    exit_countries: Shares
    countries: Shares
    transit: Hegemony
    vantage_ids: frozenset[int]


def clean_path(path: Sequence[PathHop]) -> tuple[int, ...] | str:
    """Collapse prepending; return why the route is dropped ("as_set", "loop", "empty") instead of a path."""
    out: list[int] = []
    for hop in path:
        if isinstance(hop, frozenset):
            return "as_set"
        if not out or out[-1] != hop:
            out.append(hop)
    if not out:
        return "empty"
    if len(set(out)) != len(out):
        return "loop"
    return tuple(out)


def first_foreign(
    path: Sequence[int], home: str, country_of: Callable[[int], str | None]
) -> tuple[tuple[int, str] | None, bool]:
    """Where a cleaned path leaves `home`: (first AS registered elsewhere, its country) walking from the origin
    towards the vantage point, or None when it never leaves; and whether an unregistered AS came first.

    Unregistered ASes are skipped, not taken as the exit: nothing says they sit in another country.
    """
    passed_unregistered = False
    for asn in reversed(path[:-1]):
        hop_cc = country_of(asn)
        if hop_cc is None:
            passed_unregistered = True
        elif hop_cc != home:
            return (asn, hop_cc), passed_unregistered
    return None, passed_unregistered


def prefix_weight(prefix: str) -> int:
    """Address count of an IPv4 prefix, 1 for IPv6 (so IPv6 counts prefixes, as AS hegemony does)."""
    if ":" in prefix:
        return 1
    return 1 << (32 - int(prefix.rpartition("/")[2]))


def trimmed_mean(values: Iterable[float], n: int) -> float:
    """10 % trimmed mean over n vantage points, `values` being the non-zero ones (the rest count 0).

    int(0.1 * n) == n // 10 for every n, so the integer form is used.
    """
    present = sorted(values)
    full = [0.0] * (n - len(present)) + present
    cut = n // 10
    kept = full[cut : n - cut]
    return sum(kept) / len(kept)


def address_space(prefixes: Iterable[str], family: int) -> int:
    """IPv4: addresses covered by the distinct prefixes (overlaps once); IPv6: how many distinct prefixes."""
    distinct = set(prefixes)
    if family == 6:
        return len(distinct)
    spans = []
    for prefix in distinct:
        address, _, length = prefix.partition("/")
        start = int.from_bytes(socket.inet_aton(address), "big")
        spans.append((start, start + (1 << (32 - int(length)))))
    covered = reach = 0
    for start, end in sorted(spans):  # merge overlapping spans, counting each address once
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered


@dataclass(slots=True)
class _Vantage:
    """Weighted sums for one vantage point's routes to one origin."""

    total: float = 0.0
    leaving: float = 0.0
    unregistered: float = 0.0
    transit: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    countries: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    exits: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def _combined_shares(per_vantage: Sequence[tuple[dict[K, float], float]]) -> dict[K, float]:
    """Per-vantage shares (sums / vantage total) combined by the trimmed mean; zero results are left out."""
    n = len(per_vantage)
    values: dict[K, list[float]] = defaultdict(list)
    for sums, total in per_vantage:
        for key, weight in sums.items():
            values[key].append(weight / total)
    combined = {key: trimmed_mean(vals, n) for key, vals in values.items()}
    return {key: value for key, value in combined.items() if value > 0}


def _sorted_shares(shares: dict[K, float]) -> tuple[tuple[K, float], ...]:
    return tuple(sorted(shares.items(), key=lambda item: (-item[1], item[0])))


def compute_origin(
    origin: int, routes: Iterable[RouteLike], family: int, country_of: Callable[[int], str | None]
) -> OriginTransit:
    """Apply the definitions to the routes of one origin (routes whose cleaned origin differs are ignored)."""
    home = country_of(origin)
    vantages: dict[int, _Vantage] = defaultdict(_Vantage)
    # Many prefixes of one origin share a path per vantage: clean and walk each distinct path once.
    by_path: dict[tuple[int, tuple[PathHop, ...]], float] = defaultdict(float)
    weights: dict[str, int] = {}  # also the set of distinct prefixes
    dropped = {"as_set": 0, "loop": 0, "empty": 0}
    routes_used = 0
    cleaned: dict[tuple[PathHop, ...], tuple[int, ...] | str] = {}
    for route in routes:
        raw = route.path
        path = cleaned.get(raw)
        if path is None:
            path = cleaned[raw] = clean_path(raw)
        if isinstance(path, str):
            dropped[path] += 1
            continue
        if path[-1] != origin:
            continue
        routes_used += 1
        prefix = route.prefix
        known = weights.get(prefix)
        if known is None:
            known = weights[prefix] = prefix_weight(prefix)
        by_path[(route.vantage, raw)] += known
    for (vantage_id, raw), weight in by_path.items():
        path = cleaned[raw]
        assert not isinstance(path, str)
        acc = vantages[vantage_id]
        acc.total += weight
        hop_countries: set[str] = set()
        for asn in path[:-1]:
            acc.transit[asn] += weight
            hop_countries.add(country_of(asn) or UNKNOWN_COUNTRY)
        for cc in hop_countries:
            acc.countries[cc] += weight
        if home is None:
            continue
        exit_hop, passed_unregistered = first_foreign(path, home, country_of)
        if exit_hop is not None:
            acc.leaving += weight
            acc.exits[exit_hop[1]] += weight
        if passed_unregistered:
            acc.unregistered += weight
    seen = list(vantages.values())
    leaving = [(acc.exits, acc.leaving) for acc in seen if acc.leaving > 0]
    unregistered = [acc.unregistered / acc.total for acc in seen if acc.unregistered > 0]
    return OriginTransit(
        origin=origin,
        family=family,
        country=home,
        vantage_points=len(seen),
        leaving_vantage_points=len(leaving),
        routes=routes_used,
        dropped_as_set=dropped["as_set"],
        dropped_loop=dropped["loop"],
        prefixes=len(weights),
        address_space=address_space(weights, family),
        exit_countries=_sorted_shares(_combined_shares(leaving)),
        countries=_sorted_shares(_combined_shares([(acc.countries, acc.total) for acc in seen])),
        transit=_sorted_shares(_combined_shares([(acc.transit, acc.total) for acc in seen])),
        unregistered_before_exit=trimmed_mean(unregistered, len(seen)) if seen else 0.0,
        vantage_ids=tuple(sorted(vantages)),  # a tuple: a third of a frozenset's memory
    )


def combine_country(
    country: str,
    family: int,
    registered: int,
    results: Iterable[OriginTransit],
    country_of: Callable[[int], str | None],
) -> CountryTransit:
    """Weight each origin by its address space: exit shares normalised per origin, foreign transit as is."""
    exits: dict[str, float] = defaultdict(float)
    presence: dict[str, float] = defaultdict(float)
    transit: dict[int, float] = defaultdict(float)
    exit_weight = 0
    weight_sum = 0
    origins = leaving = space = 0
    vantage_ids: set[int] = set()
    for result in results:
        if result.vantage_points == 0:
            continue
        origins += 1
        weight = result.address_space
        space += weight
        weight_sum += weight
        vantage_ids.update(result.vantage_ids)
        for cc, share in result.countries:
            presence[cc] += weight * share
        for asn, hegemony in result.transit:
            if country_of(asn) != country:
                transit[asn] += weight * hegemony
        exit_total = sum(share for _, share in result.exit_countries)
        if exit_total > 0:
            leaving += 1
            exit_weight += weight
            for cc, share in result.exit_countries:
                exits[cc] += weight * share / exit_total

    def scaled(sums: dict[K, float], total: int) -> tuple[tuple[K, float], ...]:
        return _sorted_shares({key: value / total for key, value in sums.items()}) if total else ()

    return CountryTransit(
        country=country,
        family=family,
        registered_ases=registered,
        origin_ases=origins,
        leaving_origin_ases=leaving,
        address_space=space,
        exit_countries=scaled(exits, exit_weight),
        countries=scaled(presence, weight_sum),
        transit=scaled(transit, weight_sum),
        vantage_ids=frozenset(vantage_ids),
    )


class RegistrationMemo:
    """Registration countries memoised per ASN: every path hop asks for one, the snapshot lookup is a dict chain."""

    def __init__(self, data: TransitData) -> None:
        self._data = data
        self._country_of: dict[int, str | None] = {}

    def country_of(self, asn: int) -> str | None:
        try:
            return self._country_of[asn]
        except KeyError:
            cc = self._country_of[asn] = self._data.country_of_asn(asn)
            return cc


class TransitIndex:
    """Per-snapshot cache of origin and country results; thread-safe so cold work can run off the event loop.

    Origin results live in an LRU (a full table has ~75k origins; most are never asked about), country results
    in a plain dict (at most ~250 countries x 2 families). Registration countries are memoised per ASN because
    every path hop asks for one.
    """

    def __init__(self, data: TransitData, max_origins: int = 20_000) -> None:
        self.data = data
        self._origins: LRUCache[tuple[int, int], OriginTransit] = LRUCache(maxsize=max_origins)
        self._countries: dict[tuple[str, int], CountryTransit] = {}
        self.country_of = RegistrationMemo(data).country_of
        self._originating: Collection[int] | None = None
        self._lock = threading.Lock()
        # Rendered charts (~30 kB each) by (title, rows): rendering costs ~100 ms, far more than the numbers.
        self.charts: LRUCache[tuple[str, int], bytes] = LRUCache(maxsize=128)

    def cached_origin(self, asn: int, family: int) -> OriginTransit | None:
        with self._lock:
            return self._origins.get((asn, family))

    def cached_country(self, cc: str, family: int) -> CountryTransit | None:
        with self._lock:
            return self._countries.get((cc, family))

    def originating(self) -> Collection[int]:
        """The ASes with a route in the table, read once: most registered ASes originate nothing, and their
        result (no vantage point) counts for nothing in a country, so they need no work at all."""
        if self._originating is None:
            self._originating = self.data.origin_asns()
        return self._originating

    def origin(self, asn: int, family: int, routes: Sequence[RouteLike] | None = None) -> OriginTransit:
        """One origin's result, computed from its own routes on first use; a caller that already read them
        (this family's, in table order) passes `routes` so the table is not read twice."""
        cached = self.cached_origin(asn, family)
        if cached is not None:
            return cached
        if routes is None:
            routes = self.data.routes_of_origin(asn, family)
        result = compute_origin(asn, routes, family, self.country_of)
        with self._lock:
            self._origins[(asn, family)] = result
        return result

    def country(self, cc: str, family: int) -> CountryTransit:
        """A country's result from its registered ASes' origin results, computed once."""
        cached = self.cached_country(cc, family)
        if cached is not None:
            return cached
        asns = self.data.asns_in_country(cc)
        originating = self.originating()
        result = combine_country(
            cc,
            family,
            len(asns),
            (self.origin(a, family) for a in asns if a in originating),
            self.country_of,
        )
        with self._lock:
            self._countries[(cc, family)] = result
        return result


DataT = TypeVar("DataT")
IndexT = TypeVar("IndexT")


class PerSnapshot(Generic[DataT, IndexT]):
    """Keeps the index of the snapshot currently served; a swapped-in snapshot gets a fresh index."""

    def __init__(self, build: Callable[[DataT], IndexT]) -> None:
        self._build = build
        self._data: DataT | None = None
        self._index: IndexT | None = None
        self._lock = threading.Lock()

    def for_snapshot(self, data: DataT) -> IndexT:
        with self._lock:
            if self._index is None or self._data is not data:
                self._data, self._index = data, self._build(data)
            return self._index


class TransitIndexes(PerSnapshot[TransitData, TransitIndex]):
    """The served snapshot's `TransitIndex`."""

    def __init__(self) -> None:
        super().__init__(TransitIndex)
