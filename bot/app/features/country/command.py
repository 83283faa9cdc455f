"""`/country target:` — a national Internet measured: size, neighbours, concentration, exchanges, dependence.

The numbers come from `bot.routing.country_profile` (definitions there and in `COUNTRY_HELP`); this module
reads the options, and turns the profile into an `Answer` with tables, stable JSON keys and a chart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bot.app.answer import Answer, Attachment, BadInput
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.country.chart import render_country_chart
from bot.app.features.transit.over_time import add_over_time
from bot.app.limits import Cost
from bot.app.targets import parse_asn
from bot.app.wiring import Services
from bot.core.values import Section, Source, Table
from bot.history.views import country_key
from bot.i18n import Translator
from bot.routing.country_names import (
    UNKNOWN_COUNTRY,
    complete_countries,
    country_name,
    find_country,
    suggest_countries,
)
from bot.routing.country_profile import (
    CountryProfile,
    CountrySize,
    Dependence,
    ProfileIndex,
)
from bot.routing.ixps import Ixp

EXAMPLE = "/country target:KZ"
NEIGHBOURS = ("KZ", "UZ", "KG", "TJ", "TM")
DEFAULT_AVOID = ("RU", "CN")
CHART_ROWS = 10
OVER_TIME_ROWS = 6  # a short look back: /transit and /history have the full series

COUNTRY_HELP = """\
One country's Internet in figures, each from the loaded data with its source and date.

Target: a country code or name (KZ, KAZ, Kazakhstan). Options: compare (extra country codes for the size
table, besides KZ, UZ, KG, TJ, TM), without (a country or an AS: the share of address space with no observed
path avoiding it; default RU and CN), rows (how many rows each list shows, 1-25, default 10).

Definitions:
- Registered: ASNs, IPv4 addresses and IPv6 space (in /32 equivalents) the RIR delegated data assigns to the
  country. Routed: of the ASes registered there, those originating at least one route in the snapshot; their
  distinct IPv4 and IPv6 prefixes; the IPv4 addresses those prefixes cover (overlaps once), and that as a
  share of the registered IPv4 space (routed space registered elsewhere can push it above 100 %).
- Routes and paths are /transit's: AS_SET and loop paths dropped, prepending collapsed, origin = last AS,
  a route weighs its prefix's address count (IPv4 only here).
- Origination share: an AS's originated IPv4 addresses over the sum of all the country's origins'.
- Customer cone (observed): for a network registered in the country, the weight of the country's prefixes
  with that network on at least one observed path (or originating them), over all of them.
- International transit: on every route that leaves the country, the first AS registered elsewhere (walking
  from the origin towards the vantage point, unregistered ASes skipped); its share of the leaving weight.
- HHI (Herfindahl-Hirschman index) = sum of squared shares, 0-1 (x 10,000 for the usual scale): 1 means one
  network holds everything, 1/n means n equal ones; above 0.25 is "highly concentrated" in antitrust practice.
- Exchanges: the country's IXPs from PeeringDB data (city, peering LANs, member networks when given).
- No observed path avoiding X: an origin counts when none of its IPv4 paths from any vantage point is free of
  X (ASes registered in country X, or AS X), the origin itself excluded; the share is of the country's
  originated IPv4 addresses.
- Single points of failure: foreign ASes on every observed path of an origin (the collector peer's own AS
  excluded: it observes); losing one leaves that origin's addresses with no observed alternative.

Over time: with two or more dated history points of the country (recorded at every import, see /help
command:history), an "Over time" section lists its main exit countries' shares and its origin count by date
(the /transit numbers of each point, IPv4), and JSON data.history holds the whole series, oldest first.

Why observed paths understate diversity: each collector peer exports only its best path per prefix, backup
and less-preferred routes are never seen, and few peers sit inside the country. A path that is not observed
may still exist, so "no observed path avoiding RU" is an upper bound on real dependence, not proof of it.
Countries are the networks' registration countries (RIR data), not where the fibre runs."""


def parse_country(text: str, option: str, example: str, tr: Translator) -> str:
    """A country code from a code or a name; BadInput with suggestions otherwise."""
    raw = text.strip()
    found = find_country(raw) if raw else None
    if found is None:
        hints = suggest_countries(raw) if raw else []
        also = " " + tr.gettext("Did you mean {hints}?").format(hints=", ".join(hints)) if hints else ""
        raise BadInput(
            tr.gettext("{option}: {raw!r} is not a country I know.").format(option=option, raw=raw) + also,
            example=example,
        )
    return found.code


def parse_compare(text: str, target: str, tr: Translator) -> list[str]:
    """The neighbour set, then the target and any extra codes, each once, in that order."""
    extra = [
        parse_country(part, "compare", f"{EXAMPLE} compare:AZ,GE", tr)
        for part in text.replace(",", " ").split()
    ]
    return list(dict.fromkeys([*NEIGHBOURS, target, *extra]))


def parse_without(text: str, target: str, tr: Translator) -> str | int:
    """A country code or an AS number to remove; removing the target country itself is meaningless."""
    example = f"{EXAMPLE} without:AS12389"
    try:
        asn = parse_asn(text, "country")
    except BadInput as exc:
        raise BadInput(f"without: {tr.word(exc.message)}", example=example) from None
    if asn is not None:
        return asn
    code = parse_country(text, "without", example, tr)
    if code == target:
        raise BadInput(
            tr.gettext("without: {code} is the country asked about; name another country or an AS.").format(
                code=code
            ),
            example=example,
        )
    return code


def _pct(value: float | None, tr: Translator) -> str:
    return "–" if value is None else tr.percent(value)


def _slash32(units_64: int) -> float:
    return units_64 / 2**32


def _size_row(size: CountrySize, tr: Translator) -> list[str]:
    return [
        size.country,
        str(size.registered_asns),
        str(size.routed_asns),
        tr.number(size.registered_ipv4),
        tr.number(size.routed_ipv4),
        _pct(size.routed_ipv4_share, tr),
        str(size.prefixes_v4),
        str(size.prefixes_v6),
        tr.number(_slash32(size.registered_ipv6_64s), 1),
    ]


def _size_json(size: CountrySize) -> dict[str, Any]:
    share = size.routed_ipv4_share
    return {
        "country": size.country,
        "registered_asns": size.registered_asns,
        "registered_ipv4_addresses": size.registered_ipv4,
        "registered_ipv6_slash32s": round(_slash32(size.registered_ipv6_64s), 3),
        "routed_asns": size.routed_asns,
        "routed_ipv4_addresses": size.routed_ipv4,
        "routed_ipv4_share": None if share is None else round(share, 6),
        "prefixes_ipv4": size.prefixes_v4,
        "prefixes_ipv6": size.prefixes_v6,
    }


def _hhi_text(value: float, tr: Translator) -> str:
    return tr.gettext("HHI {value} ({scaled} on the 0-10,000 scale)").format(
        value=tr.number(value, 3), scaled=tr.number(10_000 * value)
    )


class _Names:
    """AS labels for tables and JSON, from the snapshot's names and registration countries, and the reader's
    language for the rest of the answer."""

    def __init__(self, index: ProfileIndex, tr: Translator) -> None:
        self.index = index
        self.tr = tr

    def cc(self, asn: int) -> str:
        return self.index.country_of(asn) or UNKNOWN_COUNTRY

    def row(self, asn: int, value: str) -> list[str]:
        return [f"AS{asn}", self.index.data.as_name(asn) or "?", self.cc(asn), value]

    def item(self, asn: int, **values: Any) -> dict[str, Any]:
        return {"asn": asn, "name": self.index.data.as_name(asn), "country": self.cc(asn), **values}


def _share_section(
    names: _Names, title: str, shares: Sequence[tuple[int, float]], rows: int, text: str
) -> Section:
    _ = names.tr.gettext
    return Section(
        title,
        text if shares else _("none observed"),
        Table(
            ["ASN", _("name"), _("country"), _("share")],
            [names.row(a, _pct(s, names.tr)) for a, s in shares[:rows]],
        ),
    )


def _shares_json(names: _Names, shares: Sequence[tuple[int, float]], rows: int) -> list[dict[str, Any]]:
    return [names.item(asn, share=round(share, 6)) for asn, share in shares[:rows]]


def _ixp_section(code: str, ixps: Sequence[Ixp], source: Source | None, tr: Translator) -> Section:
    _ = tr.gettext
    if source is None:
        return Section(
            _("Exchanges"),
            _(
                "No PeeringDB data in the loaded snapshot: `silkroute data update` fetches it, or give "
                "`silkroute data import` a PeeringDB /api/ix or IXP JSON Lines file with the routing files."
            ),
        )
    rows = [
        [
            ixp.name + (f" ({', '.join(ixp.aka)})" if ixp.aka else ""),
            ixp.city or "?",
            ", ".join(ixp.prefixes) or _("none listed"),
            "?" if ixp.members is None else str(ixp.members),
        ]
        for ixp in ixps
    ]
    text = (
        tr.ngettext(
            "{count} exchange point in {code} in the PeeringDB data.",
            "{count} exchange points in {code} in the PeeringDB data.",
            len(ixps),
        ).format(count=len(ixps), code=code)
        if ixps
        else _("None listed for {code}.").format(code=code)
    )
    return Section(
        _("Exchanges"), text, Table([_("exchange"), _("city"), _("peering LANs"), _("members")], rows)
    )


def _dependence_json(dep: Dependence) -> dict[str, Any]:
    return {
        "without": dep.label,
        "share": round(dep.share, 6),
        "ipv4_addresses": dep.space_without_alternative,
        "origins": dep.origins_without_alternative,
        "total_ipv4_addresses": dep.total_space,
    }


async def _chart(
    title: str, names: _Names, sizes: Sequence[CountrySize], profile: CountryProfile, footnote: str
) -> Attachment:
    """The PNG, rendered once per snapshot, title (country and language) and comparison set; off the event
    loop, as a render takes ~100 ms."""
    key = (title, tuple(s.country for s in sizes))  # the title names the country, in the reader's language
    png = names.index.charts.get(key)
    if png is None:
        png = names.index.charts[key] = await asyncio.to_thread(
            render_country_chart,
            title,
            [(s.country, s.registered_ipv4, s.routed_ipv4) for s in sizes],
            [(f"AS{a} {names.cc(a)}", s) for a, s in profile.origination[:CHART_ROWS]],
            [(f"AS{a} {names.cc(a)}", s) for a, s in profile.transit[:CHART_ROWS]],
            footnote,
            names.tr,
        )
    description = names.tr.gettext("{title}: size comparison and concentration").format(title=title)
    return Attachment("country.png", png, description)


def _sizes(index: ProfileIndex, codes: Sequence[str]) -> list[CountrySize]:
    return [index.size(code) for code in codes]


async def country(ctx: Context, target: str, compare: str = "", without: str = "", rows: int = 10) -> Answer:
    """Answer `/country`: cold work (every origin's paths) runs in a worker thread, warm comes from the index."""
    tr = ctx.tr
    code = parse_country(target, "target", EXAMPLE, tr)
    codes = parse_compare(compare, code, tr)
    removed: list[str | int] = [parse_without(without, code, tr)] if without.strip() else list(DEFAULT_AVOID)
    index = ctx.services.snapshots.profile_index()
    profile = index.cached(code)
    if profile is None:
        await ctx.charge(
            Cost.COLD_COMPUTE
        )  # a warm answer is nearly free; only the first one per snapshot costs
        profile = await asyncio.to_thread(index.profile, code)
        sizes = await asyncio.to_thread(_sizes, index, codes)
    else:
        sizes = _sizes(index, codes)
    if profile.size.registered_asns == 0 and profile.size.routed_asns == 0:
        raise BadInput(
            tr.gettext(
                "Neither the registry data nor the routes in the loaded snapshot know any AS of {name} ({code})."
            ).format(name=tr.country(code, country_name(code)), code=code),
            example=EXAMPLE,
        )
    dependences = [
        index.avoiding_asn(profile, item) if isinstance(item, int) else index.avoiding_country(profile, item)
        for item in removed
    ]
    answer = await _answer(_Names(index, tr), profile, sizes, dependences, code, rows, target)
    await add_over_time(
        answer, ctx.services.history, country_key(code), code, tr, rows=OVER_TIME_ROWS, chart=False
    )
    return answer


async def _answer(
    names: _Names,
    profile: CountryProfile,
    sizes: list[CountrySize],
    dependences: list[Dependence],
    code: str,
    rows: int,
    target: str,
) -> Answer:
    index, tr = names.index, names.tr
    _ = tr.gettext
    data = index.data
    name = country_name(code)
    size = profile.size
    ixps = [ixp for ixp in data.ixps() if ixp.country == code]
    ixp_source = data.ixp_source()
    sources = data.data_sources() + ([ixp_source] if ixp_source else [])
    collectors = sorted({data.vantages[v].collector for v in profile.vantage_ids})
    dep_rows = [
        [
            d.label,
            _pct(d.share, tr),
            tr.number(d.space_without_alternative),
            str(d.origins_without_alternative),
        ]
        for d in dependences
    ]
    total = profile.originated_ipv4
    spof_rows = [
        [*names.row(asn, tr.number(space)), _pct(space / total if total else 0.0, tr)]
        for asn, space in profile.single_points[:rows]
    ]
    shown_name = tr.country(code, name)
    summary = _(
        "{name} ({code}): {asns} ASNs and {registered} IPv4 addresses registered; {routed_asns} ASes originate "
        "routes covering {routed} ({share} of the registered space). Origination {origination_hhi}; "
        "international transit {transit_hhi}."
    ).format(
        name=shown_name,
        code=code,
        asns=size.registered_asns,
        registered=tr.number(size.registered_ipv4),
        routed_asns=size.routed_asns,
        routed=tr.number(size.routed_ipv4),
        share=_pct(size.routed_ipv4_share, tr),
        origination_hhi=_hhi_text(profile.origination_hhi, tr),
        transit_hhi=_hhi_text(profile.transit_hhi, tr),
    )
    avoiding = _("No observed path avoiding {label}: {share} of the space.")
    summary = " ".join(
        [summary, *(avoiding.format(label=d.label, share=_pct(d.share, tr)) for d in dependences)]
    )
    sections = [
        Section(
            _("Size (registered in RIR data, routed in the snapshot)"),
            _("IPv6 registered space in /32 equivalents."),
            Table(
                [
                    "cc",
                    "ASNs",
                    _("routed"),
                    _("IPv4 reg"),
                    _("IPv4 routed"),
                    _("routed %"),
                    _("v4 pfx"),
                    _("v6 pfx"),
                    _("v6 /32s"),
                ],
                [_size_row(s, tr) for s in sizes],
            ),
        ),
        _share_section(
            names,
            _("Largest networks by originated IPv4 space"),
            profile.origination,
            rows,
            _("{hhi} over {count} origins.").format(
                hhi=_hhi_text(profile.origination_hhi, tr), count=len(profile.origination)
            ),
        ),
        _share_section(
            names,
            _("Largest customer cones in the observed paths"),
            profile.cone,
            rows,
            _(
                "Networks registered in {code}; shares overlap (a prefix is in every cone on its paths)."
            ).format(code=code),
        ),
        _share_section(
            names,
            _("International transit (first foreign AS)"),
            profile.transit,
            rows,
            _("{hhi} over {count} foreign ASes.").format(
                hhi=_hhi_text(profile.transit_hhi, tr), count=len(profile.transit)
            ),
        ),
        _ixp_section(code, ixps, ixp_source, tr),
        Section(
            _("What it hangs on (observed paths only)"),
            _(
                "Share of {code}'s originated IPv4 space ({total} addresses) with no observed path avoiding "
                "each; collectors see best paths only, so real alternatives may exist."
            ).format(code=code, total=tr.number(total)),
            Table([_("without"), _("share"), _("addresses"), _("origins")], dep_rows),
        ),
        Section(
            _("Foreign ASes whose loss leaves space without an observed alternative"),
            "" if spof_rows else _("none: every origin has paths through more than one foreign network"),
            Table(["ASN", _("name"), _("country"), _("addresses"), _("share")], spof_rows),
        ),
        Section(
            _("Basis"),
            _(
                "{origins} origin ASes with IPv4 paths, seen by {vantages} vantage points ({collectors}).\n"
                "Definitions: /help command:country."
            ).format(
                origins=len(profile.origins),
                vantages=len(profile.vantage_ids),
                collectors=", ".join(collectors) or _("none"),
            ),
        ),
    ]
    source_text = "; ".join(f"{s.name} {s.date:%Y-%m-%d}" if s.date else s.name for s in sources)
    title = _("{name} ({code}): size, concentration, exchanges, dependence").format(
        name=shown_name, code=code
    )
    return Answer(
        command="country",
        title=title,
        summary=summary + " " + _("Countries are registration countries, not where the fibre runs."),
        sections=sections,
        sources=sources,
        data={
            "target": target,
            "country": code,
            "country_name": name,
            "size": _size_json(size),
            "comparison": [_size_json(s) for s in sizes],
            "origination": {
                "hhi": round(profile.origination_hhi, 6),
                "origins": len(profile.origination),
                "top": _shares_json(names, profile.origination, rows),
            },
            "customer_cone": {"top": _shares_json(names, profile.cone, rows)},
            "international_transit": {
                "hhi": round(profile.transit_hhi, 6),
                "foreign_ases": len(profile.transit),
                "leaving_weight": profile.leaving_weight,
                "top": _shares_json(names, profile.transit, rows),
            },
            "exchanges": [ixp.to_json() for ixp in ixps],
            "no_path_avoiding": [_dependence_json(d) for d in dependences],
            "single_points_of_failure": [
                names.item(asn, ipv4_addresses=space) for asn, space in profile.single_points[:rows]
            ],
            "vantage_points": len(profile.vantage_ids),
            "collectors": collectors,
            "observed_paths_only": True,
            "countries_are": "registration",
        },
        attachments=[
            await _chart(
                title,
                names,
                sizes,
                profile,
                _("Registration countries. Data: {sources}").format(sources=source_text),
            )
        ],
    )


async def complete_country(services: Services, prefix: str) -> list[str]:
    """Autocomplete for `target`: country labels (the table is static, so `services` is unused)."""
    del services
    return complete_countries(prefix.strip())


COUNTRY = CommandSpec(
    name="country",
    description="A country's Internet: size, neighbours, concentration, exchanges and what it hangs on",
    example=EXAMPLE,
    handler=country,
    options=(
        Option("target", "Country code or name (KZ, Kazakhstan)", autocomplete=complete_country),
        Option(
            "compare",
            "Extra country codes for the size table (besides KZ UZ KG TJ TM), e.g. AZ,GE",
            required=False,
            default="",
        ),
        Option(
            "without",
            "A country or AS: share of space with no observed path avoiding it (default RU and CN)",
            required=False,
            default="",
        ),
        Option(
            "rows",
            "How many rows each list shows (1-25)",
            type=int,
            required=False,
            default=10,
            min_value=1,
            max_value=25,
        ),
    ),
    help=COUNTRY_HELP,
)

COUNTRY_COMMANDS: list[CommandSpec] = [COUNTRY]
