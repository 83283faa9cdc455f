"""`/transit` across time: the "Over time" section, chart and `data.history` from the history points, and the
`at:YYYY-MM-DD` answer from the point nearest a date.

Points hold the IPv4 numbers (`/transit`'s default family), so both parts are IPv4 only.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

from bot.app.answer import Answer, BadInput, Unavailable
from bot.app.features.history.command import exit_chart
from bot.app.features.transit.query import EXAMPLE
from bot.core.values import Section, Source, Table
from bot.history.changes import exit_shares
from bot.history.recorder import HistoryRecorder
from bot.history.store import StoredPoint
from bot.i18n import Translator
from bot.routing.country_names import country_name

OVER_TIME_ROWS = 12
AT_EXAMPLE = "/transit target:KZ at:2019-01-01"


def history_json(points: list[StoredPoint]) -> list[dict[str, Any]]:
    """`data.history`, oldest first: each point's exit shares, vantage points and origin ASes."""
    return [
        {
            "date": p.date,
            "collectors": p.collectors,
            "exit_countries": [{"country": cc, "share": round(s, 6)} for cc, s in p.view["exit_countries"]],
            "vantage_points": p.view["vantage_points"],
            "origin_ases": p.view.get("origin_ases", 1),
        }
        for p in points
    ]


async def add_over_time(
    answer: Answer,
    history: HistoryRecorder,
    key: str,
    label: str,
    tr: Translator,
    *,
    rows: int = OVER_TIME_ROWS,
    chart: bool = True,
) -> None:
    """From two points on: an "Over time" section (newest first, `rows` long; a country's points also give
    its origin count), the exit-share chart unless `chart` is False, and `data.history`. `/country` uses it
    too, short and without the chart."""
    points = await asyncio.to_thread(history.store.series, key)
    if len(points) < 2:
        return
    _ = tr.gettext
    country = points[-1].view["kind"] == "country"
    table = [
        [
            p.date,
            p.collectors,
            ", ".join(f"{cc} {tr.percent(s, 0)}" for cc, s in p.view["exit_countries"][:3]) or "-",
            *([tr.number(p.view["origin_ases"])] if country else []),
            str(p.view["vantage_points"]),
        ]
        for p in reversed(points[-rows:])
    ]
    answer.sections.append(
        Section(
            _("Over time"),
            tr.ngettext(
                "{count} history point from {first} to {last} (IPv4, recorded at each import; /history shows "
                "what changed).",
                "{count} history points from {first} to {last} (IPv4, recorded at each import; /history shows "
                "what changed).",
                len(points),
            ).format(count=len(points), first=points[0].date, last=points[-1].date),
            Table(
                [_("Date"), _("Collectors"), _("Main exits"), *([_("Origins")] if country else []), _("VPs")],
                table,
            ),
        )
    )
    answer.data["history"] = history_json(points)
    drawn = await exit_chart(label, points, history.charts, tr) if chart else None
    if drawn is not None:
        answer.attachments.append(drawn)


def nearest(points: list[StoredPoint], day: date) -> StoredPoint:
    """The point closest to `day` (the earlier one on a tie)."""
    return min(points, key=lambda p: (abs((date.fromisoformat(p.date) - day).days), p.date))


def parse_at(text: str, tr: Translator) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            tr.gettext("at:{text} is not a date in the form YYYY-MM-DD.").format(text=text),
            example=AT_EXAMPLE,
        ) from None


async def answer_at(
    history: HistoryRecorder, key: str, label: str, at: str, target: str, tr: Translator
) -> Answer:
    """`/transit at:` — the numbers of the history point nearest the date, saying which date it used."""
    _ = tr.gettext
    wanted = parse_at(at, tr)
    points = await asyncio.to_thread(history.store.series, key)
    if not points:
        raise Unavailable(
            _(
                "No history points for {label}, so there is nothing to answer at {wanted}. Points are recorded "
                "at every `silkroute data import`/`update`; `silkroute data backfill` adds past dates."
            ).format(label=label, wanted=wanted),
            example=EXAMPLE,
        )
    point = nearest(points, wanted)
    view = point.view
    distance = abs((date.fromisoformat(point.date) - wanted).days)
    exits = sorted(exit_shares(view).items(), key=lambda item: (-item[1], item[0]))
    top = ", ".join(f"{cc} {tr.percent(s)}" for cc, s in exits[:3]) or _("no leaving route")
    away = (
        tr.ngettext(" ({count} day away)", " ({count} days away)", distance).format(count=distance)
        if distance
        else ""
    )
    summary = _(
        "Answered from the history point of {date} ({collectors}), the nearest to {wanted}{away}: "
        "{vantages} vantage points; routes leave through {top}."
    ).format(
        date=point.date,
        collectors=point.collectors,
        wanted=wanted,
        away=away,
        vantages=view["vantage_points"],
        top=top,
    )
    sections = [
        Section(
            _("Exit countries"),
            "" if exits else _("none"),
            Table(
                [_("country"), _("name"), _("share")],
                [[cc, tr.country(cc, country_name(cc)), tr.percent(s)] for cc, s in exits],
            ),
        ),
        Section(
            _("Transit ASes"),
            "" if view["transit"] else _("none"),
            Table(["ASN", _("hegemony")], [[f"AS{asn}", tr.percent(h)] for asn, h in view["transit"]]),
        ),
    ]
    return Answer(
        command="transit",
        title=_("Transit of {label} on {date} (history point, IPv4)").format(label=label, date=point.date),
        summary=summary,
        sections=sections,
        sources=[
            Source(
                _("History point ({collectors})").format(collectors=point.collectors),
                datetime.fromisoformat(point.date + "T00:00:00+00:00"),
                _("the routing data of that date, recorded at import"),
            )
        ],
        data={
            "target": target,
            "kind": view["kind"],
            "family": "ipv4",
            "at": point.date,
            "requested": wanted.isoformat(),
            "collectors": point.collectors,
            "vantage_points": view["vantage_points"],
            "exit_countries": [{"country": cc, "share": round(s, 6)} for cc, s in exits],
            "transit_ases": [{"asn": asn, "hegemony": round(h, 6)} for asn, h in view["transit"]],
            "history": history_json(points),
            "countries_are": "registration",
        },
    )
