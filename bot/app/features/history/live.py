"""`/history`'s side view from the live sources, when online: RIPEstat's routing history (origins and prefixes
over time) and IHR's AS hegemony over the last days, each labelled with its source beside the bot's own points.

Live parts never fail the command: a failing source becomes one "Live data unavailable" line.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app.answer import Answer
from bot.app.live_parts import Failed, LiveParts, attempt
from bot.core.values import Section, Table
from bot.i18n import Translator
from bot.live.ihr import Hegemony
from bot.live.ripestat import RoutingHistory
from bot.live.sources import LiveSources

IHR_DAYS = 6  # IHR answers at most 7 days of hegemony per query
LIVE_ROWS = 15


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "?"


def _routing_section(history: RoutingHistory, tr: Translator) -> tuple[Section, list[dict[str, Any]]]:
    spans = sorted(history.spans, key=lambda s: s.last_seen or datetime.min.replace(tzinfo=UTC), reverse=True)
    rows = [
        [f"AS{s.origin}", s.prefix, _when(s.first_seen), _when(s.last_seen), f"{s.peers:.0f}"] for s in spans
    ]
    _ = tr.gettext
    section = Section(
        _("RIPEstat routing history (live)"),
        _("Origins and prefixes of {resource} over time, as RIPE RIS saw them.").format(
            resource=history.resource
        ),
        Table([_("Origin"), _("Prefix"), _("From"), _("To"), _("Peers")], rows[:LIVE_ROWS]),
    )
    data = [
        {
            "origin": s.origin,
            "prefix": s.prefix,
            "from": _when(s.first_seen),
            "to": _when(s.last_seen),
            "peers": s.peers,
        }
        for s in spans
    ]
    return section, data


def _hegemony_section(hegemony: Hegemony, tr: Translator) -> tuple[Section, list[dict[str, Any]]]:
    """Per transit AS: its mean hegemony each day of the window, first and last day side by side."""
    by_day: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    names: dict[int, str] = {}
    for score in hegemony.scores:
        if score.asn != hegemony.originasn:
            by_day[score.asn][score.timebin.strftime("%Y-%m-%d")].append(score.hege)
            names[score.asn] = score.asn_name
    series = {
        asn: {day: sum(values) / len(values) for day, values in sorted(days.items())}
        for asn, days in by_day.items()
    }
    ranked = sorted(series, key=lambda asn: (-max(series[asn].values()), asn))
    rows = []
    for asn in ranked[:LIVE_ROWS]:
        days = list(series[asn].items())
        rows.append(
            [
                f"AS{asn}",
                names[asn][:20],
                f"{days[0][0]} {tr.percent(days[0][1])}",
                f"{days[-1][0]} {tr.percent(days[-1][1])}",
            ]
        )
    _ = tr.gettext
    section = Section(
        _("IHR AS hegemony, last {days} days (live)").format(days=IHR_DAYS),
        _("Daily mean hegemony of the ASes on the paths towards AS{asn} (IPv{family}).").format(
            asn=hegemony.originasn, family=hegemony.af
        ),
        Table(["AS", _("Name"), _("First day"), _("Last day")], rows),
    )
    data = [{"asn": asn, "name": names[asn], "daily": series[asn]} for asn in ranked]
    return section, data


async def add_live_history(
    answer: Answer, live: LiveSources | Failed, resource: str, asn: int | None, tr: Translator
) -> None:
    """Add RIPEstat's routing history of `resource` and, for an AS, IHR's hegemony series, with their sources."""
    parts = LiveParts(tr=tr)
    title = tr.gettext("Live sources")
    if isinstance(live, Failed):
        parts.use(live)
        parts.add_to(answer, title, [])
        answer.data["live_error"] = parts.error
        return
    end = datetime.now(UTC)
    routing_call = attempt(live.ripestat.routing_history(resource), "RIPEstat routing history")
    hegemony: Hegemony | Failed | None = None
    if asn is None:
        routing = await routing_call
    else:
        ihr_call = attempt(
            live.ihr.hegemony(asn, start=end - timedelta(days=IHR_DAYS), end=end), "IHR AS hegemony"
        )
        routing, hegemony = await asyncio.gather(routing_call, ihr_call)
    used_routing = parts.use(routing)
    used_hegemony = parts.use(hegemony) if hegemony is not None else None
    live_data: dict[str, Any] = {}
    if used_routing is not None:
        section, live_data["ripestat_routing_history"] = _routing_section(used_routing, tr)
        answer.sections.append(section)
    if used_hegemony is not None:
        section, live_data["ihr_hegemony"] = _hegemony_section(used_hegemony, tr)
        answer.sections.append(section)
    parts.add_to(answer, title, [])
    answer.data["live"] = live_data
    answer.data["live_error"] = parts.error
