"""What one history point holds, computed with the `/transit` code so a point equals the answer of its day.

A point is a JSON object (compressed when stored): a country's `/transit` answer, or one origin AS's prefixes,
space, upstream neighbours, exit shares and top transit ASes. Long tails are cut (`TOP_TRANSIT`) because the
points are kept for years; the shares that are kept are the exact floats the transit code produced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from bot.routing.transit import (
    CountryTransit,
    OriginTransit,
    PathHop,
    RouteLike,
    TransitIndex,
    clean_path,
)

TOP_TRANSIT = 20
TOP_UPSTREAMS = 20

View = dict[str, Any]


def country_key(cc: str) -> str:
    return cc.upper()


def asn_key(asn: int) -> str:
    return f"AS{asn}"


def country_view(result: CountryTransit) -> View:
    """The country answer of `/transit` (IPv4, its default family)."""
    return {
        "kind": "country",
        "country": result.country,
        "family": result.family,
        "registered_ases": result.registered_ases,
        "origin_ases": result.origin_ases,
        "leaving_origin_ases": result.leaving_origin_ases,
        "address_space": result.address_space,
        "vantage_points": len(result.vantage_ids),
        "exit_countries": [list(item) for item in result.exit_countries],
        "countries": [list(item) for item in result.countries],
        "transit": [list(item) for item in result.transit[:TOP_TRANSIT]],
    }


def _neighbour(origin: int, raw: tuple[PathHop, ...]) -> int | None:
    path = clean_path(raw)
    if isinstance(path, str) or len(path) < 2 or path[-1] != origin:
        return None
    return path[-2]


def upstreams(origin: int, routes: Iterable[RouteLike]) -> list[list[int]]:
    """The origin's neighbours towards the collectors (last hop before it), with how many vantage points saw each.

    The path is cleaned as `/transit` cleans it (prepending collapsed, AS_SET and loops dropped), once per
    distinct path: a big origin's many prefixes share a few paths per vantage point.
    """
    seen: dict[int, set[int]] = defaultdict(set)
    neighbour_of: dict[tuple[PathHop, ...], int | None] = {}
    # A vantage point sees one origin's many prefixes over a few paths: walk each (vantage, path) once.
    for vantage, raw in set(map(attrgetter("vantage", "path"), routes)):
        if raw in neighbour_of:
            neighbour = neighbour_of[raw]
        else:
            neighbour = neighbour_of[raw] = _neighbour(origin, raw)
        if neighbour is not None:
            seen[neighbour].add(vantage)
    ranked = sorted(seen.items(), key=lambda item: (-len(item[1]), item[0]))
    return [[asn, len(vantages)] for asn, vantages in ranked[:TOP_UPSTREAMS]]


def origin_view(v4: OriginTransit, v6: OriginTransit | None, neighbours: list[list[int]]) -> View:
    """One origin AS: both families' size, IPv4 exit shares and transit (what `/transit target:ASn` shows);
    `v6` is None when the origin announces no IPv6 prefix."""
    return {
        "kind": "asn",
        "asn": v4.origin,
        "country": v4.country,
        "prefixes_v4": v4.prefixes,
        "prefixes_v6": v6.prefixes if v6 else 0,
        "space_v4": v4.address_space,
        "space_v6": v6.address_space if v6 else 0,
        "vantage_points": len(set(v4.vantage_ids) | set(v6.vantage_ids if v6 else ())),
        "upstreams": neighbours,
        "exit_countries": [list(item) for item in v4.exit_countries],
        "transit": [list(item) for item in v4.transit[:TOP_TRANSIT]],
    }


def build_views(index: TransitIndex, countries: Sequence[str], asns: Iterable[int]) -> dict[str, View]:
    """Every point of one snapshot, keyed by target (`KZ`, `AS9198`): each country, then its origin ASes and the
    extra ASes (watched ones). ASes that originate nothing get no point and no work; each other AS's routes are
    read once, for both families and its neighbours, and its results stay in the index for the countries."""
    wanted: list[int] = []
    for cc in countries:
        wanted.extend(index.data.asns_in_country(cc))
    wanted.extend(asns)
    originating = index.originating()
    origins: dict[str, View] = {}
    mixed = index.data.has_routes(6)  # else every route is IPv4: no need to split them
    for asn in dict.fromkeys(a for a in wanted if a in originating):
        routes = index.data.routes_of_origin(asn)
        v4 = index.origin(asn, 4, [r for r in routes if ":" not in r.prefix] if mixed else routes)
        v6_routes = [r for r in routes if ":" in r.prefix] if mixed else []
        # Most origins announce one family only: the empty one's result is all zeros, not worth the work.
        v6 = index.origin(asn, 6, v6_routes) if v6_routes else None
        if v4.vantage_points or (v6 and v6.vantage_points):
            origins[asn_key(asn)] = origin_view(v4, v6, upstreams(asn, routes))
    views = {country_key(cc): country_view(index.country(cc, 4)) for cc in countries}
    return views | origins
