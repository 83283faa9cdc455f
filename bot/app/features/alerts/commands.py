"""`/watch add|remove|list` and `/alerts channel|history|mute|test` as command specs (Discord-free)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.alerts.model import ANY_TARGET, CONSOLE_GUILD, MUTABLE_KINDS, WatchKind
from bot.alerts.service import AlertService
from bot.app.answer import Answer, BadInput, Severity, Unavailable
from bot.app.commands import CommandSpec, Context, Option
from bot.app.features.alerts.presentation import worded
from bot.app.features.alerts.targets import (
    CHANNEL_EXAMPLE,
    MUTE_EXAMPLE,
    WATCH_EXAMPLE,
    parse_duration,
    parse_watch_target,
)
from bot.app.limits import Cost
from bot.app.targets import NOTE_LENGTH, URL_LENGTH
from bot.core.values import Section, Source, Table
from bot.i18n import N_, Translator

MAX_WATCHES_PER_GUILD = 1000


def _service(ctx: Context) -> AlertService:
    return ctx.services.alerts


def _guild(ctx: Context) -> int:
    """Watches belong to a server; the console (no channel either) has its own pseudo-server."""
    if ctx.guild_id is None:
        if ctx.channel_id is not None:
            raise BadInput(
                ctx.tr.gettext("Watches and alerts belong to a server; use this command in a server channel.")
            )
        return CONSOLE_GUILD
    return ctx.guild_id


def _state_source(service: AlertService) -> Source:
    return Source("silkroute alert state", datetime.fromtimestamp(service.clock(), UTC), "SQLite")


def _require_delivery(service: AlertService, tr: Translator) -> None:
    if not service.delivering:
        raise Unavailable(
            tr.gettext(
                "Alert delivery is not running in this process; use it from `silkroute run` or the console."
            )
        )


def _when(ts: float | None, tr: Translator) -> str:
    return tr.datetime(datetime.fromtimestamp(ts, UTC)) if ts else "—"


_WATCHED_FOR = {
    WatchKind.ASN: N_("origin changes of its prefixes, visibility loss, new upstreams, multi-signal outage"),
    WatchKind.PREFIX: N_("origin change / possible hijack (also of more-specifics) and visibility loss"),
    WatchKind.SITE: N_("down/up from a reach check every {minutes} min"),
    WatchKind.COUNTRY: N_(
        "possible national outage or disruption from every /outage signal, and restoration"
    ),
}


async def watch_add(ctx: Context, target: str, note: str = "") -> Answer:
    _ = ctx.tr.gettext
    service, guild = _service(ctx), _guild(ctx)
    parsed = parse_watch_target(target)
    if len(await service.watches(guild)) >= MAX_WATCHES_PER_GUILD:
        raise BadInput(
            _("This server already has {count} watches; remove some first.").format(
                count=MAX_WATCHES_PER_GUILD
            )
        )
    watch = await service.add_watch(guild, parsed.kind, parsed.target, note.strip()[:200], ctx.caller.name)
    if watch is None:
        raise BadInput(
            _("{target} is already watched here; see `/watch list`.").format(target=parsed.target),
            example=f"/watch remove target:{parsed.target}",
        )
    minutes = ctx.services.settings.alerts.silkroute_site_check_minutes
    what = _(_WATCHED_FOR[parsed.kind]).format(minutes=f"{minutes:g}")
    return Answer(
        command="watch add",
        title=_("Watching {target}").format(target=parsed.target),
        summary=_("Now watching {kind} {target}: {what}.").format(
            kind=parsed.kind, target=parsed.target, what=what
        ),
        severity=Severity.OK,
        sources=[_state_source(service)],
        data={
            "watch": {"id": watch.id, "kind": watch.kind.value, "target": watch.target, "note": watch.note}
        },
    )


async def watch_remove(ctx: Context, target: str) -> Answer:
    tr = ctx.tr
    service, guild = _service(ctx), _guild(ctx)
    parsed = parse_watch_target(target)
    resolved = await service.remove_watch(guild, parsed.target)
    if resolved is None:
        raise BadInput(
            tr.gettext("{target} is not watched here; see `/watch list`.").format(target=parsed.target),
            example=WATCH_EXAMPLE,
        )
    closed = (
        tr.ngettext(
            "its {count} open alert was resolved ('watch removed')",
            "its {count} open alerts were resolved ('watch removed')",
            resolved,
        ).format(count=resolved)
        if resolved
        else tr.gettext("no alert was open")
    )
    return Answer(
        command="watch remove",
        title=tr.gettext("Stopped watching {target}").format(target=parsed.target),
        summary=tr.gettext(
            "{target} is no longer watched; {closed}. Past alerts stay in `/alerts history`."
        ).format(target=parsed.target, closed=closed),
        severity=Severity.OK,
        sources=[_state_source(service)],
        data={"removed": parsed.target},
    )


async def watch_list(ctx: Context) -> Answer:
    tr = ctx.tr
    _ = tr.gettext
    service, guild = _service(ctx), _guild(ctx)
    watches = await service.watches(guild)
    open_by_target: dict[str, int] = {}
    for alert in await service.open_alerts(guild):
        open_by_target[alert.target] = open_by_target.get(alert.target, 0) + 1
    table = Table([_("target"), _("kind"), _("note"), _("added by"), _("open alerts")])
    table.rows = [
        [w.target, w.kind.value, w.note, w.created_by, str(open_by_target.get(w.target, 0))] for w in watches
    ]
    return Answer(
        command="watch list",
        title=_("Watches"),
        summary=tr.ngettext(
            "{count} watch on this server.", "{count} watches on this server.", len(watches)
        ).format(count=len(watches))
        if watches
        else _("Nothing is watched yet. Try {example}").format(example=WATCH_EXAMPLE),
        sections=[Section(_("Watched targets"), table=table)] if watches else [],
        sources=[_state_source(service)],
        data={"watches": [{"kind": w.kind.value, "target": w.target, "note": w.note} for w in watches]},
    )


async def alerts_channel(ctx: Context, channel: str) -> Answer:
    service, guild = _service(ctx), _guild(ctx)
    _require_delivery(service, ctx.tr)
    ref = await service.set_channel(guild, channel)
    return Answer(
        command="alerts channel",
        title=ctx.tr.gettext("Alert channel set"),
        summary=ctx.tr.gettext("Alerts for this server now go to {channel}. Try `/alerts test`.").format(
            channel=ref.label
        ),
        severity=Severity.OK,
        sources=[_state_source(service)],
        data={"channel_id": ref.id},
    )


async def alerts_history(ctx: Context, limit: int = 10) -> Answer:
    tr = ctx.tr
    _ = tr.gettext
    service, guild = _service(ctx), _guild(ctx)
    alerts = await service.history(guild, limit)
    table = Table(["#", _("opened"), _("kind"), _("target"), _("state"), _("alert")])
    table.rows = [
        [
            str(a.id),
            _when(a.opened_at, tr),
            a.kind.value,
            a.target or "—",
            a.state.value
            + (" " + _("(muted)") if a.muted else "")
            + (" " + _("(ack: {who})").format(who=a.acked_by) if a.acked_by else ""),
            worded(a.evidence, "title", a.title, tr),
        ]
        for a in alerts
    ]
    mutes = await service.active_mutes(guild)
    sections = [Section(_("Recent alerts"), table=table)] if alerts else []
    if mutes:
        sections.append(
            Section(
                _("Active mutes"),
                table=Table(
                    [_("target"), _("kind"), _("until"), _("by")],
                    [[m.target, m.kind, _when(m.until, tr), m.created_by] for m in mutes],
                ),
            )
        )
    return Answer(
        command="alerts history",
        title=_("Alert history"),
        summary=tr.ngettext(
            "The last {count} alert on this server.", "The last {count} alerts on this server.", len(alerts)
        ).format(count=len(alerts))
        if alerts
        else _("No alerts yet on this server."),
        sections=sections,
        sources=[_state_source(service)],
        data={
            "alerts": [
                {"id": a.id, "key": a.dedupe_key, "state": a.state.value, "title": a.title} for a in alerts
            ]
        },
    )


async def alerts_mute(ctx: Context, target: str, kind: str, duration: str) -> Answer:
    tr = ctx.tr
    _ = tr.gettext
    service, guild = _service(ctx), _guild(ctx)
    seconds = parse_duration(duration)
    if kind not in MUTABLE_KINDS:
        raise BadInput(
            _("Unknown alert kind {kind}; one of {kinds}.").format(
                kind=repr(kind), kinds=", ".join(MUTABLE_KINDS)
            ),
            example=MUTE_EXAMPLE,
        )
    normal = ANY_TARGET if target.strip() == ANY_TARGET else parse_watch_target(target).target
    if normal != ANY_TARGET and normal not in {w.target for w in await service.watches(guild)}:
        raise BadInput(
            _("{target} is not watched here, so there is nothing to mute.").format(target=normal),
            example=MUTE_EXAMPLE,
        )
    mute = await service.mute(guild, normal, kind, seconds, ctx.caller.name)
    return Answer(
        command="alerts mute",
        title=_("Muted {kind} alerts for {target}").format(kind=kind, target=normal),
        summary=_(
            "No {kind} alerts for {target} until {time}; they are still recorded in `/alerts history`."
        ).format(
            kind=kind, target=_("any target") if normal == ANY_TARGET else normal, time=_when(mute.until, tr)
        ),
        severity=Severity.OK,
        sources=[_state_source(service)],
        data={"target": normal, "kind": kind, "until": mute.until},
    )


async def alerts_test(ctx: Context) -> Answer:
    _ = ctx.tr.gettext
    service, guild = _service(ctx), _guild(ctx)
    _require_delivery(service, ctx.tr)
    record = await service.send_test(guild, ctx.caller.name)
    channel = await service.channel_of(guild)
    where = (
        _("the console") if guild == CONSOLE_GUILD else (f"<#{channel}>" if channel else _("no channel yet"))
    )
    return Answer(
        command="alerts test",
        title=_("Test alert queued"),
        summary=_("Test alert #{id} is on its way to {where}.").format(id=record.id, where=where)
        + (
            ""
            if channel is not None
            else " " + _("Set a channel first: {example}").format(example=CHANNEL_EXAMPLE)
        ),
        sources=[_state_source(service)],
        data={"alert_id": record.id, "channel_id": channel},
    )


_TARGET = Option(
    "target", "AS number, prefix or site, e.g. AS9198, 95.56.0.0/16, egov.kz", max_length=URL_LENGTH
)
COMMANDS: list[CommandSpec] = [
    CommandSpec(
        "watch add",
        "Watch an AS, prefix or site and alert the team",
        WATCH_EXAMPLE,
        watch_add,
        options=(
            _TARGET,
            Option("note", "Why it is watched", required=False, default="", max_length=NOTE_LENGTH),
        ),
        manage_only=True,
        cost=Cost.WATCH_ADD,
        help="Prefixes: hijack/origin change (RPKI-valid changes skipped) and visibility loss with recovery. "
        "ASes: the same for what they originate, plus new upstreams. Sites: down/up from reach checks.",
    ),
    CommandSpec(
        "watch remove",
        "Stop watching a target",
        "/watch remove target:AS9198",
        watch_remove,
        options=(_TARGET,),
        manage_only=True,
    ),
    CommandSpec("watch list", "What this server watches", "/watch list", watch_list),
    CommandSpec(
        "alerts channel",
        "Set the channel alerts are posted to",
        CHANNEL_EXAMPLE,
        alerts_channel,
        options=(Option("channel", "A channel mention (#noc), its id, or `console` in the console"),),
        manage_only=True,
    ),
    CommandSpec(
        "alerts history",
        "Recent alerts and active mutes",
        "/alerts history limit:20",
        alerts_history,
        options=(
            Option("limit", "How many", type=int, required=False, default=10, min_value=1, max_value=50),
        ),
    ),
    CommandSpec(
        "alerts mute",
        "Silence one kind of alert for one target for a while",
        MUTE_EXAMPLE,
        alerts_mute,
        options=(
            Option("target", "A watched target, or * for all", max_length=URL_LENGTH),
            Option("kind", "Which alerts", choices=MUTABLE_KINDS),
            Option("duration", "How long: 30m, 6h, 2d, 1w", max_length=16),
        ),
        manage_only=True,
    ),
    CommandSpec(
        "alerts test",
        "Send a sample alert to the alert channel",
        "/alerts test",
        alerts_test,
        manage_only=True,
    ),
]
