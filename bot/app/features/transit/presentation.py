"""How `/transit` shows its numbers: tables, JSON data, the chart and IHR's hegemony alongside.

Definitions of the numbers are in `bot.routing.transit` and the command's help; the chart is rendered once
per snapshot, title and row count, and kept on the snapshot's transit index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.app.answer import Answer, Attachment
from bot.app.features.transit.chart import render_chart_async
from bot.app.live_parts import LiveParts, stale_label
from bot.core.values import Section, Table
from bot.i18n import N_, Translator
from bot.live.ihr import Hegemony
from bot.routing.country_names import UNKNOWN_COUNTRY, country_name
from bot.routing.transit import CountryTransit, OriginTransit, TransitData, TransitIndex

REGISTRATION_NOTE = N_(
    "Countries are the networks' *registration* countries (RIR delegated files), not where the fibre runs."
)
CHART_ROWS = 20


def _share_rows(shares: Sequence[tuple[str, float]], rows: int, tr: Translator) -> list[list[str]]:
    return [[cc, tr.country(cc, country_name(cc)), tr.percent(share)] for cc, share in shares[:rows]]


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


def _exit_text(exits: Sequence[tuple[str, float]], home: str | None, tr: Translator) -> str:
    if home is None:
        return tr.gettext("The origin has no registration country, so no route can be said to leave it.")
    if not exits:
        return tr.gettext(
            "No route leaves {country}-registered networks as seen from these vantage points."
        ).format(country=home)
    top = ", ".join(f"{cc} {tr.percent(share)}" for cc, share in exits[:3])
    return tr.gettext("Routes leave {country}-registered networks through {top}.").format(
        country=home, top=top
    )


def _space_text(space: int, family: int, tr: Translator) -> str:
    if family == 4:
        return tr.ngettext("{count} IPv4 address", "{count} IPv4 addresses", space).format(
            count=tr.number(space)
        )
    return tr.ngettext("{count} IPv6 prefix", "{count} IPv6 prefixes", space).format(count=tr.number(space))


async def _chart(
    title: str,
    index: TransitIndex,
    exits: Sequence[tuple[str, float]],
    transit: Sequence[tuple[int, float]],
    rows: int,
    sources: str,
    tr: Translator,
) -> Attachment:
    """The PNG for this answer, rendered once per snapshot, title and row count (the title is in its language)."""
    shown = min(rows, CHART_ROWS)
    png = index.charts.get((title, shown))
    if png is None:
        png = await render_chart_async(
            title,
            [(cc, share) for cc, share in exits[:shown]],
            [(f"AS{asn} {_cc(index, asn)}", value) for asn, value in transit[:shown]],
            tr.gettext("Registration countries, not where the fibre runs. Data: {sources}").format(
                sources=sources
            ),
            tr,
        )
        index.charts[(title, shown)] = png
    description = tr.gettext("{title}: exit countries and top transit ASes").format(title=title)
    return Attachment("transit.png", png, description)


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
    tr: Translator,
    ihr: Mapping[int, float] | None = None,
) -> Answer:
    """Tables, sources, chart and the common JSON fields around an origin's or a country's numbers.

    `ihr` is IHR's hegemony per AS for an origin answer (empty when IHR gave none): a column when present.
    """
    _ = tr.gettext
    snapshot = index.data
    collectors = _collectors(snapshot, shares.vantage_ids)
    sources = snapshot.data_sources()
    source_text = "; ".join(f"{s.name} {s.date:%Y-%m-%d}" if s.date else s.name for s in sources)
    transit_rows = [
        [f"AS{asn}", snapshot.as_name(asn) or "?", _cc(index, asn), tr.percent(value)]
        + ([tr.percent(ihr[asn]) if asn in ihr else "–"] if ihr else [])
        for asn, value in shares.transit[:rows]
    ]
    share_columns = [_("country"), _("name"), _("share")]
    sections = [
        Section(
            _("Exit countries"),
            "" if shares.exits else _("none"),
            Table(share_columns, _share_rows(shares.exits, rows, tr)),
        ),
        Section(
            _("Country presence on paths"),
            table=Table(share_columns, _share_rows(shares.countries, rows, tr)),
        ),
        Section(
            transit_title,
            "" if shares.transit else _("none"),
            Table(["ASN", _("name"), _("country"), _("hegemony"), *(["IHR"] if ihr else [])], transit_rows),
        ),
        Section(
            _("Basis"),
            _("{basis}\nCollectors: {collectors}.\nDefinitions: /help command:transit.").format(
                basis=basis, collectors=", ".join(collectors) or _("none")
            ),
        ),
    ]
    return Answer(
        command="transit",
        title=title,
        summary=f"{summary} {_(REGISTRATION_NOTE)}",
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
        attachments=[await _chart(title, index, shares.exits, shares.transit, rows, source_text, tr)],
    )


async def origin_answer(
    index: TransitIndex,
    result: OriginTransit,
    rows: int,
    how: dict[str, Any] | None,
    target: str,
    ihr: Mapping[int, float],
    tr: Translator,
) -> Answer:
    _ = tr.gettext
    fam = f"IPv{result.family}"
    name = index.data.as_name(result.origin) or _("name unknown")
    resolved = (
        _("{target} is originated by AS{asn} (covering prefix {prefix}). ").format(
            target=how["input"], asn=result.origin, prefix=how["prefix"]
        )
        if how
        else ""
    )
    prefixes = tr.ngettext("{count} {family} prefix", "{count} {family} prefixes", result.prefixes).format(
        count=tr.number(result.prefixes), family=fam
    )
    seen = tr.ngettext(
        "AS{asn} ({name}, registered in {country}): {count} vantage point saw {prefixes} ({space}).",
        "AS{asn} ({name}, registered in {country}): {count} vantage points saw {prefixes} ({space}).",
        result.vantage_points,
    ).format(
        asn=result.origin,
        name=name,
        country=result.country or UNKNOWN_COUNTRY,
        count=tr.number(result.vantage_points),
        prefixes=prefixes,
        space=_space_text(result.address_space, result.family, tr),
    )
    summary = f"{resolved}{seen} {_exit_text(result.exit_countries, result.country, tr)}"
    basis = _(
        "Vantage points: {vantage_points} with routes, {leaving} with a leaving route.\n"
        "Routes used: {routes}; dropped: {as_set} with an AS_SET, {loop} with a loop.\n"
        "Route weight passing an unregistered AS before leaving (or never leaving): {unregistered}."
    ).format(
        vantage_points=tr.number(result.vantage_points),
        leaving=tr.number(result.leaving_vantage_points),
        routes=tr.number(result.routes),
        as_set=tr.number(result.dropped_as_set),
        loop=tr.number(result.dropped_loop),
        unregistered=tr.percent(result.unregistered_before_exit),
    )
    return await _answer(
        index,
        _Shares(result.exit_countries, result.countries, result.transit, result.vantage_ids),
        title=_("Transit of AS{asn} {name} ({family})").format(asn=result.origin, name=name, family=fam),
        summary=summary,
        basis=basis,
        transit_title=_("Transit ASes"),
        rows=rows,
        tr=tr,
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


async def country_answer(
    index: TransitIndex, result: CountryTransit, rows: int, target: str, tr: Translator
) -> Answer:
    _ = tr.gettext
    fam = f"IPv{result.family}"
    name = country_name(result.country)
    local_name = tr.country(result.country, name)
    space = _space_text(result.address_space, result.family, tr)
    vantage_points = len(result.vantage_ids)
    summary = tr.ngettext(
        "{name} ({country}): {origins} of its {registered} registered ASes originate {family} routes here, "
        "covering {space}, seen by {count} vantage point.",
        "{name} ({country}): {origins} of its {registered} registered ASes originate {family} routes here, "
        "covering {space}, seen by {count} vantage points.",
        vantage_points,
    ).format(
        name=local_name,
        country=result.country,
        origins=tr.number(result.origin_ases),
        registered=tr.number(result.registered_ases),
        family=fam,
        space=space,
        count=tr.number(vantage_points),
    )
    summary += " " + _exit_text(result.exit_countries, result.country, tr)
    basis = _(
        "Origin ASes: {registered} registered in {country}, {origins} with {family} routes, {leaving} with a "
        "route leaving {country}. Weighted by each origin's announced address space ({space} in all)."
    ).format(
        registered=tr.number(result.registered_ases),
        country=result.country,
        origins=tr.number(result.origin_ases),
        family=fam,
        leaving=tr.number(result.leaving_origin_ases),
        space=space,
    )
    return await _answer(
        index,
        _Shares(result.exit_countries, result.countries, result.transit, result.vantage_ids),
        title=_("Transit of {name} ({country}, {family})").format(
            name=local_name, country=result.country, family=fam
        ),
        summary=summary,
        basis=basis,
        transit_title=_("Foreign transit ASes {country} depends on").format(country=result.country),
        rows=rows,
        tr=tr,
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


IHR_NOTE = N_(
    "IHR computes hegemony from every RIS and RouteViews peer over the last hours; ours rests on the "
    "snapshot's vantage points and date, so the two may differ."
)


async def origin_answer_with_ihr(
    index: TransitIndex,
    result: OriginTransit,
    rows: int,
    how: dict[str, Any] | None,
    target: str,
    hegemony: Hegemony | None,
    parts: LiveParts,
    tr: Translator,
) -> Answer:
    """Our answer with IHR's latest AS hegemony for the same origin alongside, when IHR answered."""
    _ = tr.gettext
    latest = hegemony.latest() if hegemony is not None else ()
    answer = await origin_answer(
        index, result, rows, how, target, {s.asn: s.hege for s in latest if s.asn != result.origin}, tr
    )
    lines = []
    if hegemony is not None and latest:
        timebin = latest[0].timebin
        lines.append(
            _(
                "IHR AS hegemony towards AS{asn} (IPv{family}), time bin {time} UTC{stale}: the IHR column above."
            ).format(
                asn=result.origin,
                family=result.family,
                time=f"{timebin:%Y-%m-%d %H:%M}",
                stale=stale_label(hegemony.meta, tr),
            )
            + " "
            + _(IHR_NOTE)
        )
        answer.data["ihr_timebin"] = timebin.isoformat()
    elif hegemony is not None:
        lines.append(
            _("IHR has no AS hegemony for AS{asn} (IPv{family}) in the last hour.").format(
                asn=result.origin, family=result.family
            )
        )
    answer.data["ihr_error"] = parts.error
    parts.add_to(answer, "Internet Health Report", lines)
    return answer
