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
from bot.live.ihr import Hegemony
from bot.routing.country_names import UNKNOWN_COUNTRY, country_name
from bot.routing.transit import CountryTransit, OriginTransit, TransitData, TransitIndex

REGISTRATION_NOTE = (
    "Countries are the networks' *registration* countries (RIR delegated files), not where the fibre runs."
)
CHART_ROWS = 20


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


async def origin_answer(
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


async def country_answer(index: TransitIndex, result: CountryTransit, rows: int, target: str) -> Answer:
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


IHR_NOTE = (
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
) -> Answer:
    """Our answer with IHR's latest AS hegemony for the same origin alongside, when IHR answered."""
    latest = hegemony.latest() if hegemony is not None else ()
    answer = await origin_answer(
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
