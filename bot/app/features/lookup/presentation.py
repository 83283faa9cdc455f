"""How `/lookup` shows what the snapshot says (`bot.routing.lookup`): title, summary, tables and JSON data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.app.answer import Answer, BadInput
from bot.core.values import Section, Source, Table
from bot.net.dns import Lookup
from bot.routing.lookup import AsFacts, IpFacts, PrefixFacts
from bot.routing.snapshot import OriginSeen, Snapshot

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
    return Answer(
        command="lookup",
        title=title,
        summary=summary,
        sections=[*sections, Section("Note", REGISTRATION_NOTE)],
        sources=snapshot.data_sources(),
        data=data,
    )


def as_answer(snapshot: Snapshot, facts: AsFacts) -> Answer:
    asn, country = facts.asn, facts.country
    if not facts.known:
        raise BadInput(
            f"AS{asn} is unknown to the snapshot: no routes, no name and no registration.", example=EXAMPLE
        )
    prefixes = facts.prefixes
    summary = (
        f"Registered in {country or 'an unknown country'}. Originates {len(prefixes):,} prefixes "
        f"({facts.ipv4_addresses:,} IPv4 addresses), seen by {facts.vantage_points} of "
        f"{len(snapshot.vantages)} vantage points."
        if prefixes
        else f"Registered in {country or 'an unknown country'}. It originates no prefix in this snapshot."
    )
    sections = [
        Section(
            "Prefixes originated",
            f"{len(prefixes)} prefixes" + (f", first {MAX_ROWS} shown" if len(prefixes) > MAX_ROWS else ""),
            Table(["Prefix", "Vantage points"], [[p, str(v)] for p, v in prefixes[:MAX_ROWS]]),
        ),
        Section(
            "Upstream neighbours (next AS towards the collectors)",
            "",
            Table(
                ["AS", "Name", "Country", "Vantage points"],
                [
                    [f"AS{n}", snapshot.as_name(n) or "?", snapshot.country_of_asn(n) or "?", str(v)]
                    for n, v in facts.neighbours[:MAX_ROWS]
                ],
            ),
        ),
    ]
    data = {
        **_as_label(snapshot, asn),
        "kind": "asn",
        "prefix": None,
        "origins": [asn] if prefixes else [],
        "vantage_points": facts.vantage_points,
        "prefixes": [{"prefix": p, "vantage_points": v} for p, v in prefixes],
        "ipv4_addresses": facts.ipv4_addresses,
        "neighbours": [{**_as_label(snapshot, n), "vantage_points": v} for n, v in facts.neighbours],
    }
    return _answer(snapshot, f"AS{asn} {facts.name or ''}".strip(), summary, sections, data)


def _ip_data(snapshot: Snapshot, facts: IpFacts) -> tuple[dict[str, Any], Section]:
    ip, match, address_country = facts.ip, facts.match, facts.address_country
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
    data = {
        "kind": "ip",
        "ip": ip,
        **_as_label(snapshot, match.origins[0].asn),
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


def ip_answer(snapshot: Snapshot, facts: IpFacts) -> Answer:
    data, section = _ip_data(snapshot, facts)
    title = f"{facts.ip} — AS{data['asn']} {data['as_name'] or ''}".strip() if data["asn"] else facts.ip
    # The summary already says what the section's text says; keep only its table.
    sections = [Section("Origins", table=section.table)] if section.table else []
    return _answer(snapshot, title, section.text, sections, data)


def prefix_answer(snapshot: Snapshot, facts: PrefixFacts) -> Answer:
    text, covering, origins = facts.query, facts.covering, facts.origins
    if covering is None and not facts.inside_total:
        raise BadInput(
            f"No route covers {text} or lies inside it in this snapshot.",
            example="/lookup target:2.72.0.0/18",
        )
    sections: list[Section] = []
    data: dict[str, Any] = {"kind": "prefix", "query": text, "exact": facts.exact}
    if covering is not None:
        top = origins[0].asn if origins else None
        data.update(_as_label(snapshot, top) if top else {"asn": None, "as_name": None, "country": None})
        data.update(prefix=covering, origins=[o.asn for o in origins], vantage_points=facts.vantage_points)
        how = "Exact match" if facts.exact else f"Not announced itself; covered by {covering}"
        summary = (
            f"{how}, originated by "
            + ", ".join(f"AS{o.asn}" for o in origins)
            + (f", seen by {facts.vantage_points} of {len(snapshot.vantages)} vantage points.")
        )
        sections.append(Section(f"Origins of {covering}", "", _origins_table(snapshot, origins)))
    else:
        data.update(asn=None, as_name=None, country=None, prefix=None, origins=[], vantage_points=0)
        summary = (
            f"{text} is not announced and no announced prefix covers it, "
            f"but {facts.inside_total} more-specifics are."
        )
    total = facts.inside_total
    data["more_specifics_total"] = total
    data["more_specifics"] = [{"prefix": p, "origins": asns} for p, asns in facts.inside]
    if total:
        left_out = total - len(facts.inside)
        sections.append(
            Section(
                "More-specific prefixes",
                f"{total:,} announced inside {text}"
                + (f", first {MAX_ROWS} shown" if total > MAX_ROWS else "")
                + (f"; {left_out:,} left out of the JSON data" if left_out else ""),
                Table(
                    ["Prefix", "Origins"],
                    [[p, " ".join(f"AS{a}" for a in asns)] for p, asns in facts.inside[:MAX_ROWS]],
                ),
            )
        )
    return _answer(snapshot, text, summary, sections, data)


def domain_answer(snapshot: Snapshot, domain: str, lookup: Lookup, facts: list[IpFacts]) -> Answer:
    results = [_ip_data(snapshot, f) for f in facts]
    data = {**results[0][0], "kind": "domain", "domain": domain, "addresses": [d for d, _ in results]}
    summary = f"{domain} resolves to {', '.join(lookup.addresses)}. " + results[0][1].text
    answer = _answer(snapshot, domain, summary, [s for _, s in results], data)
    answer.sources.append(
        Source("DNS", datetime.now(UTC), f"A/AAAA of {domain} via the {lookup.resolver} resolver")
    )
    return answer
