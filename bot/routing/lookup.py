"""`/lookup target:` — what the snapshot knows about an AS, an address, a prefix or a domain's addresses."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver

from bot.answer import Answer, BadInput, Section, Source, Table, Unavailable
from bot.routing.asns import MAX_ASN, reserved_reason
from bot.routing.snapshot import AsPath, OriginSeen, Snapshot

EXAMPLE = "/lookup target:AS9198"
MAX_ROWS = 15
_ASN = re.compile(r"^(?:AS)?(\d+)$", re.IGNORECASE)
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}\.?$", re.I
)
REGISTRATION_NOTE = "Countries are where the networks are registered (RIR data), not where their cables run."


def parse_asn(text: str) -> int | None:
    """The ASN in `AS9198` / `9198`, None when the text is not AS-shaped; BadInput for impossible numbers."""
    match = _ASN.match(text.strip())
    if match is None:
        return None
    asn = int(match[1])
    if asn == 0 or asn > MAX_ASN:
        raise BadInput(
            f"AS{asn} is not a usable AS number (valid: 1 to {MAX_ASN}, AS0 is reserved).", example=EXAMPLE
        )
    why = reserved_reason(asn)
    if why is not None:
        raise BadInput(f"AS{asn} is {why}: it never appears on the public Internet.", example=EXAMPLE)
    return asn


def _public_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text)
    if not address.is_global or address.is_multicast:
        raise BadInput(
            f"{address} is a private, reserved or otherwise non-public address: no public route reaches it.",
            example="/lookup target:95.56.0.1",
        )
    return address


def _parse_prefix(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise BadInput(
            f"{text!r} is not a valid prefix (address/length, length up to 32 for IPv4 and 128 for IPv6).",
            example="/lookup target:95.56.0.0/14",
        ) from None
    if not network.is_global:
        raise BadInput(
            f"{network} is private or reserved address space.", example="/lookup target:2.72.0.0/18"
        )
    return network


def _collapse(path: AsPath) -> list[int] | None:
    """Path without prepending; None when it has an AS_SET or a loop (such paths name no clear neighbour)."""
    collapsed: list[int] = []
    for hop in path:
        if isinstance(hop, frozenset):
            return None
        if collapsed and collapsed[-1] == hop:
            continue
        if hop in collapsed:
            return None
        collapsed.append(hop)
    return collapsed


def _ipv4_space(prefixes: Sequence[str]) -> int:
    """Distinct IPv4 addresses covered (more-specifics of an announced prefix are not counted twice)."""
    networks = ipaddress.collapse_addresses(ipaddress.IPv4Network(p) for p in prefixes if ":" not in p)
    return sum(n.num_addresses for n in networks)


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
        collapsed = _collapse(route.path)
        if collapsed and len(collapsed) >= 2:
            upstreams.setdefault(collapsed[-2], set()).add(route.vantage)
    vantages = {r.vantage for r in routes}
    v4_space = _ipv4_space(list(per_prefix))
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
    prefix_id = snapshot.prefix_id(match.prefix)
    vantages = snapshot.vantage_count(prefix_id) if prefix_id is not None else 0
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
    return _answer(snapshot, title, section.text, [section], data)


def lookup_prefix(snapshot: Snapshot, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Answer:
    text = str(network)
    matched = None
    for length in range(network.prefixlen, -1, -1):
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
    specifics = [snapshot.prefix(i) for i in inside]
    data["more_specifics"] = [
        {"prefix": p, "origins": [o.asn for o in snapshot.origins_of_prefix(i)]}
        for p, i in zip(specifics, inside, strict=True)
    ]
    if specifics:
        sections.append(
            Section(
                "More-specific prefixes",
                f"{len(specifics)} announced inside {text}"
                + (f", first {MAX_ROWS} shown" if len(specifics) > MAX_ROWS else ""),
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


async def resolve(domain: str, resolver: dns.asyncresolver.Resolver) -> list[str]:
    """A and AAAA addresses of a domain; BadInput when it does not exist, Unavailable is the caller's call."""
    addresses: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = await resolver.resolve(domain, rdtype)
        except (dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            continue
        except dns.resolver.NXDOMAIN:
            raise BadInput(f"{domain} does not exist (NXDOMAIN).", example="/lookup target:nur.kz") from None
        addresses.extend(r.to_text() for r in answer)
    return addresses


async def lookup_domain(snapshot: Snapshot, domain: str, resolver: dns.asyncresolver.Resolver) -> Answer:
    try:
        addresses = await resolve(domain, resolver)
    except dns.exception.Timeout:
        raise Unavailable(
            f"DNS resolution of {domain} timed out.", example="/lookup target:95.56.0.1"
        ) from None
    if not addresses:
        raise BadInput(f"{domain} has no A or AAAA record.", example="/lookup target:nur.kz")
    results = [_ip_data(snapshot, ip) for ip in addresses]
    first = results[0][0]
    data = {**first, "kind": "domain", "domain": domain, "addresses": [d for d, _ in results]}
    summary = f"{domain} resolves to {', '.join(addresses)}. " + results[0][1].text
    answer = _answer(snapshot, domain, summary, [s for _, s in results], data)
    answer.sources.append(
        Source(
            "DNS", datetime.now(UTC), f"A/AAAA of {domain} via {', '.join(map(str, resolver.nameservers))}"
        )
    )
    return answer


async def lookup(snapshot: Snapshot, target: str, resolver: dns.asyncresolver.Resolver | None) -> Answer:
    """Dispatch on the target's shape: AS, prefix, address, domain — in that order."""
    text = target.strip()
    if not text:
        raise BadInput("Give an AS, an IP address, a prefix or a domain.", example=EXAMPLE)
    asn = parse_asn(text)
    if asn is not None:
        return lookup_asn(snapshot, asn)
    if "/" in text:
        return lookup_prefix(snapshot, _parse_prefix(text))
    try:
        address = _public_address(text)
    except ValueError:
        pass
    else:
        return lookup_ip(snapshot, str(address))
    if _DOMAIN.match(text) and not re.fullmatch(r"[\d.]+", text):
        if resolver is None:
            raise Unavailable(
                f"Cannot resolve {text}: silkroute is offline (SILKROUTE_OFFLINE=1).",
                example="/lookup target:95.56.0.1",
            )
        return await lookup_domain(snapshot, text.rstrip("."), resolver)
    raise BadInput(
        f"{text!r} is not an AS number, an IP address, a prefix or a domain.",
        example=f"{EXAMPLE}, /lookup target:95.56.0.1, /lookup target:2.72.0.0/18, /lookup target:nur.kz",
    )
