"""`/outage target:` — is a country or an AS dark, by how many independent signals, and since when.

The judgment is `bot.outage`'s (rules in `OUTAGE_HELP`); this module reads the target, asks the outage
component, and turns the verdict into a table, JSON data, sources and a chart.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app.answer import Answer, Attachment, BadInput, Severity, as_command_error
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.outage.chart import render_chart_async
from bot.app.features.transit.command import complete_country
from bot.app.limits import Cost
from bot.app.live_parts import Failed, LiveParts, attempt, online_sources
from bot.app.targets import parse_asn
from bot.core.errors import DataUnavailable
from bot.core.settings import Settings
from bot.core.values import Section, Table
from bot.i18n import ENGLISH, N_, Translator, Worded
from bot.outage.model import Entity, Level, SignalReading, Status, Verdict
from bot.routing.country_names import find_country, suggest_countries

EXAMPLE = "/outage target:KZ"

OUTAGE_HELP = """\
Is a country (KZ, Kazakhstan) or an AS (AS9198) dark right now? Each signal is compared with its own recent
baseline; several independent signals must agree before the bot says "outage".

Signals: own BGP view (the IPv4 space the target's ASes originate, in /24s: the serving snapshot is the
baseline, RIS Live withdrawals and announcements move it); own probe panel (TCP + TLS handshakes to
SILKROUTE_OUTAGE_PANEL, Kazakhstan only, with /reach's safety rules); IODA BGP, active probing
(ping-slash24) and telescope (merit-nt); RIPE Atlas probes connected; IHR disco events (share of Atlas
probes still connected); RIPEstat routed IPv4 prefixes (countries only).

Baseline at time t: the median over the previous SILKROUTE_OUTAGE_BASELINE_DAYS days (default 7) of each
day's median at t's UTC hour, when at least SILKROUTE_OUTAGE_MIN_BASELINE_DAYS (default 3) such days exist;
otherwise the median of the last 24 h if the series reaches that far; otherwise no baseline, and the signal
is shown but not judged (a fresh install's probe panel).

Down: below SILKROUTE_OUTAGE_DOWN_RATIO (default 0.6) of its baseline at every 10-minute step for
SILKROUTE_OUTAGE_DOWN_MINUTES (default 20); a step without data breaks the run.

Verdict: signals of one family (routing, active probing, telescope, Atlas probes) count as one piece of
evidence. `outage` when two or more families are down, `disruption` when one is, `normal` when none is,
`unknown` when fewer than two families can be judged. A failing or switched-off source is listed as
unavailable and never counts as down. The chart shows the last SILKROUTE_OUTAGE_CHART_HOURS hours (default
48), each signal divided by its baseline, outage spans shaded red and disruption spans orange."""

SEVERITY = {
    Level.OUTAGE: Severity.CRITICAL,
    Level.DISRUPTION: Severity.WARNING,
    Level.NORMAL: Severity.OK,
    Level.UNKNOWN: Severity.INFO,
}


def parse_entity(text: str) -> Entity:
    """A country (code or name) or an AS; anything else is bad input with an example."""
    raw = text.strip()
    if not raw:
        raise BadInput(Worded(N_("Give a country or an AS.")), example=EXAMPLE)
    asn = parse_asn(raw, "outage")
    if asn is not None:
        return Entity("asn", str(asn))
    country = find_country(raw)
    if country is not None:
        return Entity("country", country.code, country.name)
    hints = suggest_countries(raw)
    message = (
        N_("{value} is not a country or an AS number I know. Did you mean {hints}?")
        if hints
        else N_("{value} is not a country or an AS number I know.")
    )
    raise BadInput(Worded(message, value=repr(raw), hints=", ".join(hints)), example=EXAMPLE)


def _number(value: float | None, tr: Translator) -> str:
    if value is None:
        return "—"
    return tr.number(value, 2) if abs(value) < 10 else tr.number(value)


def _row(reading: SignalReading, now: datetime, tr: Translator) -> list[str]:
    ratio = reading.ratio
    status = reading.status.value + (f" ({reading.error})" if reading.error else "")
    return [
        reading.name,
        _number(reading.value, tr),
        _number(reading.baseline, tr),
        tr.percent(ratio, 0) if ratio is not None else "—",
        status,
        reading.source.name if reading.source else "—",
        tr.age(now - reading.as_of) if reading.as_of else "—",
    ]


def signals_json(verdict: Verdict) -> list[dict[str, object]]:
    return [
        {
            "name": r.name,
            "family": r.family,
            "source": r.source.name if r.source else None,
            "value": r.value,
            "baseline": r.baseline,
            "ratio": r.ratio,
            "status": r.status.value,
            "as_of": r.as_of.isoformat() if r.as_of else None,
            "error": r.error or None,
        }
        for r in verdict.readings
    ]


async def chart(verdict: Verdict, settings: Settings, tr: Translator = ENGLISH) -> Attachment:
    """The last window's lines per signal, normalised to baseline, with the verdict's spans shaded."""
    hours = settings.outage.silkroute_outage_chart_hours
    title = tr.gettext("{target}: signals vs baseline, last {hours} h — now {level}").format(
        target=tr.word(verdict.entity.label), hours=hours, level=verdict.level.value
    )
    names = ", ".join(r.source.name for r in verdict.readings if r.source)
    png = await render_chart_async(
        title,
        [(r.name, r.ratios) for r in verdict.readings if r.data_points],
        verdict.timeline,
        settings.outage.silkroute_outage_down_ratio,
        tr.gettext("Data: {sources}").format(sources=names or tr.gettext("none")),
    )
    return Attachment("outage.png", png, title)


def verdict_answer(verdict: Verdict, command: str = "outage", tr: Translator = ENGLISH) -> Answer:
    """The verdict as an answer: summary, per-signal table, missing sources and every source's date."""
    _ = tr.gettext
    now = verdict.at
    table = Table([_("signal"), _("value"), _("baseline"), _("ratio"), _("status"), _("source"), _("age")])
    table.rows = [_row(r, now, tr) for r in verdict.readings]
    sections = [Section(_("Signals"), "", table)]
    missing = verdict.missing
    if missing:
        sections.append(
            Section(
                _("Missing"),
                "\n".join(f"{r.name}: {r.error}" for r in missing)
                + "\n"
                + _("The verdict is computed from the other signals; a missing source never counts as down."),
            )
        )
    unjudged = [r for r in verdict.readings if r.status in (Status.NO_BASELINE, Status.NO_DATA)]
    if unjudged:
        sections.append(
            Section(
                _("Shown, not judged"),
                "\n".join(
                    f"{r.name}: {r.status.value}" + (f" — {r.source.detail}" if r.source else "")
                    for r in unjudged
                ),
            )
        )
    return Answer(
        command=command,
        title=_("Outage watch: {target}").format(target=tr.word(verdict.entity.label)),
        summary=tr.word(verdict.summary()),
        severity=SEVERITY[verdict.level],
        sections=sections,
        sources=[r.source for r in verdict.readings if r.source],
        data={
            "target": verdict.entity.key,
            "verdict": verdict.level.value,
            "since": verdict.since.isoformat() if verdict.since else None,
            "at": verdict.at.isoformat(),
            "signals": signals_json(verdict),
        },
    )


async def outage(ctx: Context, target: str) -> Answer:
    entity = parse_entity(target)
    snapshot = ctx.services.snapshots.current
    if entity.kind == "asn" and snapshot is not None:
        entity = Entity("asn", entity.code, snapshot.as_name(int(entity.code)) or "")
    if snapshot is not None and entity.key not in ctx.services.outage.bgp.entities:
        await ctx.charge(Cost.COLD_COMPUTE)  # the first look at a target walks every route of its ASes
    try:
        verdict = await ctx.services.outage.verdict(entity)
    except DataUnavailable as exc:
        raise as_command_error(exc, EXAMPLE) from None
    answer = verdict_answer(verdict, tr=ctx.tr)
    await add_ioda_events(ctx, verdict, answer)
    answer.attachments.append(await chart(verdict, ctx.services.settings, ctx.tr))
    return answer


async def add_ioda_events(ctx: Context, verdict: Verdict, answer: Answer) -> None:
    """IODA's own detections over the chart window, as a second opinion beside the bot's verdict."""
    live = online_sources(ctx.services)
    if isinstance(live, Failed):
        return  # the signal table already says that live sources are off
    hours = ctx.services.settings.outage.silkroute_outage_chart_hours
    start = verdict.at - timedelta(hours=hours)
    entity = verdict.entity
    tr = ctx.tr
    parts = LiveParts(tr=tr)
    found = parts.use(
        await attempt(live.ioda.events(entity.kind, entity.code, start, verdict.at), "IODA events")
    )
    lines = (
        [
            f"{e.start:%Y-%m-%d %H:%M} UTC, {e.duration_seconds // 60} min: {e.datasource} ({e.level})"
            for e in found.events[-10:]
        ]
        if found is not None
        else []
    )
    if found is not None and not lines:
        lines = [
            tr.gettext("IODA detected no outage of {target} in the last {hours} h.").format(
                target=tr.word(entity.label), hours=hours
            )
        ]
    answer.data["ioda_events"] = (
        [
            {
                "datasource": e.datasource,
                "start": e.start.isoformat(),
                "duration": e.duration_seconds,
                "level": e.level,
            }
            for e in found.events
        ]
        if found is not None
        else None
    )
    parts.add_to(answer, tr.gettext("IODA's own outage detections"), lines)


OUTAGE = CommandSpec(
    name="outage",
    description="Is a country or an AS dark? Verdict from BGP, active probing, telescope and Atlas signals",
    example=EXAMPLE,
    handler=outage,
    options=(Option("target", "Country (KZ, Kazakhstan) or AS (AS9198)", autocomplete=complete_country),),
    help=OUTAGE_HELP,
)

OUTAGE_COMMANDS: list[CommandSpec] = [OUTAGE]
