"""`/lookup target:` — what the snapshot knows about an AS, an address, a prefix or a domain's addresses."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime
from typing import Any

from bot.app.answer import Answer, BadInput, Severity, Unavailable
from bot.app.live_parts import Failed, LiveParts, attempt, stale_label
from bot.app.targets import (
    AsTarget,
    DomainTarget,
    HostResolver,
    Network,
    NetworkTarget,
    parse_target,
    resolve_host,
)
from bot.core.values import Section, Source, Table
from bot.live.ripestat import RoutingStatus
from bot.live.sources import LiveSources
from bot.routing.snapshot import OriginSeen, Snapshot
from bot.routing.snapshot_store import NO_SNAPSHOT
from bot.routing.transit import address_space, clean_path

EXAMPLE = "/lookup target:AS9198"
MAX_ROWS = 15
MAX_MORE_SPECIFICS = 1_000  # in the JSON data; a /1 holds ~100k on a full table
REGISTRATION_NOTE = "Countries are where the networks are registered (RIR data), not where their cables run."


def _as_label(snapshot: Snapshot, asn: int) -> dict[str, Any]:
    return {"asn": asn, "as_name": snapshot.as_name(asn), "country": snapshot.country_of_asn(asn)}


def _origins_table(snapshot: Snapshot, origins: list[OriginSeen]) -> Table:
    return Table(
        ["Origin", "Name", "Country", "Vantage points"],
        [
            [
                f"AS{o.asn}",
                snapshot.as_name(o.asn) or "?",
                snapshot.country_of_asn(o.asn) or "?",
                str(o.vantage_points),
            ]
            for o in origins
        ],
    )


def _answer(
    snapshot: Snapshot, title: str, summary: str, sections: list[Section], data: dict[str, Any]
) -> Answer:
    sources = snapshot.data_sources()
    return Answer(
        command="lookup",
        title=title,
        summary=summary,
        sections=[*sections, Section("Note", REGISTRATION_NOTE)],
        sources=sources,
        data=data,
    )


def lookup_asn(snapshot: Snapshot, asn: int) -> Answer:
    routes = snapshot.routes_of_origin(asn)
    name, country = snapshot.as_name(asn), snapshot.country_of_asn(asn)
    if not routes and name is None and country is None:
        raise BadInput(
            f"AS{asn} is unknown to the snapshot: no routes, no name and no registration.", example=EXAMPLE
        )
    per_prefix: dict[str, set[int]] = {}
    upstreams: dict[int, set[int]] = {}
    for route in routes:
        per_prefix.setdefault(route.prefix, set()).add(route.vantage)
        path = clean_path(route.path)  # a path with an AS_SET or a loop names no clear neighbour
        if not isinstance(path, str) and len(path) >= 2:
            upstreams.setdefault(path[-2], set()).add(route.vantage)
    vantages = {r.vantage for r in routes}
    v4_space = address_space((p for p in per_prefix if ":" not in p), 4)
    neighbours = sorted(upstreams.items(), key=lambda item: (-len(item[1]), item[0]))
    summary = (
        f"Registered in {country or 'an unknown country'}. Originates {len(per_prefix):,} prefixes "
        f"({v4_space:,} IPv4 addresses), seen by {len(vantages)} of {len(snapshot.vantages)} vantage points."
        if routes
        else f"Registered in {country or 'an unknown country'}. It originates no prefix in this snapshot."
    )
    prefixes_sorted = sorted(per_prefix.items(), key=lambda item: (-len(item[1]), item[0]))
    sections = [
        Section(
            "Prefixes originated",
            f"{len(per_prefix)} prefixes"
            + (f", first {MAX_ROWS} shown" if len(per_prefix) > MAX_ROWS else ""),
            Table(["Prefix", "Vantage points"], [[p, str(len(v))] for p, v in prefixes_sorted[:MAX_ROWS]]),
        ),
        Section(
            "Upstream neighbours (next AS towards the collectors)",
            "",
            Table(
                ["AS", "Name", "Country", "Vantage points"],
                [
                    [f"AS{n}", snapshot.as_name(n) or "?", snapshot.country_of_asn(n) or "?", str(len(v))]
                    for n, v in neighbours[:MAX_ROWS]
                ],
            ),
        ),
    ]
    data = {
        **_as_label(snapshot, asn),
        "kind": "asn",
        "prefix": None,
        "origins": [asn] if routes else [],
        "vantage_points": len(vantages),
        "prefixes": [{"prefix": p, "vantage_points": len(v)} for p, v in prefixes_sorted],
        "ipv4_addresses": v4_space,
        "neighbours": [{**_as_label(snapshot, n), "vantage_points": len(v)} for n, v in neighbours],
    }
    return _answer(snapshot, f"AS{asn} {name or ''}".strip(), summary, sections, data)


def _ip_data(snapshot: Snapshot, ip: str) -> tuple[dict[str, Any], Section]:
    match = snapshot.lookup_ip(ip)
    address_country = snapshot.country_of_ip(ip)
    if match is None:
        data: dict[str, Any] = {
            "kind": "ip",
            "ip": ip,
            "asn": None,
            "prefix": None,
            "origins": [],
            "as_name": None,
            "country": None,
            "address_country": address_country,
            "vantage_points": 0,
        }
        text = (
            f"{ip}: no announced prefix covers it in this snapshot (registered in {address_country or '?'})."
        )
        return data, Section(ip, text)
    vantages = match.vantage_points
    top = match.origins[0].asn
    data = {
        "kind": "ip",
        "ip": ip,
        **_as_label(snapshot, top),
        "prefix": match.prefix,
        "origins": [o.asn for o in match.origins],
        "origins_detail": [
            {**_as_label(snapshot, o.asn), "vantage_points": o.vantage_points} for o in match.origins
        ],
        "address_country": address_country,
        "vantage_points": vantages,
    }
    text = (
        f"{ip} is in {match.prefix}, originated by "
        + ", ".join(f"AS{o.asn} ({snapshot.as_name(o.asn) or '?'})" for o in match.origins)
        + f". Address registered in {address_country or '?'}; seen by {vantages} vantage points."
    )
    return data, Section(ip, text, _origins_table(snapshot, match.origins))


def lookup_ip(snapshot: Snapshot, ip: str) -> Answer:
    data, section = _ip_data(snapshot, ip)
    title = f"{ip} — AS{data['asn']} {data['as_name'] or ''}".strip() if data["asn"] else ip
    # The summary already says what the section's text says; keep only its table.
    sections = [Section("Origins", table=section.table)] if section.table else []
    return _answer(snapshot, title, section.text, sections, data)


def lookup_prefix(snapshot: Snapshot, network: Network) -> Answer:
    text = str(network)
    matched = None
    # Not down to /0: a default route leaked by one peer covers everything and says nothing.
    for length in range(network.prefixlen, 0, -1):
        candidate = str(network.supernet(new_prefix=length))
        prefix_id = snapshot.prefix_id(candidate)
        if prefix_id is not None:
            matched = (candidate, prefix_id)
            break
    inside = snapshot.more_specifics(text)
    if matched is None and not inside:
        raise BadInput(
            f"No route covers {text} or lies inside it in this snapshot.",
            example="/lookup target:2.72.0.0/18",
        )
    sections: list[Section] = []
    data: dict[str, Any] = {"kind": "prefix", "query": text, "exact": bool(matched and matched[0] == text)}
    if matched is not None:
        origins = snapshot.origins_of_prefix(matched[1])
        vantages = snapshot.vantage_count(matched[1])
        top = origins[0].asn if origins else None
        data.update(_as_label(snapshot, top) if top else {"asn": None, "as_name": None, "country": None})
        data.update(prefix=matched[0], origins=[o.asn for o in origins], vantage_points=vantages)
        how = "Exact match" if data["exact"] else f"Not announced itself; covered by {matched[0]}"
        summary = (
            f"{how}, originated by "
            + ", ".join(f"AS{o.asn}" for o in origins)
            + (f", seen by {vantages} of {len(snapshot.vantages)} vantage points.")
        )
        sections.append(Section(f"Origins of {matched[0]}", "", _origins_table(snapshot, origins)))
    else:
        data.update(asn=None, as_name=None, country=None, prefix=None, origins=[], vantage_points=0)
        summary = f"{text} is not announced and no announced prefix covers it, but {len(inside)} more-specifics are."
    total = len(inside)
    data["more_specifics_total"] = total
    data["more_specifics"] = [
        {"prefix": snapshot.prefix(i), "origins": [o.asn for o in snapshot.origins_of_prefix(i)]}
        for i in inside[:MAX_MORE_SPECIFICS]
    ]
    if inside:
        left_out = total - len(data["more_specifics"])
        sections.append(
            Section(
                "More-specific prefixes",
                f"{total:,} announced inside {text}"
                + (f", first {MAX_ROWS} shown" if total > MAX_ROWS else "")
                + (f"; {left_out:,} left out of the JSON data" if left_out else ""),
                Table(
                    ["Prefix", "Origins"],
                    [
                        [d["prefix"], " ".join(f"AS{a}" for a in d["origins"])]
                        for d in data["more_specifics"][:MAX_ROWS]
                    ],
                ),
            )
        )
    return _answer(snapshot, f"{text}", summary, sections, data)


async def lookup_domain(snapshot: Snapshot, domain: str, resolver: HostResolver | None) -> Answer:
    lookup = await resolve_host(resolver, domain, "lookup")
    results = [_ip_data(snapshot, ip) for ip in lookup.addresses]
    first = results[0][0]
    data = {**first, "kind": "domain", "domain": domain, "addresses": [d for d, _ in results]}
    summary = f"{domain} resolves to {', '.join(lookup.addresses)}. " + results[0][1].text
    answer = _answer(snapshot, domain, summary, [s for _, s in results], data)
    answer.sources.append(
        Source("DNS", datetime.now(UTC), f"A/AAAA of {domain} via the {lookup.resolver} resolver")
    )
    return answer


async def lookup(snapshot: Snapshot | None, target: str, resolver: HostResolver | None) -> Answer:
    """Dispatch on the target's shape: AS, prefix, address, domain — in that order.

    The target is checked before the snapshot is required, so bad input is called bad input even on a
    bot that has no routing data yet.
    """
    text = target.strip()
    if not text:
        raise BadInput("Give an AS, an IP address, a prefix or a domain.", example=EXAMPLE)
    parsed = parse_target(text, "lookup")
    if isinstance(parsed, AsTarget):  # an AS's routes or a prefix's more-specifics can be ~100k rows
        return await asyncio.to_thread(lookup_asn, _loaded(snapshot), parsed.asn)
    if isinstance(parsed, NetworkTarget) and parsed.as_prefix:
        return await asyncio.to_thread(lookup_prefix, _loaded(snapshot), parsed.network)
    if isinstance(parsed, DomainTarget):
        return await lookup_domain(_loaded(snapshot), parsed.name, resolver)
    if isinstance(parsed, NetworkTarget):
        return lookup_ip(_loaded(snapshot), parsed.address)
    raise BadInput(
        f"{text!r} is not an AS number, an IP address, a prefix or a domain.",
        example=f"{EXAMPLE}, /lookup target:95.56.0.1, /lookup target:2.72.0.0/18, /lookup target:nur.kz",
    )


def _loaded(snapshot: Snapshot | None) -> Snapshot:
    if snapshot is None:
        raise Unavailable(NO_SNAPSHOT, example="silkroute data update")
    return snapshot


LIVE_TITLE = "Live (RIPEstat)"
MAX_RPKI = 5


def _visibility(status: RoutingStatus, family: int) -> tuple[dict[str, Any], str]:
    seeing, total = status.peers_seeing(family)
    data = {"family": f"ipv{family}", "ris_peers_seeing": seeing, "total_ris_peers": total}
    text = f"Visibility: seen by {seeing} of {total} RIS peers (IPv{family}){stale_label(status.meta)}."
    return {**data, "stale": status.meta.stale}, text


def _origins_news(answer: Answer, live_origins: list[int], label: str) -> tuple[bool, str]:
    """Compare RIPEstat's current origins with the snapshot's; a difference is news for the summary."""
    ours = sorted(answer.data.get("origins") or [])
    names = ", ".join(f"AS{a}" for a in live_origins) or "none (not announced)"
    if live_origins == ours:
        return False, f"Current origins: {names}, the same as in the snapshot{label}."
    before = ", ".join(f"AS{a}" for a in ours) or "none"
    answer.summary += f" Live: RIPEstat now sees origin {names}, the snapshot has {before}."
    answer.severity = Severity.WARNING
    return True, f"Current origins: {names}, which differ from the snapshot's ({before}){label}."


async def _live_ip_or_prefix(
    answer: Answer, live: LiveSources, parts: LiveParts
) -> tuple[dict[str, Any] | None, list[str]]:
    """Routing status (and network-info for an address) at once, then RPKI for each current origin."""
    data = answer.data
    is_ip = data["kind"] in ("ip", "domain")
    resource = data["ip"] if is_ip else data["query"]
    family = ipaddress.ip_network(resource, strict=False).version
    ripestat = live.ripestat
    if is_ip:
        status_result, info_result = await asyncio.gather(
            attempt(ripestat.routing_status(resource), "visibility"),
            attempt(ripestat.network_info(resource), "current origins"),
        )
        info = parts.use(info_result)
    else:
        status_result, info = await attempt(ripestat.routing_status(resource), "visibility"), None
    status = parts.use(status_result)
    if status is None and info is None:
        return None, []
    lines: list[str] = []
    visibility = None
    if status is not None:
        visibility, text = _visibility(status, family)
        lines.append(text)
    origins_from = info if info is not None else status
    assert origins_from is not None
    live_origins = sorted(set(origins_from.origins))
    differ, text = _origins_news(answer, live_origins, stale_label(origins_from.meta))
    lines.append(text)
    prefix = info.prefix if info is not None else (None if is_ip else resource)
    prefix = prefix or data.get("prefix")
    rpki = []
    if prefix:
        checks = live_origins[:MAX_RPKI]
        results = await asyncio.gather(
            *(attempt(ripestat.rpki_validation(a, prefix), f"RPKI of AS{a}") for a in checks)
        )
        rpki = [r for r in map(parts.use, results) if r is not None]
    invalid = [r for r in rpki if r.status.startswith("invalid")]
    if invalid:
        answer.summary += " RPKI: " + ", ".join(f"AS{r.asn} {r.prefix} is {r.status}" for r in invalid) + "."
        answer.severity = Severity.WARNING
    live_data = {
        "resource": resource,
        "prefix": prefix,
        "visibility": visibility,
        "origins": live_origins,
        "origins_differ": differ,
        "rpki": [{"asn": r.asn, "prefix": r.prefix, "status": r.status, "stale": r.meta.stale} for r in rpki],
        "stale": parts.stale,
    }
    lines += [f"RPKI: AS{r.asn} {r.prefix} is {r.status}{stale_label(r.meta)}." for r in rpki]
    return live_data, lines


async def _live_asn(
    answer: Answer, live: LiveSources, parts: LiveParts
) -> tuple[dict[str, Any] | None, list[str]]:
    """Holder and announced state (as-overview) and upstream neighbours (asn-neighbours), fetched at once."""
    asn = int(answer.data["asn"])
    overview_result, neighbours_result = await asyncio.gather(
        attempt(live.ripestat.as_overview(asn), "holder"),
        attempt(live.ripestat.asn_neighbours(asn), "upstream neighbours"),
    )
    overview, neighbours = parts.use(overview_result), parts.use(neighbours_result)
    lines: list[str] = []
    live_data: dict[str, Any] = {"asn": asn, "stale": parts.stale}
    if overview is not None:
        announced = "announcing prefixes" if overview.announced else "announcing nothing"
        lines.append(f"Holder: {overview.holder or '?'}; {announced} now{stale_label(overview.meta)}.")
        live_data.update(holder=overview.holder, announced=overview.announced)
        if not overview.announced and answer.data.get("prefixes"):
            answer.summary += f" Live: RIPEstat sees no announcement from AS{asn} now."
            answer.severity = Severity.WARNING
    if neighbours is not None:
        upstreams = sorted(neighbours.of_type("left"), key=lambda n: (-n.v4_peers - n.v6_peers, n.asn))
        shown = ", ".join(f"AS{n.asn}" for n in upstreams[:MAX_ROWS])
        lines.append(
            f"Upstream (left) neighbours: {len(upstreams)}"
            + (f": {shown}" if shown else "")
            + f"; the snapshot has {len(answer.data.get('neighbours') or [])}{stale_label(neighbours.meta)}."
        )
        live_data.update(upstreams=len(upstreams), upstream_asns=[n.asn for n in upstreams])
    return (live_data if overview or neighbours else None), lines


async def add_live(answer: Answer, live: LiveSources | Failed) -> None:
    """Add the live section, sources and JSON `live`/`live_error`; the snapshot answer stands either way."""
    parts = LiveParts()
    live_data: dict[str, Any] | None = None
    lines: list[str] = []
    if isinstance(live, Failed):
        parts.use(live)
    elif answer.data["kind"] == "asn":
        live_data, lines = await _live_asn(answer, live, parts)
    else:
        live_data, lines = await _live_ip_or_prefix(answer, live, parts)
    answer.data["live"] = live_data
    answer.data["live_error"] = parts.error
    parts.add_to(answer, LIVE_TITLE, lines)
