"""Transit on real data (2014 RouteViews RIB + 2019 RIS updates + delegated registry), checked against a second,
deliberately naive implementation written here straight from the issue's definitions (plain loops over every
route of the snapshot, no code shared with `bot.routing.transit`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest

from bot.app.commands import Caller, Context
from bot.app.features.transit.command import transit
from bot.core.settings import Settings
from bot.routing.snapshot import Snapshot
from bot.routing.transit import TransitIndex
from tests.helpers import make_services


@pytest.fixture(scope="session")
def snapshot(real_snapshot: Snapshot) -> Snapshot:
    """The shared real snapshot under this module's name for it."""
    return real_snapshot


# ---- the naive implementation -------------------------------------------------------------------------------


def naive_trimmed_mean(values: list[float]) -> float:
    values = sorted(values)
    cut = int(0.1 * len(values))
    kept = values[cut : len(values) - cut]
    return sum(kept) / len(kept)


def naive_routes_by_vantage(
    all_routes: list[Any], origin: int, prefixes: set[str]
) -> dict[int, list[tuple[int, list[int]]]]:
    by_vantage: dict[int, list[tuple[int, list[int]]]] = {}
    for route in all_routes:
        if any(isinstance(hop, frozenset) for hop in route.path):
            continue
        path: list[int] = []
        for hop in route.path:
            if not path or path[-1] != hop:
                path.append(hop)
        if not path or len(set(path)) != len(path) or path[-1] != origin:
            continue
        weight = 1 if ":" in route.prefix else 2 ** (32 - int(route.prefix.split("/")[1]))
        by_vantage.setdefault(route.vantage, []).append((weight, path))
        prefixes.add(route.prefix)
    return by_vantage


def naive_origin(all_routes: list[Any], origin: int, country: Callable[[int], str | None]) -> dict[str, Any]:
    prefixes: set[str] = set()
    by_vantage = naive_routes_by_vantage(all_routes, origin, prefixes)
    home = country(origin)
    hegemony_values: dict[int, list[float]] = {}
    presence_values: dict[str, list[float]] = {}
    everyone = {asn for routes in by_vantage.values() for _, path in routes for asn in path[:-1]}
    every_country = {country(asn) or "ZZ" for asn in everyone}
    for routes in by_vantage.values():
        total = sum(weight for weight, _ in routes)
        for asn in everyone:
            share = sum(weight for weight, path in routes if asn in path[:-1]) / total
            hegemony_values.setdefault(asn, []).append(share)
        for cc in every_country:
            share = sum(w for w, path in routes if any((country(a) or "ZZ") == cc for a in path[:-1])) / total
            presence_values.setdefault(cc, []).append(share)
    exit_values: dict[str, list[float]] = {}
    leaving_per_vantage = []
    for routes in by_vantage.values():
        leaving = []
        for weight, path in routes:
            for asn in reversed(path[:-1]):
                hop_country = country(asn)
                if home is not None and hop_country is not None and hop_country != home:
                    leaving.append((weight, hop_country))
                    break
        if leaving:
            leaving_per_vantage.append(leaving)
    exit_countries = {cc for leaving in leaving_per_vantage for _, cc in leaving}
    for leaving in leaving_per_vantage:
        total = sum(weight for weight, _ in leaving)
        for cc in exit_countries:
            exit_values.setdefault(cc, []).append(sum(w for w, c in leaving if c == cc) / total)

    def combined(values: dict[Any, list[float]]) -> dict[Any, float]:
        result = {key: naive_trimmed_mean(vals) for key, vals in values.items()}
        return {key: value for key, value in result.items() if value > 0}

    space = sum(
        int(net.num_addresses)
        for net in ipaddress.collapse_addresses(ipaddress.IPv4Network(p) for p in prefixes if ":" not in p)
    )
    return {
        "vantage_points": len(by_vantage),
        "transit": combined(hegemony_values),
        "countries": combined(presence_values),
        "exits": combined(exit_values),
        "space": space,
    }


def naive_country(all_routes: list[Any], cc: str, country: Callable[[int], str | None]) -> dict[str, Any]:
    # Only routes ending in an AS of the country can be routes to its origins (prepending keeps the last AS).
    mine = [r for r in all_routes if r.path and isinstance(r.path[-1], int) and country(r.path[-1]) == cc]
    origins = sorted({r.path[-1] for r in mine})
    exits: dict[str, float] = {}
    transit: dict[int, float] = {}
    exit_weight = 0
    total_weight = 0
    counted = 0
    for origin in origins:
        result = naive_origin(mine, origin, country)
        if result["vantage_points"] == 0:
            continue
        counted += 1
        weight = result["space"]
        total_weight += weight
        for asn, value in result["transit"].items():
            if country(asn) != cc:
                transit[asn] = transit.get(asn, 0) + weight * value
        exit_sum = sum(result["exits"].values())
        if exit_sum:
            exit_weight += weight
            for c, value in result["exits"].items():
                exits[c] = exits.get(c, 0) + weight * value / exit_sum
    return {
        "origins": counted,
        "space": total_weight,
        "exits": {c: v / exit_weight for c, v in exits.items()},
        "transit": {a: v / total_weight for a, v in transit.items()},
    }


# ---- the checks -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ipv4_routes(snapshot: Snapshot) -> list[Any]:
    return list(snapshot.routes(family=4))


@pytest.mark.parametrize("origin", [9198, 29355])
def test_kazakh_origins_match_the_naive_implementation(
    snapshot: Snapshot, ipv4_routes: list[Any], origin: int
) -> None:
    expected = naive_origin(ipv4_routes, origin, snapshot.country_of_asn)
    result = TransitIndex(snapshot).origin(origin, 4)
    assert result.vantage_points == expected["vantage_points"] > 10
    assert dict(result.transit) == pytest.approx(expected["transit"], rel=1e-9)
    assert dict(result.countries) == pytest.approx(expected["countries"], rel=1e-9)
    assert dict(result.exit_countries) == pytest.approx(expected["exits"], rel=1e-9)
    assert result.address_space == expected["space"]
    # The data note's picture: Kazakh routes leave mostly through Russian-registered networks.
    assert result.exit_countries[0][0] == "RU"


def test_kz_country_matches_the_naive_implementation(snapshot: Snapshot, ipv4_routes: list[Any]) -> None:
    expected = naive_country(ipv4_routes, "KZ", snapshot.country_of_asn)
    result = TransitIndex(snapshot).country("KZ", 4)
    assert result.origin_ases == expected["origins"] > 20
    assert result.address_space == expected["space"]
    assert dict(result.exit_countries) == pytest.approx(expected["exits"], rel=1e-9)
    assert dict(result.transit) == pytest.approx(expected["transit"], rel=1e-9)
    assert sum(share for _, share in result.exit_countries) == pytest.approx(1.0)


async def test_transit_answers_on_the_real_snapshot(snapshot: Snapshot) -> None:
    services = make_services(Settings(), snapshot=snapshot)
    ctx = Context(services=services, caller=Caller("tester", can_manage=False))
    by_as = await transit(ctx, "AS9198")
    assert by_as.data["as_name"] and by_as.data["country"] == "KZ"
    assert set(by_as.data["collectors"]) == {"routeviews2", "rrc00"}
    assert {s.name for s in by_as.sources} >= {"BGP collector routeviews2", "BGP collector rrc00"}
    by_ip = await transit(ctx, "95.56.0.1")
    assert by_ip.data["asn"] == 9198
    country = await transit(ctx, "Kazakhstan", rows=50)
    assert country.data["origin_ases"] > 20 and country.data["exit_countries"][0]["country"] == "RU"
    assert 10 < len(country.data["transit_ases"]) <= 50
