"""`/status` and `/help`: what the bot is running on, and how to ask it things."""

from __future__ import annotations

import platform
import time
from datetime import UTC, datetime, timedelta

import discord

from bot import __version__
from bot.app.answer import Answer, BadInput, Severity
from bot.app.commands import CommandSpec, Context, Option, Registry
from bot.core.values import Section, Table
from bot.i18n import Translator
from bot.routing.snapshot import Snapshot


async def status(ctx: Context) -> Answer:
    """Version, uptime, and each component's own health line (snapshot, caches, feeds)."""
    _ = ctx.tr.gettext
    services = ctx.services
    uptime = ctx.tr.duration(timedelta(seconds=time.time() - services.started_at))
    components = [component.status() for component in services.components]
    sections = [_worded(section, ctx.tr) for section in components]
    severity = Severity.OK
    if services.failed_extensions:
        severity = Severity.WARNING
        sections.append(
            Section(
                _("Extensions that failed to load"),
                "\n".join(f"`{name}`: {error}" for name, error in services.failed_extensions.items()),
            )
        )
    offline = services.settings.core.silkroute_offline
    summary = (
        _("silkroute {version}, up {uptime}, offline (live sources off).")
        if offline
        else _("silkroute {version}, up {uptime}, online.")
    ).format(version=__version__, uptime=uptime)
    snapshot = services.snapshots.current
    if snapshot is None:
        summary += " " + _("No routing snapshot loaded.")
        severity = Severity.WARNING
    else:
        dated = snapshot.provenance.data_date
        age = ctx.tr.age(datetime.now(UTC) - dated) if dated else _("of unknown age")
        summary += " " + _("Routing snapshot {id}, data {age}.").format(id=snapshot.snapshot_id, age=age)
    return Answer(
        command="status",
        title=_("silkroute status"),
        summary=summary,
        severity=severity,
        sections=sections,
        sources=snapshot.data_sources() if snapshot else [],
        data={
            "snapshot": _snapshot_data(snapshot),
            "version": __version__,
            "uptime_seconds": round(time.time() - services.started_at, 1),
            "started_at": datetime.fromtimestamp(services.started_at, UTC).isoformat(),
            "offline": services.settings.core.silkroute_offline,
            "python": platform.python_version(),
            "discord_py": discord.__version__,
            "components": {s.title: s.text for s in components},  # English, as scripts read it
            "failed_extensions": dict(services.failed_extensions),
        },
    )


def _worded(section: Section, tr: Translator) -> Section:
    """A component's status line in the reader's language: components cannot know it, so they word their
    texts as `Worded` templates (a plain text, such as data, stays as it is)."""
    table = section.table
    if table is not None:
        table = Table([tr.word(c) for c in table.columns], [[tr.word(c) for c in row] for row in table.rows])
    return Section(tr.word(section.title), tr.word(section.text), table)


def _snapshot_data(snapshot: Snapshot | None) -> dict[str, object] | None:
    """What a monitoring script needs to alert on a stale snapshot: its id, data date and age."""
    if snapshot is None:
        return None
    dated = snapshot.provenance.data_date
    return {
        "id": snapshot.snapshot_id,
        "data_date": dated.isoformat() if dated else None,
        "age_seconds": round((datetime.now(UTC) - dated).total_seconds()) if dated else None,
        "vantage_points": snapshot.provenance.vantage_points,
        "routes": snapshot.provenance.routes,
        "disk_bytes": snapshot.disk_bytes(),
        "import_seconds": snapshot.provenance.import_seconds,
    }


def make_help(registry: Registry) -> CommandSpec:
    """`/help` lists every command of the registry it is given, so it can never fall out of date."""

    async def help_handler(ctx: Context, command: str | None = None) -> Answer:
        _ = ctx.tr.gettext
        if command:
            spec = registry.get(command.removeprefix("/").strip().lower())
            if spec is None:
                raise BadInput(
                    _("No command called `{command}`.").format(command=command),
                    example="/help command:status",
                )
            required, optional = _("required"), _("optional")
            options = "\n".join(
                f"`{o.name}` ({_kind(o, ctx.tr)}, {required if o.required else optional}): {_(o.description)}"
                for o in spec.options
            )
            sections = [Section(_("Options"), options)] if spec.options else []
            if spec.help:
                sections.append(Section(_("How it works"), _(spec.help)))
            return Answer(
                command="help",
                title=f"/{spec.name}",
                summary=_("{description}\nExample: `{example}`").format(
                    description=_(spec.description), example=spec.example
                ),
                sections=sections,
                data={
                    "command": spec.name,
                    "example": spec.example,
                    "options": [o.name for o in spec.options],
                },
            )
        # One line per command rather than a table: descriptions and examples are too wide for a phone's embed.
        lines = "\n".join(f"`{s.example}` {_(s.description)}" for s in registry)
        return Answer(
            command="help",
            title=_("silkroute commands"),
            summary=_(
                "Ask about Kazakhstan's routing and reachability. `/help command:<name>` explains one command."
            ),
            sections=[Section(_("Commands"), lines)],
            data={"commands": [{"name": s.name, "example": s.example} for s in registry]},
        )

    return CommandSpec(
        name="help",
        description="Every command with an example",
        example="/help command:status",
        handler=help_handler,
        options=(Option("command", "Explain one command", required=False, max_length=40),),
        ephemeral=True,
    )


STATUS = CommandSpec(
    name="status",
    description="Version, uptime, data snapshot age, cache and feed health",
    example="/status",
    handler=status,
)


def _kind(option: Option, tr: Translator) -> str:
    _ = tr.gettext
    if option.choices:
        return _("one of {choices}").format(choices=", ".join(option.choices))
    if option.type is int:
        bounds = [f"≥ {option.min_value}"] * (option.min_value is not None) + [f"≤ {option.max_value}"] * (
            option.max_value is not None
        )
        return _("whole number") + (f" {' '.join(bounds)}" if bounds else "")
    if option.type is bool:
        return _("true or false")
    limit = option.length_limit or 0
    return tr.ngettext("text, at most {count} character", "text, at most {count} characters", limit).format(
        count=tr.number(limit)
    )
