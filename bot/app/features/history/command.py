"""`/history target:` — what changed and when, from the bot's own dated history points.

An AS shows its upstream neighbours gained and lost, its prefix count and address space, and exit-country
shifts above `SILKROUTE_EXIT_SHIFT_THRESHOLD`; a country shows its exit shifts, origin count and space; a prefix
shows its origins (exact and covering) gained and lost by date when it has points of its own (watched prefixes,
and any prefix `/history` was asked about before: the store keeps those), else the AS originating it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.app.answer import Answer, Attachment, BadInput, Unavailable
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.history.chart import render_lines_async
from bot.app.features.history.live import add_live_history
from bot.app.live_parts import online_sources
from bot.app.targets import AsTarget, CountryTarget, NetworkTarget, parse_target
from bot.core.values import Section, Source, Table
from bot.history.changes import Change, changes, exit_shares
from bot.history.prefixes import prefix_key
from bot.history.recorder import ChartCache
from bot.history.store import StoredPoint
from bot.history.views import asn_key, country_key
from bot.i18n import NP_, Translator, Worded

EXAMPLE = "/history target:AS9198"
CHART_LINES = 5
TABLE_ROWS = 30

HISTORY_HELP = """\
What changed and when for an AS (AS9198), a country (KZ, Kazakhstan) or a prefix / address, from the dated
history points the bot records at every `silkroute data import`/`update`, the daily refresh and `silkroute data
backfill`. Each point holds the `/transit` numbers of that day's routing data (IPv4 exit countries, transit
ASes), the prefix count, the address space and the upstream neighbours (the AS before the origin on each path,
with how many vantage points saw it).

A watched prefix (alerts watch list) has points of its own: the origin ASes of the exact prefix and of the
most specific announced prefix covering it, with vantage counts, so its origins added and removed show with
dates. Any other prefix is kept from its first `/history` on (every later import records it) and is answered
for the AS originating it in the serving snapshot until it has points.

Changes compare each point with the previous point of the same collectors (different collectors see
different vantage points); the first point of new collectors is compared with the point before it, and the
change names both collector sets. An exit-country shift is listed when a country's share moves by more than
SILKROUTE_EXIT_SHIFT_THRESHOLD. Countries are registration countries (RIR data), not where the fibre runs.

Online, an AS or a prefix also gets RIPEstat's routing history (origins and prefixes over time) and, for an
AS, IHR's AS hegemony of the last days, each in its own section labelled with its source."""


@dataclass(frozen=True, slots=True)
class HistoryTarget:
    """What the user asked for: the history key, how it was read, and what the live sources are asked about."""

    key: str
    label: str
    resource: str | None  # RIPEstat routing-history resource; None for a country
    asn: int | None  # IHR hegemony origin; None for a country
    note: str = ""  # said before the summary (a prefix answered for its origin AS)


async def _target(ctx: Context, text: str) -> HistoryTarget:
    """An AS, a country, or a prefix/address: its own points when it is watched or kept, else its origin AS."""
    parsed = parse_target(text, "history", countries=True)
    _ = ctx.tr.gettext
    if isinstance(parsed, AsTarget):
        return HistoryTarget(asn_key(parsed.asn), f"AS{parsed.asn}", f"AS{parsed.asn}", parsed.asn)
    if isinstance(parsed, CountryTarget):
        return HistoryTarget(country_key(parsed.code), parsed.code, None, None)
    if isinstance(parsed, NetworkTarget):
        return await _prefix_target(ctx, parsed, text)
    raise BadInput(
        _("{text!r} is not an AS, a country or a prefix: history is kept per AS, country and prefix.").format(
            text=text.strip()
        ),
        example=EXAMPLE,
    )


async def _prefix_target(ctx: Context, parsed: NetworkTarget, text: str) -> HistoryTarget:
    """A prefix's own points (its origins by date) when there are some; otherwise the prefix is kept from now
    on, so every later import records it, and the answer is its origin AS's history meanwhile."""
    _ = ctx.tr.gettext
    store = ctx.services.history.store
    key = prefix_key(str(parsed.network))
    newest = await asyncio.to_thread(store.series, key)
    if newest:
        view = newest[-1].view
        origins = view["origins"] or view["covering_origins"]
        return HistoryTarget(key, _("prefix {key}").format(key=key), key, origins[0][0] if origins else None)
    snapshot = ctx.services.snapshots.require()
    match = snapshot.lookup_ip(parsed.address)
    if match is None or not match.origins:
        raise BadInput(
            _("No route covers {text} in the serving snapshot, so its origin AS is unknown.").format(
                text=text.strip()
            ),
            example=EXAMPLE,
        )
    asn = match.origins[0].asn
    added = await asyncio.to_thread(store.keep, key)
    note = (
        _(
            "No history points of {key} itself yet: it is kept from now on, so every import records its "
            "origins. Meanwhile, the history of its origin AS."
        )
        if added
        else _(
            "No history points of {key} itself yet: it is kept, so every import records its origins. "
            "Meanwhile, the history of its origin AS."
        )
    ).format(key=key)
    label = _("AS{asn}, origin of {prefix} in the serving snapshot").format(asn=asn, prefix=match.prefix)
    return HistoryTarget(asn_key(asn), label, str(parsed.network), asn, note)


def _point_json(point: StoredPoint) -> dict[str, Any]:
    view = {k: v for k, v in point.view.items() if k != "kind"}
    return {"date": point.date, "collectors": point.collectors, **view}


def _change_text(value: Any, tr: Translator) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and "share" in value:
        return f"{value['country']} {tr.percent(value['share'])}"
    if isinstance(value, dict) and "via" in value:
        return tr.gettext("{asn} via {prefix}").format(asn=value["asn"], prefix=value["via"])
    return tr.number(value) if isinstance(value, int) else str(value)


def _origins_text(origins: list[list[int]], tr: Translator) -> str:
    vps = tr.gettext("AS{asn} ({count} VPs)")
    return ", ".join(vps.format(asn=asn, count=seen) for asn, seen in origins[:4]) or "-"


def _prefix_table(points: list[StoredPoint], tr: Translator) -> Table:
    """A prefix's origins by date: its own (when announced) and its covering prefix's."""
    rows = [
        [
            p.date,
            p.collectors,
            _origins_text(p.view["origins"], tr),
            p.view["covering"] or "-",
            _origins_text(p.view["covering_origins"], tr),
        ]
        for p in reversed(points[-TABLE_ROWS:])
    ]
    _ = tr.gettext
    return Table([_("Date"), _("Collectors"), _("Origins"), _("Covering prefix"), _("Its origins")], rows)


def _points_table(points: list[StoredPoint], tr: Translator) -> Table:
    if points[-1].view["kind"] == "prefix":
        return _prefix_table(points, tr)
    rows = []
    for point in reversed(points[-TABLE_ROWS:]):
        view = point.view
        top = ", ".join(f"{cc} {tr.percent(s, 0)}" for cc, s in view.get("exit_countries", [])[:3]) or "-"
        if view["kind"] == "asn":
            ups = ", ".join(f"AS{asn}" for asn, _seen in view["upstreams"][:3]) or "-"
            size = f"{tr.number(view['prefixes_v4'])} / {tr.number(view['space_v4'])}"
        else:
            ups = ", ".join(f"AS{asn}" for asn, _weight in view["transit"][:3]) or "-"
            size = f"{tr.number(view['origin_ases'])} / {tr.number(view['address_space'])}"
        rows.append([point.date, point.collectors, size, ups, top, str(view["vantage_points"])])
    kind = points[-1].view["kind"]
    _ = tr.gettext
    return Table(
        [
            _("Date"),
            _("Collectors"),
            _("Prefixes / IPv4") if kind == "asn" else _("Origins / IPv4"),
            _("Upstreams") if kind == "asn" else _("Transit"),
            _("Exits"),
            _("VPs"),
        ],
        rows,
    )


def _one_per_date(points: list[StoredPoint]) -> list[StoredPoint]:
    """One point per date for the chart: where several collector sets recorded a date, the most frequent set's."""
    frequency = Counter(p.collectors for p in points)
    chosen: dict[str, StoredPoint] = {}
    for point in points:
        held = chosen.get(point.date)
        if held is None or frequency[point.collectors] > frequency[held.collectors]:
            chosen[point.date] = point
    return [chosen[day] for day in sorted(chosen)]


async def exit_chart(
    label: str, points: list[StoredPoint], charts: ChartCache, tr: Translator
) -> Attachment | None:
    """The exit-share line chart (also `/transit`'s over-time chart); None below two dates.

    A render takes ~90 ms, far more than the rest of a warm answer, so PNGs are kept by what they show.
    """
    series = _one_per_date(points)
    if len(series) < 2:
        return None
    peaks: dict[str, float] = {}
    for point in series:
        for cc, share in exit_shares(point.view).items():
            peaks[cc] = max(peaks.get(cc, 0.0), share)
    main = sorted(peaks, key=lambda cc: (-peaks[cc], cc))[:CHART_LINES]
    lines = {cc: tuple(exit_shares(p.view).get(cc, 0.0) for p in series) for cc in main}
    dates = tuple(date.fromisoformat(p.date) for p in series)
    _ = tr.gettext
    footnote = _("history points of {collectors}").format(
        collectors=", ".join(sorted({p.collectors for p in series}))
    )
    title = _("{label}: exit countries over time").format(label=label)
    key = (title, dates, tuple(lines.items()), footnote)
    png = charts.get(key)
    if png is None:
        png = charts[key] = await render_lines_async(
            title, dates, lines, footnote, _("% of exit route weight")
        )
    return Attachment("history.png", png, _("{label}: exit-country shares by date").format(label=label))


def _sources(points: list[StoredPoint], tr: Translator) -> list[Source]:
    newest: dict[str, StoredPoint] = {}
    for point in points:
        newest[point.collectors] = point
    counted = NP_("{count} point, routing data dates", "{count} points, routing data dates")
    return [
        Source(
            tr.gettext("History points ({collectors})").format(collectors=collectors),
            datetime.fromisoformat(point.date + "T00:00:00+00:00"),
            tr.word(Worded.counted(counted, sum(p.collectors == collectors for p in points))),
        )
        for collectors, point in sorted(newest.items())
    ]


def _timeline(found: list[Change], tr: Translator) -> Table:
    """The changes; their kinds stay codes (`exit_shift`), as JSON and the help name them."""
    _ = tr.gettext
    return Table(
        [_("Date"), _("Collectors"), _("Change"), _("Before"), _("After")],
        [
            [c.date, c.collectors, c.kind, _change_text(c.before, tr), _change_text(c.after, tr)]
            for c in found[:TABLE_ROWS]
        ],
    )


async def history(ctx: Context, target: str) -> Answer:
    """Answer from the history file: the series, the changes newest first, and a chart from two points on."""
    tr = ctx.tr
    _ = tr.gettext
    wanted = await _target(ctx, target)
    key, label = wanted.key, wanted.label
    recorder = ctx.services.history
    points = await asyncio.to_thread(recorder.store.series, key)
    if not points:
        raise Unavailable(
            _(
                "No history points for {label} yet. They are recorded at every `silkroute data import` or "
                "`update` (for the countries in SILKROUTE_HISTORY_COUNTRIES, their origin ASes, watched ASes "
                "and watched or asked-about prefixes); `silkroute data backfill` adds past dates."
            ).format(label=label),
            example="silkroute data backfill --from 2021-01-01 --to 2026-11-01 --every 1mo",
        )
    threshold = ctx.services.settings.alerts.silkroute_exit_shift_threshold
    found = changes(points, threshold)
    sections = [
        Section(
            _("Changes, newest first"),
            "" if found else _("No change between consecutive points."),
            _timeline(found, tr),
        ),
        Section(_("Points, newest first"), "", _points_table(points, tr)),
    ]
    prefix = points[-1].view["kind"] == "prefix"  # origins only: no exit shares to chart
    chart = None if prefix else await exit_chart(label, points, recorder.charts, tr)
    span = tr.ngettext(
        "{label}: {count} point from {first} to {last}",
        "{label}: {count} points from {first} to {last}",
        len(points),
    ).format(label=label, count=len(points), first=points[0].date, last=points[-1].date)
    found_text = (
        tr.ngettext("{count} change of origin.", "{count} changes of origin.", len(found))
        if prefix
        else tr.ngettext(
            "{count} change (exit shifts above {threshold}).",
            "{count} changes (exit shifts above {threshold}).",
            len(found),
        )
    ).format(count=len(found), threshold=tr.percent(threshold, 0))
    answer = Answer(
        command="history",
        title=_("History of {key}").format(key=key),
        summary=(wanted.note + "\n" if wanted.note else "") + f"{span}, {found_text}",
        sections=sections,
        sources=_sources(points, tr),
        data={
            "target": key,
            "points": [_point_json(p) for p in points],
            "changes": [c.to_json() for c in found],
        },
        attachments=[chart] if chart else [],
    )
    if wanted.resource is not None:
        await add_live_history(answer, online_sources(ctx.services), wanted.resource, wanted.asn, tr)
    return answer


HISTORY = CommandSpec(
    name="history",
    description="What changed and when for an AS, a country or a prefix's origin, from dated history points",
    example=EXAMPLE,
    handler=history,
    options=(Option("target", "AS (AS9198), country (KZ, Kazakhstan), prefix or address"),),
    help=HISTORY_HELP,
)

HISTORY_COMMANDS: list[CommandSpec] = [HISTORY]
