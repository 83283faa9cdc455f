"""`/transit target:` — through which countries and networks an AS, an address's origin or a country reaches out.

The numbers come from `bot.routing.transit` (definitions there and in `TRANSIT_HELP`); this module reads the
target, finds the snapshot, and turns results into an `Answer` with tables, JSON data and a chart.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.app.answer import Answer, Attachment, BadInput
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.transit.chart import render_chart_async
from bot.app.live_parts import Failed, LiveParts, attempt, online_sources, stale_label
from bot.app.targets import (
    HostResolver,
    looks_like_address,
    looks_like_asn,
    parse_asn,
    parse_host,
    parse_network,
    resolve_host,
)
from bot.app.wiring import Services
from bot.core.values import Section, Table
from bot.routing.country_names import (
    UNKNOWN_COUNTRY,
    complete_countries,
    country_name,
    find_country,
    suggest_countries,
)
from bot.routing.transit import CountryTransit, OriginTransit, TransitData, TransitIndex, TransitIndexes

EXAMPLE = "/transit target:AS9198"
IMPORT_HINT = "silkroute data import routeviews2-rib.20140523.0600.bz2 delegated-extended.txt"
REGISTRATION_NOTE = (
    "Countries are the networks' *registration* countries (RIR delegated files), not where the fibre runs."
)
CHART_ROWS = 20

TRANSIT_HELP = f"""\
Which countries and networks an origin AS (or every AS registered in a country) depends on to reach the
vantage points of the BGP collectors in the loaded snapshot.

Target: an AS (AS9198 or 9198), a country (KZ, KAZ, Kazakhstan), or an IP / prefix / domain, which is first
resolved to the AS originating its covering prefix. Options: family (ipv4 or ipv6, default ipv4) and rows
(how many rows each table and the JSON transit list show, 1-50, default 10).

Definitions:
- A route is (vantage point, prefix, AS path); a vantage point is one peer of a collector. Routes whose path
  holds an AS_SET or a loop are dropped; prepending (consecutive repeats) is collapsed; the origin is the
  last AS. A route weighs its prefix's address count for IPv4 (2^(32-len)), 1 for IPv6.
- For origin O and each vantage point v with at least one route to O:
  * transit AS hegemony of X != O = weighted share of v's routes to O whose path contains X;
  * country presence of C = weighted share of v's routes to O whose path contains an AS other than O
    registered in C;
  * exit country: walk each path from O towards v; the first AS registered in a country other than O's is
    where the route leaves O's country; per v, the weighted share of its leaving routes that leave through C
    (vantage points with no leaving route take no part).
- Vantage points are combined with a 10 % trimmed mean: per-vantage values sorted (a vantage point that did not
  see X counts 0), int(0.1*n) dropped from each end, the rest averaged.
- A country K: each of its origins' exit shares, normalised to sum to 1, averaged with the origin's announced
  address space as weight (IPv4: addresses covered by the distinct prefixes any vantage point saw; IPv6: the
  number of distinct prefixes). Origins with no leaving route take no part in the exit shares. Presence and
  the foreign transit ASes (not registered in K) are averaged over all origins with the same weights.
- An AS with no registration country is shown as {UNKNOWN_COUNTRY}: it counts as its own country for presence and
  transit, is skipped when looking for the exit (it is not registered in another country), and the share of
  route weight passing such an AS before leaving is reported. An origin with no registration has no exit.

{REGISTRATION_NOTE}"""

_INDEXES = TransitIndexes()


@dataclass(frozen=True, slots=True)
class AsTarget:
    asn: int


@dataclass(frozen=True, slots=True)
class CountryTarget:
    code: str


@dataclass(frozen=True, slots=True)
class AddressTarget:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class DomainTarget:
    name: str


Target = AsTarget | CountryTarget | AddressTarget | DomainTarget


def parse_target(text: str) -> Target:
    """Classify the user's target: AS, IP/prefix, country (code or name), or domain/URL — in that order."""
    raw = text.strip()
    if not raw:
        raise BadInput("Give an AS, a country, an IP, a prefix or a domain.", example=EXAMPLE)
    asn = parse_asn(raw, "transit")
    if asn is not None:
        return AsTarget(asn)
    network = parse_network(raw, "transit")
    if network is not None:
        return AddressTarget(network)
    country = find_country(raw)
    if country is not None:
        return CountryTarget(country.code)
    host = parse_host(raw, "transit")
    if isinstance(host, str):
        return DomainTarget(host)
    if host is not None:
        return AddressTarget(host)
    hints = suggest_countries(raw)
    also = f" Did you mean {', '.join(hints)}?" if hints else ""
    raise BadInput(
        f"{raw!r} is not an AS, an IP, a domain or a country I know.{also}",
        example="/transit target:Kazakhstan",
    )


async def resolve_domain(ctx: Context, name: str, family: int) -> list[str]:
    """The domain's addresses of one family, through the resolver `/reach` calls the system one."""
    lookup = await resolve_host(HostResolver.from_settings(ctx.services.settings), name, "transit")
    addresses = [a for a in lookup.addresses if ipaddress.ip_address(a).version == family]
    if not addresses:
        raise BadInput(f"Could not resolve {name}: no IPv{family} address.", example="/transit target:nur.kz")
    return addresses


def _origin_of_address(data: TransitData, address: str, label: str) -> tuple[int, dict[str, Any]]:
    """The most-seen origin of the covering prefix (others are listed in the answer's data)."""
    match = data.lookup_ip(address)
    origins = [seen.asn for seen in match.origins] if match is not None else []
    if match is None or not origins:
        raise BadInput(f"No route in the snapshot covers {label}.", example="/transit target:95.56.0.1")
    return origins[0], {"input": label, "address": address, "prefix": match.prefix, "origins": origins}


async def _resolve_target(
    ctx: Context, data: TransitData, target: Target, family: int
) -> CountryTarget | tuple[int, dict[str, Any] | None]:
    """Addresses and domains become their origin AS (with how it was found); AS and country pass through."""
    if isinstance(target, AddressTarget):
        return _origin_of_address(data, str(target.network.network_address), str(target.network))
    if isinstance(target, DomainTarget):
        addresses = await resolve_domain(ctx, target.name, family)
        for address in addresses:
            if data.lookup_ip(address) is not None:
                origin, how = _origin_of_address(data, address, target.name)
                return origin, {**how, "addresses": addresses}
        raise BadInput(
            f"No route in the snapshot covers {target.name} ({', '.join(addresses)}).",
            example="/transit target:nur.kz",
        )
    if isinstance(target, AsTarget):
        return target.asn, None
    return target


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _share_rows(shares: Sequence[tuple[str, float]], rows: int) -> list[list[str]]:
    return [[cc, country_name(cc), _pct(share)] for cc, share in shares[:rows]]


def _cc(index: TransitIndex, asn: int) -> str:
    return index.country_of(asn) or UNKNOWN_COUNTRY


def _transit_json(
    index: TransitIndex, transit: Sequence[tuple[int, float]], rows: int, ihr: Mapping[int, float] | None
) -> list[dict[str, Any]]:
    items = []
    for asn, value in transit[:rows]:
        item = {
            "asn": asn,
            "name": index.data.as_name(asn),
            "country": _cc(index, asn),
            "hegemony": round(value, 6),
        }
        if ihr is not None:
            item["ihr_hegemony"] = round(ihr[asn], 6) if asn in ihr else None
        items.append(item)
    return items


def _shares_json(shares: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"country": cc, "share": round(share, 6)} for cc, share in shares]


def _collectors(data: TransitData, vantage_ids: Iterable[int]) -> list[str]:
    return sorted({data.vantages[v].collector for v in vantage_ids})


def _exit_text(exits: Sequence[tuple[str, float]], home: str | None) -> str:
    if home is None:
        return "The origin has no registration country, so no route can be said to leave it."
    if not exits:
        return f"No route leaves {home}-registered networks as seen from these vantage points."
    top = ", ".join(f"{cc} {_pct(share)}" for cc, share in exits[:3])
    return f"Routes leave {home}-registered networks through {top}."


def _space_text(space: int, family: int) -> str:
    return f"{space:,} IPv4 addresses" if family == 4 else f"{space:,} IPv6 prefixes"


async def _chart(
    title: str,
    index: TransitIndex,
    exits: Sequence[tuple[str, float]],
    transit: Sequence[tuple[int, float]],
    rows: int,
    sources: str,
) -> Attachment:
    """The PNG for this answer, rendered once per snapshot, title and row count."""
    shown = min(rows, CHART_ROWS)
    png = index.charts.get((title, shown))
    if png is None:
        png = await render_chart_async(
            title,
            [(cc, share) for cc, share in exits[:shown]],
            [(f"AS{asn} {_cc(index, asn)}", value) for asn, value in transit[:shown]],
            f"Registration countries, not where the fibre runs. Data: {sources}",
        )
        index.charts[(title, shown)] = png
    return Attachment("transit.png", png, f"{title}: exit countries and top transit ASes")


@dataclass(frozen=True, slots=True)
class _Shares:
    """What both answer kinds show: exit countries, presence, transit ASes and the vantage points behind them."""

    exits: Sequence[tuple[str, float]]
    countries: Sequence[tuple[str, float]]
    transit: Sequence[tuple[int, float]]
    vantage_ids: Iterable[int]


async def _answer(
    index: TransitIndex,
    shares: _Shares,
    *,
    title: str,
    summary: str,
    basis: str,
    transit_title: str,
    rows: int,
    data: dict[str, Any],
    ihr: Mapping[int, float] | None = None,
) -> Answer:
    """Tables, sources, chart and the common JSON fields around an origin's or a country's numbers.

    `ihr` is IHR's hegemony per AS for an origin answer (empty when IHR gave none): a column when present.
    """
    snapshot = index.data
    collectors = _collectors(snapshot, shares.vantage_ids)
    sources = snapshot.data_sources()
    source_text = "; ".join(f"{s.name} {s.date:%Y-%m-%d}" if s.date else s.name for s in sources)
    transit_rows = [
        [f"AS{asn}", snapshot.as_name(asn) or "?", _cc(index, asn), _pct(value)]
        + ([_pct(ihr[asn]) if asn in ihr else "–"] if ihr else [])
        for asn, value in shares.transit[:rows]
    ]
    sections = [
        Section(
            "Exit countries",
            "" if shares.exits else "none",
            Table(["country", "name", "share"], _share_rows(shares.exits, rows)),
        ),
        Section(
            "Country presence on paths",
            table=Table(["country", "name", "share"], _share_rows(shares.countries, rows)),
        ),
        Section(
            transit_title,
            "" if shares.transit else "none",
            Table(["ASN", "name", "country", "hegemony", *(["IHR"] if ihr else [])], transit_rows),
        ),
        Section(
            "Basis",
            f"{basis}\nCollectors: {', '.join(collectors) or 'none'}.\nDefinitions: /help command:transit.",
        ),
    ]
    return Answer(
        command="transit",
        title=title,
        summary=f"{summary} {REGISTRATION_NOTE}",
        sections=sections,
        sources=sources,
        data={
            **data,
            "vantage_points": len(set(shares.vantage_ids)),
            "collectors": collectors,
            "exit_countries": _shares_json(shares.exits),
            "countries": _shares_json(shares.countries),
            "transit_ases": _transit_json(index, shares.transit, rows, ihr),
            "countries_are": "registration",
        },
        attachments=[await _chart(title, index, shares.exits, shares.transit, rows, source_text)],
    )


async def _origin_answer(
    index: TransitIndex,
    result: OriginTransit,
    rows: int,
    how: dict[str, Any] | None,
    target: str,
    ihr: Mapping[int, float],
) -> Answer:
    fam = f"IPv{result.family}"
    name = index.data.as_name(result.origin) or "name unknown"
    resolved = (
        f"{how['input']} is originated by AS{result.origin} (covering prefix {how['prefix']}). "
        if how
        else ""
    )
    summary = (
        f"{resolved}AS{result.origin} ({name}, registered in {result.country or UNKNOWN_COUNTRY}): "
        f"{result.vantage_points} vantage points saw {result.prefixes} {fam} prefixes "
        f"({_space_text(result.address_space, result.family)}). {_exit_text(result.exit_countries, result.country)}"
    )
    basis = (
        f"Vantage points: {result.vantage_points} with routes, {result.leaving_vantage_points} with a leaving route.\n"
        f"Routes used: {result.routes}; dropped: {result.dropped_as_set} with an AS_SET, "
        f"{result.dropped_loop} with a loop.\nRoute weight passing an unregistered AS before leaving "
        f"(or never leaving): {_pct(result.unregistered_before_exit)}."
    )
    return await _answer(
        index,
        _Shares(result.exit_countries, result.countries, result.transit, result.vantage_ids),
        title=f"Transit of AS{result.origin} {name} ({fam})",
        summary=summary,
        basis=basis,
        transit_title="Transit ASes",
        rows=rows,
        data={
            "target": target,
            "kind": "asn",
            "family": fam.lower(),
            "asn": result.origin,
            "as_name": index.data.as_name(result.origin),
            "country": result.country,
            "resolved_from": how,
            "leaving_vantage_points": result.leaving_vantage_points,
            "routes": result.routes,
            "dropped": {"as_set": result.dropped_as_set, "loop": result.dropped_loop},
            "prefixes": result.prefixes,
            "address_space": result.address_space,
            "unregistered_before_exit": round(result.unregistered_before_exit, 6),
        },
        ihr=ihr,
    )


async def _country_answer(index: TransitIndex, result: CountryTransit, rows: int, target: str) -> Answer:
    fam = f"IPv{result.family}"
    name = country_name(result.country)
    space = _space_text(result.address_space, result.family)
    summary = (
        f"{name} ({result.country}): {result.origin_ases} of its {result.registered_ases} registered ASes originate "
        f"{fam} routes here, covering {space}, seen by {len(result.vantage_ids)} vantage points. "
        f"{_exit_text(result.exit_countries, result.country)}"
    )
    basis = (
        f"Origin ASes: {result.registered_ases} registered in {result.country}, {result.origin_ases} with {fam} "
        f"routes, {result.leaving_origin_ases} with a route leaving {result.country}. Weighted by each origin's "
        f"announced address space ({space} in all)."
    )
    return await _answer(
        index,
        _Shares(result.exit_countries, result.countries, result.transit, result.vantage_ids),
        title=f"Transit of {name} ({result.country}, {fam})",
        summary=summary,
        basis=basis,
        transit_title=f"Foreign transit ASes {result.country} depends on",
        rows=rows,
        data={
            "target": target,
            "kind": "country",
            "family": fam.lower(),
            "country": result.country,
            "country_name": name,
            "registered_ases": result.registered_ases,
            "origin_ases": result.origin_ases,
            "leaving_origin_ases": result.leaving_origin_ases,
            "address_space": result.address_space,
        },
    )


async def transit(ctx: Context, target: str, family: str = "ipv4", rows: int = 10) -> Answer:
    """Answer `/transit`: cold results are computed in a worker thread, warm ones come from the index.

    `family` and `rows` arrive checked by their Options (choices, min/max), so they are not checked again.
    """
    fam = 4 if family == "ipv4" else 6
    parsed = parse_target(target)
    data: TransitData = ctx.services.snapshots.require()
    index = _INDEXES.for_snapshot(data)
    resolved = await _resolve_target(ctx, data, parsed, fam)
    if isinstance(resolved, CountryTarget):
        return await _country_answer(index, await _country_result(index, resolved.code, fam), rows, target)
    asn, how = resolved
    result = index.cached_origin(asn, fam)
    if result is None:
        result = await asyncio.to_thread(index.origin, asn, fam)
    if result.vantage_points == 0:
        raise BadInput(
            f"AS{asn} originates no {family} routes in the loaded snapshot (no vantage point saw one).",
            example=EXAMPLE if fam == 4 else "/transit target:AS9198 family:ipv6",
        )
    return await _with_ihr(ctx.services, index, result, rows, how, target)


IHR_NOTE = (
    "IHR computes hegemony from every RIS and RouteViews peer over the last hours; ours rests on the "
    "snapshot's vantage points and date, so the two may differ."
)


async def _with_ihr(
    services: Services,
    index: TransitIndex,
    result: OriginTransit,
    rows: int,
    how: dict[str, Any] | None,
    target: str,
) -> Answer:
    """Our answer with IHR's latest AS hegemony for the same origin alongside, when IHR answers."""
    parts = LiveParts()
    live = online_sources(services)
    if isinstance(live, Failed):
        parts.use(live)
        hegemony = None
    else:
        hegemony = parts.use(
            await attempt(live.ihr.hegemony(result.origin, af=result.family), "IHR AS hegemony")
        )
    latest = hegemony.latest() if hegemony is not None else ()
    answer = await _origin_answer(
        index, result, rows, how, target, {s.asn: s.hege for s in latest if s.asn != result.origin}
    )
    lines = []
    if hegemony is not None and latest:
        timebin = latest[0].timebin
        lines.append(
            f"IHR AS hegemony towards AS{result.origin} (IPv{result.family}), time bin "
            f"{timebin:%Y-%m-%d %H:%M} UTC{stale_label(hegemony.meta)}: the IHR column above. {IHR_NOTE}"
        )
        answer.data["ihr_timebin"] = timebin.isoformat()
    elif hegemony is not None:
        lines.append(f"IHR has no AS hegemony for AS{result.origin} (IPv{result.family}) in the last hour.")
    answer.data["ihr_error"] = parts.error
    parts.add_to(answer, "Internet Health Report", lines)
    return answer


async def _country_result(index: TransitIndex, code: str, family: int) -> CountryTransit:
    if not index.data.asns_in_country(code):
        raise BadInput(
            f"No AS is registered in {country_name(code)} ({code}) in the loaded registry data.",
            example="/transit target:KZ",
        )
    result = index.cached_country(code, family)
    if result is None:
        result = await asyncio.to_thread(index.country, code, family)
    if result.origin_ases == 0:
        raise BadInput(
            f"None of the {result.registered_ases} ASes registered in {country_name(code)} ({code}) originates "
            f"IPv{family} routes in the loaded snapshot.",
            example="/transit target:KZ",
        )
    return result


async def complete_country(services: Services, prefix: str) -> list[str]:
    """Autocomplete for `target`: country labels, unless the text already looks like an AS or an address."""
    del services  # the country table is static; the signature is the shared autocomplete shape
    text = prefix.strip()
    if looks_like_asn(text) or looks_like_address(text) or "." in text:
        return []
    return complete_countries(text)


TRANSIT = CommandSpec(
    name="transit",
    description="Which countries and networks an AS, an address's origin or a whole country transits",
    example=EXAMPLE,
    handler=transit,
    options=(
        Option(
            "target",
            "AS (AS9198), country (KZ, Kazakhstan), IP, prefix or domain",
            autocomplete=complete_country,
        ),
        Option(
            "family", "Address family of the routes", required=False, default="ipv4", choices=("ipv4", "ipv6")
        ),
        Option(
            "rows",
            "How many rows to list (1-50)",
            type=int,
            required=False,
            default=10,
            min_value=1,
            max_value=50,
        ),
    ),
    help=TRANSIT_HELP,
)

TRANSIT_COMMANDS: list[CommandSpec] = [TRANSIT]
