"""`/watch add|remove|list` and `/alerts channel|history|mute|test` as command specs (Discord-free)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.alerts.model import ANY_TARGET, CONSOLE_GUILD, MUTABLE_KINDS, WatchKind
from bot.alerts.service import AlertService
from bot.app.answer import Answer, BadInput, Severity, Unavailable
from bot.app.commands import CommandSpec, Context, Option
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

MAX_WATCHES_PER_GUILD = 1000


def _service(ctx: Context) -> AlertService:
    return ctx.services.alerts


def _guild(ctx: Context) -> int:
    """Watches belong to a server; the console (no channel either) has its own pseudo-server."""
    if ctx.guild_id is None:
        if ctx.channel_id is not None:
            raise BadInput("Watches and alerts belong to a server; use this command in a server channel.")
        return CONSOLE_GUILD
    return ctx.guild_id


def _state_source(service: AlertService) -> Source:
    return Source("silkroute alert state", datetime.fromtimestamp(service.clock(), UTC), "SQLite")


def _require_delivery(service: AlertService) -> None:
    if not service.delivering:
        raise Unavailable(
            "Alert delivery is not running in this process; use it from `silkroute run` or the console."
        )


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "—"


async def watch_add(ctx: Context, target: str, note: str = "") -> Answer:
    service, guild = _service(ctx), _guild(ctx)
    parsed = parse_watch_target(target)
    if len(await service.watches(guild)) >= MAX_WATCHES_PER_GUILD:
        raise BadInput(f"This server already has {MAX_WATCHES_PER_GUILD} watches; remove some first.")
    watch = await service.add_watch(guild, parsed.kind, parsed.target, note.strip()[:200], ctx.caller.name)
    if watch is None:
        raise BadInput(
            f"{parsed.target} is already watched here; see `/watch list`.",
            example=f"/watch remove target:{parsed.target}",
        )
    minutes = ctx.services.settings.alerts.silkroute_site_check_minutes
    what = {
        WatchKind.ASN: "origin changes of its prefixes, visibility loss, new upstreams",
        WatchKind.PREFIX: "origin change / possible hijack (also of more-specifics) and visibility loss",
        WatchKind.SITE: f"down/up from a reach check every {minutes:g} min",
    }[parsed.kind]
    return Answer(
        command="watch add",
        title=f"Watching {parsed.target}",
        summary=f"Now watching {parsed.kind} {parsed.target}: {what}.",
        severity=Severity.OK,
        sources=[_state_source(service)],
        data={
            "watch": {"id": watch.id, "kind": watch.kind.value, "target": watch.target, "note": watch.note}
        },
    )


async def watch_remove(ctx: Context, target: str) -> Answer:
    service, guild = _service(ctx), _guild(ctx)
    parsed = parse_watch_target(target)
    resolved = await service.remove_watch(guild, parsed.target)
    if resolved is None:
        raise BadInput(f"{parsed.target} is not watched here; see `/watch list`.", example=WATCH_EXAMPLE)
    closed = (
        f"its {resolved} open alert(s) were resolved ('watch removed')" if resolved else "no alert was open"
    )
    return Answer(
        command="watch remove",
        title=f"Stopped watching {parsed.target}",
        summary=f"{parsed.target} is no longer watched; {closed}. Past alerts stay in `/alerts history`.",
        severity=Severity.OK,
        sources=[_state_source(service)],
        data={"removed": parsed.target},
    )


async def watch_list(ctx: Context) -> Answer:
    service, guild = _service(ctx), _guild(ctx)
    watches = await service.watches(guild)
    open_by_target: dict[str, int] = {}
    for alert in await service.open_alerts(guild):
        open_by_target[alert.target] = open_by_target.get(alert.target, 0) + 1
    table = Table(["target", "kind", "note", "added by", "open alerts"])
    table.rows = [
        [w.target, w.kind.value, w.note, w.created_by, str(open_by_target.get(w.target, 0))] for w in watches
    ]
    return Answer(
        command="watch list",
        title="Watches",
        summary=f"{len(watches)} {'watch' if len(watches) == 1 else 'watches'} on this server."
        if watches
        else f"Nothing is watched yet. Try {WATCH_EXAMPLE}",
        sections=[Section("Watched targets", table=table)] if watches else [],
        sources=[_state_source(service)],
        data={"watches": [{"kind": w.kind.value, "target": w.target, "note": w.note} for w in watches]},
    )


async def alerts_channel(ctx: Context, channel: str) -> Answer:
    service, guild = _service(ctx), _guild(ctx)
    _require_delivery(service)
    ref = await service.set_channel(guild, channel)
    return Answer(
        command="alerts channel",
        title="Alert channel set",
        summary=f"Alerts for this server now go to {ref.label}. Try `/alerts test`.",
        severity=Severity.OK,
        sources=[_state_source(service)],
        data={"channel_id": ref.id},
    )


async def alerts_history(ctx: Context, limit: int = 10) -> Answer:
    service, guild = _service(ctx), _guild(ctx)
    alerts = await service.history(guild, limit)
    table = Table(["#", "opened", "kind", "target", "state", "alert"])
    table.rows = [
        [
            str(a.id),
            _when(a.opened_at),
            a.kind.value,
            a.target or "—",
            a.state.value + (" (muted)" if a.muted else "") + (f" (ack: {a.acked_by})" if a.acked_by else ""),
            a.title,
        ]
        for a in alerts
    ]
    mutes = await service.active_mutes(guild)
    sections = [Section("Recent alerts", table=table)] if alerts else []
    if mutes:
        sections.append(
            Section(
                "Active mutes",
                table=Table(
                    ["target", "kind", "until", "by"],
                    [[m.target, m.kind, _when(m.until), m.created_by] for m in mutes],
                ),
            )
        )
    return Answer(
        command="alerts history",
        title="Alert history",
        summary=f"The last {len(alerts)} alerts on this server."
        if alerts
        else "No alerts yet on this server.",
        sections=sections,
        sources=[_state_source(service)],
        data={
            "alerts": [
                {"id": a.id, "key": a.dedupe_key, "state": a.state.value, "title": a.title} for a in alerts
            ]
        },
    )


async def alerts_mute(ctx: Context, target: str, kind: str, duration: str) -> Answer:
    service, guild = _service(ctx), _guild(ctx)
    seconds = parse_duration(duration)
    if kind not in MUTABLE_KINDS:
        raise BadInput(
            f"Unknown alert kind {kind!r}; one of {', '.join(MUTABLE_KINDS)}.", example=MUTE_EXAMPLE
        )
    normal = ANY_TARGET if target.strip() == ANY_TARGET else parse_watch_target(target).target
    if normal != ANY_TARGET and normal not in {w.target for w in await service.watches(guild)}:
        raise BadInput(f"{normal} is not watched here, so there is nothing to mute.", example=MUTE_EXAMPLE)
    mute = await service.mute(guild, normal, kind, seconds, ctx.caller.name)
    return Answer(
        command="alerts mute",
        title=f"Muted {kind} alerts for {normal}",
        summary=f"No {kind} alerts for {'any target' if normal == ANY_TARGET else normal} until {_when(mute.until)}; "
        "they are still recorded in `/alerts history`.",
        severity=Severity.OK,
        sources=[_state_source(service)],
        data={"target": normal, "kind": kind, "until": mute.until},
    )


async def alerts_test(ctx: Context) -> Answer:
    service, guild = _service(ctx), _guild(ctx)
    _require_delivery(service)
    record = await service.send_test(guild, ctx.caller.name)
    channel = await service.channel_of(guild)
    where = "the console" if guild == CONSOLE_GUILD else (f"<#{channel}>" if channel else "no channel yet")
    return Answer(
        command="alerts test",
        title="Test alert queued",
        summary=f"Test alert #{record.id} is on its way to {where}."
        + ("" if channel is not None else f" Set a channel first: {CHANNEL_EXAMPLE}"),
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
