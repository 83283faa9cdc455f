"""Shared pieces of the Discord-layer tests: test-only commands, a recording component, a bot builder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.alerts.service import AlertService
from bot.app.answer import Answer, Attachment, BadInput
from bot.app.catalog import build_registry
from bot.app.commands import CommandSpec, Context, Option, Registry
from bot.app.limits import Cost
from bot.app.wiring import Services
from bot.core.settings import DiscordSettings, Settings
from bot.core.values import Section, Table
from bot.frontends.discord.client import SilkrouteBot
from tests.helpers import ManualClock, make_services

FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.fake-token.do-not-leak-0123456789abcdef"
EXTRA_EXTENSION = "tests.bot.frontends.discord.ext_extra"
BROKEN_EXTENSION = "tests.bot.frontends.discord.ext_broken"
TEST_COMMANDS = ["boom", "bad", "admin", "long", "echo", "slow", "probe", "late", "latepriv"]
LONG_SECTIONS = 40
LONG_TABLE_ROWS = 150


async def boom(ctx: Context) -> Answer:
    raise RuntimeError("kaboom: internal detail the user must not see")


async def bad(ctx: Context) -> Answer:
    raise BadInput("`AS-1` is not an AS number.", example="/bad asn:AS9198")


async def admin(ctx: Context) -> Answer:
    return Answer(command="admin", title="Admin done", summary=f"done for {ctx.caller.name}")


async def long_answer(ctx: Context) -> Answer:
    """Longer than one embed and one message: many sections plus a table that spans several fields."""
    sections = [Section(f"Section {i}", text=f"line {i}\n" + "x" * 700) for i in range(LONG_SECTIONS)]
    rows = [[f"AS{64500 + i}", f"peer-{i:03d}", "up" if i % 3 else "down"] for i in range(LONG_TABLE_ROWS)]
    sections.append(Section("Peers", text="Every peer seen:", table=Table(["asn", "name", "state"], rows)))
    return Answer(
        command="long",
        title="A long answer",
        summary="Many sections.",
        sections=sections,
        attachments=[Attachment("peers.csv", b"asn,name\nAS64500,peer-000\n", "all peers")],
    )


async def echo(ctx: Context, text: str, count: int = 1, loud: bool = False) -> Answer:
    said = " ".join([text.upper() if loud else text] * count)
    return Answer(command="echo", title="Echo", summary=said, data={"said": said})


async def slow(ctx: Context) -> Answer:
    """Shows a partial answer first, as long-running commands (traceroutes, reach checks) do."""
    await ctx.report_progress(Answer(command="slow", title="Slow", summary="working… 1 of 2 probes done"))
    return Answer(command="slow", title="Slow", summary="both probes done")


LATE_CLOCK = ManualClock()
WORK_SECONDS = 16 * 60


async def late(ctx: Context) -> Answer:
    """Work that outlives Discord's 15-minute interaction token (an Atlas wait plus retries)."""
    await ctx.report_progress(Answer(command="late", title="Late", summary="waiting for RIPE Atlas…"))
    LATE_CLOCK.now += WORK_SECONDS
    await ctx.report_progress(Answer(command="late", title="Late", summary="still waiting…"))
    return Answer(command="late", title="Late answer", summary="done after 16 minutes")


async def probe(ctx: Context) -> Answer:
    return Answer(command="probe", title="Probed", summary="a costly check ran")


def extra_specs() -> list[CommandSpec]:
    """Commands that exist only in tests: they fail, refuse, or answer long on purpose."""
    return [
        CommandSpec("boom", "Always fails", "/boom", boom),
        CommandSpec("bad", "Always rejects its input", "/bad", bad),
        CommandSpec("admin", "Only for managers", "/admin", admin, manage_only=True),
        CommandSpec("long", "A very long answer", "/long", long_answer),
        CommandSpec("slow", "Reports progress before answering", "/slow", slow),
        CommandSpec("probe", "Spends the /reach quota", "/probe", probe, cost=Cost.REACH),
        CommandSpec("late", "Outlives its interaction token", "/late", late),
        CommandSpec("latepriv", "Outlives its token, privately", "/latepriv", late, ephemeral=True),
        CommandSpec(
            "echo",
            "Repeat text",
            "/echo text:hi",
            echo,
            options=(
                Option("text", "What to say"),
                Option("count", "How often", type=int, required=False, default=1, min_value=1, max_value=5),
                Option("loud", "Shout", type=bool, required=False),
            ),
        ),
    ]


def extra_registry() -> Registry:
    registry = build_registry()
    registry.extend(extra_specs())
    return registry


class RecordingServices(Services):
    """The real services, counting how often the bot starts and closes them (exactly once each)."""

    started = 0
    closed = 0

    async def start(self) -> None:
        self.started += 1
        await super().start()

    async def close(self) -> None:
        self.closed += 1
        await super().close()


def recording_services(settings: Settings) -> RecordingServices:
    parts = make_services(settings)
    return RecordingServices(
        settings,
        parts.snapshots,
        parts.live,
        parts.alerts,
        parts.limits,
        parts.outage,
        parts.history,
        parts.cluster,
    )


def make_settings(**discord: Any) -> Settings:
    return Settings(discord=DiscordSettings(**discord))


def make_bot(
    settings: Settings | None = None,
    *,
    extensions: Sequence[str] = ("cogs.meta", EXTRA_EXTENSION),
    alerts: AlertService | None = None,
    **options: Any,
) -> SilkrouteBot:
    settings = settings or make_settings()
    services = make_services(settings, alerts=alerts)
    return SilkrouteBot(settings, services, extra_registry(), extensions=extensions, **options)
