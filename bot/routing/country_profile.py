"""A country's Internet measured from the snapshot: size, concentration, and what its reachability hangs on.

Definitions (repeated for users in `/help command:country`); routes, cleaned paths, weights and the exit walk
are `/transit`'s (`bot.routing.transit`):
- size: ASNs and address space the RIR delegated data registers in the country; of the ASes registered there
  (the set `/transit` uses), those originating at least one route, their distinct prefixes, and the IPv4
  addresses those prefixes cover (overlaps counted once);
- origination share of an AS: the IPv4 addresses it originates over the sum of all the country's origins';
- customer cone of a domestic AS X in the observed paths: the weight (2^(32-len)) of the country's
  (origin, prefix) pairs with X on at least one observed path (or originating them), over all pairs' weight;
- international transit share of a foreign AS F: the weight of routes whose first foreign AS is F (walking from
  the origin towards the vantage point, unregistered ASes skipped), over all leaving routes' weight;
- HHI = sum of squared shares (0-1; x 10,000 gives the usual 0-10,000 scale);
- "no observed path avoiding" a country or AS: an origin none of whose IPv4 paths, from any vantage point, is
  free of that country's ASes (or that AS); its addresses count towards the share;
- single points of failure: foreign ASes on *every* observed IPv4 path of an origin (the vantage point's own AS
  excluded: it observes); losing one would leave that origin's addresses with no observed alternative.
Collectors record each peer's best path only, so observed paths understate the alternatives that exist.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cachetools import LRUCache

from bot.core.values import Source
from bot.routing.ixps import Ixp
from bot.routing.transit import (
    PerSnapshot,
    RegistrationMemo,
    RouteLike,
    TransitData,
    address_space,
    clean_path,
    first_foreign,
    prefix_weight,
)

Shares = tuple[tuple[int, float], ...]
Avoid = Callable[[int], bool]


class ProfileData(TransitData, Protocol):
    """What `/country` reads beyond `/transit`'s view: registry totals and exchanges."""

    def registered_asns(self, cc: str) -> int: ...

    def registered_space(self, cc: str, family: int) -> int: ...

    def ixps(self) -> list[Ixp]: ...

    def ixp_source(self) -> Source | None: ...


@dataclass(frozen=True, slots=True)
class CountrySize:
    """Registered (RIR delegated) and routed (snapshot) size of one country."""

    country: str
    registered_asns: int
    registered_ipv4: int
    registered_ipv6_64s: int
    routed_asns: int
    routed_ipv4: int
    prefixes_v4: int
    prefixes_v6: int

    @property
    def routed_ipv4_share(self) -> float | None:
        return self.routed_ipv4 / self.registered_ipv4 if self.registered_ipv4 else None


@dataclass(frozen=True, slots=True)
class OriginPaths:
    """One origin's IPv4 view: its prefixes (with weights), and each cleaned path with the weight seen on it.

    `paths` maps (vantage, cleaned path) to the summed weight of the routes that used it; `space` is the IPv4
    addresses the prefixes cover (overlaps once).
    """

    asn: int
    prefixes: dict[str, int]
    prefix_paths: dict[str, set[tuple[int, ...]]]
    paths: dict[tuple[int, tuple[int, ...]], int]
    space: int


def origin_paths(asn: int, routes: Iterable[RouteLike]) -> OriginPaths:
    """Clean each IPv4 route's path once; routes dropped by `/transit` (AS_SET, loop, other origin) are skipped."""
    prefixes: dict[str, int] = {}
    prefix_paths: dict[str, set[tuple[int, ...]]] = defaultdict(set)
    paths: dict[tuple[int, tuple[int, ...]], int] = defaultdict(int)
    cleaned: dict[tuple[object, ...], tuple[int, ...] | str] = {}
    for route in routes:
        if ":" in route.prefix:
            continue
        path = cleaned.get(route.path)
        if path is None:
            path = cleaned[route.path] = clean_path(route.path)
        if isinstance(path, str) or path[-1] != asn:
            continue
        weight = prefixes.get(route.prefix)
        if weight is None:
            weight = prefixes[route.prefix] = prefix_weight(route.prefix)
        prefix_paths[route.prefix].add(path)
        paths[(route.vantage, path)] += weight
    return OriginPaths(asn, prefixes, dict(prefix_paths), dict(paths), address_space(prefixes, 4))


def hhi(shares: Iterable[float]) -> float:
    """Herfindahl-Hirschman index of shares summing to 1: 1/n for n equal parts, 1 for a monopoly."""
    return sum(share * share for share in shares)


def _normalised(sums: dict[int, float]) -> Shares:
    total = sum(sums.values())
    if not total:
        return ()
    return tuple(sorted(((k, v / total) for k, v in sums.items()), key=lambda item: (-item[1], item[0])))


def origination_shares(origins: Sequence[OriginPaths]) -> Shares:
    return _normalised({o.asn: o.space for o in origins if o.prefixes})


def cone_shares(origins: Sequence[OriginPaths], domestic: Callable[[int], bool]) -> Shares:
    """Each domestic AS's observed customer cone as a share of the country's (origin, prefix) weight."""
    cone: dict[int, float] = defaultdict(float)
    total = 0
    for origin in origins:
        for prefix, weight in origin.prefixes.items():
            total += weight
            on_paths = {asn for path in origin.prefix_paths[prefix] for asn in path if domestic(asn)}
            for asn in on_paths:
                cone[asn] += weight
    if not total:
        return ()
    return tuple(sorted(((k, v / total) for k, v in cone.items()), key=lambda item: (-item[1], item[0])))


def transit_shares(
    origins: Sequence[OriginPaths], home: str, country_of: Callable[[int], str | None]
) -> tuple[Shares, int]:
    """First foreign AS shares of the leaving route weight, and that weight (0: no route leaves)."""
    sums: dict[int, float] = defaultdict(float)
    for origin in origins:
        for (_vantage, path), weight in origin.paths.items():
            exit_hop, _ = first_foreign(path, home, country_of)
            if exit_hop is not None:
                sums[exit_hop[0]] += weight
    return _normalised(sums), int(sum(sums.values()))


@dataclass(frozen=True, slots=True)
class Dependence:
    """Address space with no observed path avoiding `label`, out of the country's originated IPv4 space."""

    label: str
    space_without_alternative: int
    origins_without_alternative: int
    total_space: int

    @property
    def share(self) -> float:
        return self.space_without_alternative / self.total_space if self.total_space else 0.0


def dependence(origins: Sequence[OriginPaths], label: str, avoid: Avoid) -> Dependence:
    """Origins none of whose paths (from any vantage point) avoids every AS `avoid` accepts, origin excluded."""
    space = count = total = 0
    for origin in origins:
        if not origin.paths:
            continue
        weight = origin.space
        total += weight
        if not any(not any(avoid(asn) for asn in path[:-1]) for _vantage, path in origin.paths):
            space += weight
            count += 1
    return Dependence(label, space, count, total)


def single_points(
    origins: Sequence[OriginPaths], foreign: Callable[[int], bool]
) -> tuple[tuple[int, int], ...]:
    """Foreign ASes on every observed path of an origin, with the address space that would lose all paths."""
    lost: dict[int, int] = defaultdict(int)
    for origin in origins:
        if not origin.paths:
            continue
        common: set[int] | None = None
        for _vantage, path in origin.paths:
            hops = set(path[1:-1])  # the vantage point's own AS observes, it does not carry the route
            common = hops if common is None else common & hops
            if not common:
                break
        space = origin.space
        for asn in common or ():
            if foreign(asn):
                lost[asn] += space
    return tuple(sorted(lost.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True, slots=True)
class CountryProfile:
    """Everything `/country` shows for one country, but the comparison rows and the dependence (per option)."""

    size: CountrySize
    origination: Shares
    cone: Shares
    transit: Shares
    leaving_weight: int
    single_points: tuple[tuple[int, int], ...]
    vantage_ids: frozenset[int]
    origins: tuple[OriginPaths, ...] = field(repr=False)

    @property
    def originated_ipv4(self) -> int:
        """The sum of the origins' IPv4 space: the denominator of the dependence and failure shares."""
        return sum(origin.space for origin in self.origins)

    @property
    def origination_hhi(self) -> float:
        return hhi(share for _, share in self.origination)

    @property
    def transit_hhi(self) -> float:
        return hhi(share for _, share in self.transit)


class ProfileIndex:
    """Per-snapshot cache of sizes and profiles; thread-safe so cold work can run off the event loop."""

    def __init__(self, data: ProfileData) -> None:
        self.data = data
        self._sizes: dict[str, CountrySize] = {}
        self._profiles: dict[str, CountryProfile] = {}
        # `without:` is free text, so its results go in a bounded cache; the defaults stay in it anyway.
        self._dependences: LRUCache[tuple[str, str], Dependence] = LRUCache(maxsize=256)
        self.country_of = RegistrationMemo(data).country_of
        self._lock = threading.Lock()
        # Rendered charts by (country, compared countries): a render costs more than a warm answer's numbers.
        self.charts: LRUCache[tuple[str, tuple[str, ...]], bytes] = LRUCache(maxsize=64)

    def cached(self, cc: str) -> CountryProfile | None:
        with self._lock:
            return self._profiles.get(cc)

    def size(self, cc: str) -> CountrySize:
        """Size figures only: one pass over the prefixes of the country's origins, no path work."""
        with self._lock:
            known = self._sizes.get(cc)
        if known is not None:
            return known
        routed = 0
        v4: set[str] = set()
        v6: set[str] = set()
        for asn in self.data.asns_in_country(cc):
            prefixes = {route.prefix for route in self.data.routes_of_origin(asn)}
            routed += bool(prefixes)
            for prefix in prefixes:
                (v6 if ":" in prefix else v4).add(prefix)
        result = CountrySize(
            country=cc,
            registered_asns=self.data.registered_asns(cc),
            registered_ipv4=self.data.registered_space(cc, 4),
            registered_ipv6_64s=self.data.registered_space(cc, 6),
            routed_asns=routed,
            routed_ipv4=address_space(v4, 4),
            prefixes_v4=len(v4),
            prefixes_v6=len(v6),
        )
        with self._lock:
            self._sizes[cc] = result
        return result

    def profile(self, cc: str) -> CountryProfile:
        """The full profile, computed once per snapshot."""
        cached = self.cached(cc)
        if cached is not None:
            return cached
        origins = tuple(
            origin
            for origin in (
                origin_paths(asn, self.data.routes_of_origin(asn, 4)) for asn in self.data.asns_in_country(cc)
            )
            if origin.paths
        )
        transit, leaving = transit_shares(origins, cc, self.country_of)
        result = CountryProfile(
            size=self.size(cc),
            origination=origination_shares(origins),
            cone=cone_shares(origins, lambda asn: self.country_of(asn) == cc),
            transit=transit,
            leaving_weight=leaving,
            single_points=single_points(origins, lambda asn: self.country_of(asn) != cc),
            vantage_ids=frozenset(v for origin in origins for v, _ in origin.paths),
            origins=origins,
        )
        with self._lock:
            self._profiles[cc] = result
        return result

    def avoiding_country(self, profile: CountryProfile, cc: str) -> Dependence:
        return self._dependence(profile, cc, lambda asn: self.country_of(asn) == cc)

    def avoiding_asn(self, profile: CountryProfile, asn: int) -> Dependence:
        return self._dependence(profile, f"AS{asn}", lambda hop: hop == asn)

    def _dependence(self, profile: CountryProfile, label: str, avoid: Avoid) -> Dependence:
        """Memoised per (country, what is removed): a warm answer must not walk every path again."""
        key = (profile.size.country, label)
        with self._lock:
            known = self._dependences.get(key)
        if known is None:
            known = dependence(profile.origins, label, avoid)
            with self._lock:
                self._dependences[key] = known
        return known


class ProfileIndexes(PerSnapshot[ProfileData, ProfileIndex]):
    """The served snapshot's `ProfileIndex`."""

    def __init__(self) -> None:
        super().__init__(ProfileIndex)
