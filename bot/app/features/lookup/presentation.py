"""How `/lookup` shows what the snapshot says (`bot.routing.lookup`): title, summary, tables and JSON data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.app.answer import Answer, BadInput
from bot.core.values import Section, Source, Table
from bot.i18n import ENGLISH, N_, Translator
from bot.net.dns import Lookup
from bot.routing.lookup import AsFacts, IpFacts, PrefixFacts
from bot.routing.snapshot import OriginSeen, Snapshot

EXAMPLE = "/lookup target:AS9198"
MAX_ROWS = 15
MAX_MORE_SPECIFICS = 1_000  # in the JSON data; a /1 holds ~100k on a full table
REGISTRATION_NOTE = N_(
    "Countries are where the networks are registered (RIR data), not where their cables run."
)


def _as_label(snapshot: Snapshot, asn: int) -> dict[str, Any]:
    return {"asn": asn, "as_name": snapshot.as_name(asn), "country": snapshot.country_of_asn(asn)}


def _origins_table(snapshot: Snapshot, origins: list[OriginSeen], tr: Translator) -> Table:
    _ = tr.gettext
    return Table(
        [_("Origin"), _("Name"), _("Country"), _("Vantage points")],
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
    snapshot: Snapshot,
    title: str,
    summary: str,
    sections: list[Section],
    data: dict[str, Any],
    tr: Translator,
) -> Answer:
    return Answer(
        command="lookup",
        title=title,
        summary=summary,
        sections=[*sections, Section(tr.gettext("Note"), tr.gettext(REGISTRATION_NOTE))],
        sources=snapshot.data_sources(),
        data=data,
    )


def _first_shown(tr: Translator, total: int) -> str:
    return tr.gettext(", first {count} shown").format(count=MAX_ROWS) if total > MAX_ROWS else ""


def as_answer(snapshot: Snapshot, facts: AsFacts, tr: Translator = ENGLISH) -> Answer:
    _ = tr.gettext
    asn, country = facts.asn, facts.country
    if not facts.known:
        raise BadInput(
            _("AS{asn} is unknown to the snapshot: no routes, no name and no registration.").format(asn=asn),
            example=EXAMPLE,
        )
    prefixes = facts.prefixes
    registered = (
        _("Registered in {country}.").format(country=country)
        if country
        else _("Registered in an unknown country.")
    )
    originated = (
        tr.ngettext(
            "Originates {count} prefix ({addresses} IPv4 addresses), seen by {seen} of {vantages} vantage points.",
            "Originates {count} prefixes ({addresses} IPv4 addresses), seen by {seen} of {vantages} vantage points.",
            len(prefixes),
        ).format(
            count=tr.number(len(prefixes)),
            addresses=tr.number(facts.ipv4_addresses),
            seen=tr.number(facts.vantage_points),
            vantages=tr.number(len(snapshot.vantages)),
        )
        if prefixes
        else _("It originates no prefix in this snapshot.")
    )
    summary = f"{registered} {originated}"
    sections = [
        Section(
            _("Prefixes originated"),
            tr.ngettext("{count} prefix", "{count} prefixes", len(prefixes)).format(
                count=tr.number(len(prefixes))
            )
            + _first_shown(tr, len(prefixes)),
            Table([_("Prefix"), _("Vantage points")], [[p, str(v)] for p, v in prefixes[:MAX_ROWS]]),
        ),
        Section(
            _("Upstream neighbours (next AS towards the collectors)"),
            "",
            Table(
                ["AS", _("Name"), _("Country"), _("Vantage points")],
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
    return _answer(snapshot, f"AS{asn} {facts.name or ''}".strip(), summary, sections, data, tr)


def _ip_data(snapshot: Snapshot, facts: IpFacts, tr: Translator) -> tuple[dict[str, Any], Section]:
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
        text = tr.gettext(
            "{ip}: no announced prefix covers it in this snapshot (registered in {country})."
        ).format(ip=ip, country=address_country or "?")
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
    text = tr.ngettext(
        "{ip} is in {prefix}, originated by {origins}. Address registered in {country}; seen by {count} vantage "
        "point.",
        "{ip} is in {prefix}, originated by {origins}. Address registered in {country}; seen by {count} vantage "
        "points.",
        vantages,
    ).format(
        ip=ip,
        prefix=match.prefix,
        origins=", ".join(f"AS{o.asn} ({snapshot.as_name(o.asn) or '?'})" for o in match.origins),
        country=address_country or "?",
        count=tr.number(vantages),
    )
    return data, Section(ip, text, _origins_table(snapshot, match.origins, tr))


def ip_answer(snapshot: Snapshot, facts: IpFacts, tr: Translator = ENGLISH) -> Answer:
    data, section = _ip_data(snapshot, facts, tr)
    title = f"{facts.ip} — AS{data['asn']} {data['as_name'] or ''}".strip() if data["asn"] else facts.ip
    # The summary already says what the section's text says; keep only its table.
    sections = [Section(tr.gettext("Origins"), table=section.table)] if section.table else []
    return _answer(snapshot, title, section.text, sections, data, tr)


def prefix_answer(snapshot: Snapshot, facts: PrefixFacts, tr: Translator = ENGLISH) -> Answer:
    _ = tr.gettext
    text, covering, origins = facts.query, facts.covering, facts.origins
    if covering is None and not facts.inside_total:
        raise BadInput(
            _("No route covers {prefix} or lies inside it in this snapshot.").format(prefix=text),
            example="/lookup target:2.72.0.0/18",
        )
    sections: list[Section] = []
    data: dict[str, Any] = {"kind": "prefix", "query": text, "exact": facts.exact}
    if covering is not None:
        top = origins[0].asn if origins else None
        data.update(_as_label(snapshot, top) if top else {"asn": None, "as_name": None, "country": None})
        data.update(prefix=covering, origins=[o.asn for o in origins], vantage_points=facts.vantage_points)
        values = {
            "covering": covering,
            "origins": ", ".join(f"AS{o.asn}" for o in origins),
            "seen": tr.number(facts.vantage_points),
            "vantages": tr.number(len(snapshot.vantages)),
        }
        summary = (
            _("Exact match, originated by {origins}, seen by {seen} of {vantages} vantage points.")
            if facts.exact
            else _(
                "Not announced itself; covered by {covering}, originated by {origins}, seen by {seen} of "
                "{vantages} vantage points."
            )
        ).format(**values)
        sections.append(
            Section(
                _("Origins of {prefix}").format(prefix=covering), "", _origins_table(snapshot, origins, tr)
            )
        )
    else:
        data.update(asn=None, as_name=None, country=None, prefix=None, origins=[], vantage_points=0)
        summary = tr.ngettext(
            "{prefix} is not announced and no announced prefix covers it, but {count} more-specific is.",
            "{prefix} is not announced and no announced prefix covers it, but {count} more-specifics are.",
            facts.inside_total,
        ).format(prefix=text, count=tr.number(facts.inside_total))
    total = facts.inside_total
    data["more_specifics_total"] = total
    data["more_specifics"] = [{"prefix": p, "origins": asns} for p, asns in facts.inside]
    if total:
        left_out = total - len(facts.inside)
        sections.append(
            Section(
                _("More-specific prefixes"),
                _("{count} announced inside {prefix}").format(count=tr.number(total), prefix=text)
                + _first_shown(tr, total)
                + (
                    _("; {count} left out of the JSON data").format(count=tr.number(left_out))
                    if left_out
                    else ""
                ),
                Table(
                    [_("Prefix"), _("Origins")],
                    [[p, " ".join(f"AS{a}" for a in asns)] for p, asns in facts.inside[:MAX_ROWS]],
                ),
            )
        )
    return _answer(snapshot, text, summary, sections, data, tr)


def domain_answer(
    snapshot: Snapshot, domain: str, lookup: Lookup, facts: list[IpFacts], tr: Translator = ENGLISH
) -> Answer:
    results = [_ip_data(snapshot, f, tr) for f in facts]
    data = {**results[0][0], "kind": "domain", "domain": domain, "addresses": [d for d, _ in results]}
    resolves = tr.gettext("{domain} resolves to {addresses}.").format(
        domain=domain, addresses=", ".join(lookup.addresses)
    )
    summary = f"{resolves} {results[0][1].text}"
    answer = _answer(snapshot, domain, summary, [s for _, s in results], data, tr)
    detail = tr.gettext("A/AAAA of {domain} via the {resolver} resolver").format(
        domain=domain, resolver=lookup.resolver
    )
    answer.sources.append(Source("DNS", datetime.now(UTC), detail))
    return answer
