"""A country watch on KZ through the real alert service, over the shutdown day of the outage world.

Alerts are told once per episode level, the restoration once with its duration, and a restart in the
middle of the outage neither loses the open alert nor tells it again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
import simcord

from bot.alerts.delivery import AlertSink
from bot.alerts.model import WatchKind
from bot.alerts.service import AlertService
from bot.app.answer import Answer
from bot.app.features.alerts.console_sink import ConsoleSink
from bot.app.features.alerts.targets import WatchTarget, parse_watch_target
from bot.core.guild_languages import GuildLanguages
from bot.core.settings import CoreSettings, DiscordSettings, Settings
from bot.frontends.discord.alert_channel import PUMP_SECONDS
from bot.frontends.discord.client import SilkrouteBot
from bot.i18n import Language
from bot.live import LiveSources
from bot.live.cache import LiveCache
from bot.outage.service import OutageService
from tests.bot.alerts.support import RecordingSink
from tests.bot.frontends.discord.support import make_bot
from tests.bot.outage.conftest import world_settings
from tests.bot.outage.outage_world import BLACKOUT, OutageWorld
from tests.helpers import serving

GUILD = 42
PNG = b"\x89PNG\r\n\x1a\n"
DISCORD_FILE_LIMIT = 8 * 1024 * 1024
"""The smallest upload limit Discord gives a bot (a server without boosts)."""
DISCORD_FILES_PER_MESSAGE = 10


class Process:
    """One bot process: live sources, the outage watch and the alert service, on the world's clock."""

    def __init__(self, world: OutageWorld, tmp: Path, sink: AlertSink) -> None:
        base = world_settings(world)
        self.settings = Settings(
            core=CoreSettings(silkroute_offline=False, silkroute_state_db=tmp / "state.sqlite3"),
            live=base.live,
            discord=DiscordSettings(alert_channel_id=777),
        )
        self.live = LiveSources(self.settings, cache=LiveCache(timer=lambda: world.now.timestamp()))
        snapshots = serving(None)
        self.outage = OutageService(self.settings, snapshots=snapshots, live=self.live, clock=world.clock)
        self.alerts = AlertService(
            self.settings,
            snapshots=snapshots,
            outage=self.outage,
            clock=lambda: world.now.timestamp(),
        )
        self.sink = sink

    async def start(self) -> None:
        await self.alerts.start()
        await self.alerts.attach(self.sink, background=False)

    async def close(self) -> None:
        await self.alerts.close()
        await self.live.close()


def told(sink: RecordingSink) -> list[tuple[str, str, str]]:
    """(event, level, title) of every alert entry delivered, in order (batched messages flattened)."""
    return [
        (
            entry.event.value,
            entry.alert.dedupe_key.rsplit(":", 1)[1],
            str(entry.alert.evidence.get("resolved_title") or entry.alert.title)
            if entry.event.value == "resolved"
            else entry.alert.title,
        )
        for delivery in sink.deliveries
        for entry in delivery.entries
    ]


async def run(process: Process, world: OutageWorld, start: datetime, end: datetime) -> None:
    moment = start
    while moment <= end:
        world.now = moment
        await process.alerts.pump()
        moment += timedelta(minutes=30)


async def test_country_watch_tells_each_change_once_across_a_restart(
    world: OutageWorld, tmp_path: Path
) -> None:
    sink = RecordingSink()
    first = Process(world, tmp_path, sink)
    await first.start()
    assert await first.alerts.add_watch(GUILD, WatchKind.COUNTRY, "KZ", "", "tester") is not None
    await run(first, world, datetime(2022, 1, 4, 12, 0, tzinfo=UTC), BLACKOUT + timedelta(hours=2))
    await first.close()
    told_before_restart = told(sink)

    second = Process(world, tmp_path, sink)
    await second.start()
    await run(
        second, world, BLACKOUT + timedelta(hours=2, minutes=30), datetime(2022, 1, 5, 22, 0, tzinfo=UTC)
    )
    await second.close()

    events = told(sink)
    assert events[: len(told_before_restart)] == told_before_restart
    assert events == [
        ("opened", "disruption", "Kazakhstan (KZ): disruption"),
        ("resolved", "disruption", "Kazakhstan (KZ): possible national outage"),
        ("opened", "outage", "Kazakhstan (KZ): possible national outage"),
        ("resolved", "outage", "Kazakhstan (KZ): disruption"),
        ("opened", "disruption", "Kazakhstan (KZ): disruption"),
        ("resolved", "disruption", "Kazakhstan (KZ): connectivity restored"),
    ]
    assert len(told_before_restart) == 3  # the restart fell inside the outage: nothing lost or repeated
    restored = sink.deliveries[-1].entries[-1].alert
    assert "Back to normal after" in (restored.resolution or "")
    signals = restored.evidence["signals"]
    assert {row[0] for row in signals} >= {"IODA active probing", "RIPE Atlas probes"}


async def test_console_alert_of_an_outage_carries_its_chart(world: OutageWorld, tmp_path: Path) -> None:
    shown: list[Answer] = []

    async def show(answer: Answer) -> None:
        shown.append(answer)

    process = Process(world, tmp_path, RecordingSink())
    process.sink = ConsoleSink(show, process.outage, process.settings)
    await process.start()
    try:
        await process.alerts.add_watch(GUILD, WatchKind.COUNTRY, "KZ", "", "tester")
        world.now = BLACKOUT + timedelta(hours=1)
        await process.alerts.check_outages()
        await process.alerts.pump()
    finally:
        await process.close()
    (alert,) = shown
    assert alert.title == "OPEN: Kazakhstan (KZ): possible national outage"
    (chart,) = alert.attachments
    assert chart.filename == "outage.png" and chart.content.startswith(PNG)


def test_watch_targets_take_a_country_by_code_or_name() -> None:
    assert parse_watch_target("KZ") == WatchTarget(WatchKind.COUNTRY, "KZ")
    assert parse_watch_target("Kazakhstan") == WatchTarget(WatchKind.COUNTRY, "KZ")
    assert parse_watch_target("kaspi.kz").kind is WatchKind.SITE  # a domain is still a site


@pytest.fixture
async def process(world: OutageWorld, tmp_path: Path) -> AsyncIterator[Process]:
    running = Process(world, tmp_path, RecordingSink())
    yield running
    await running.close()


@pytest.fixture
def simcord_bot(process: Process) -> SilkrouteBot:
    return make_bot(process.settings, extensions=("cogs.watch", "cogs.alerts"), alerts=process.alerts)


async def test_simcord_country_watch_and_its_alert_within_discord_limits(
    simcord_env: simcord.Env, process: Process, world: OutageWorld
) -> None:
    guild = simcord_env.create_guild()
    ops, noc = guild.create_text_channel("ops"), guild.create_text_channel("noc")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    alice = guild.add_member(simcord_env.create_user("alice"), roles=[managers])

    added = await alice.slash(ops, "watch add", target="Kazakhstan")
    (reply,) = [m for m in [added.response, *added.followups] if m is not None]
    assert "Now watching country KZ" in (reply.embeds[0].description or "")
    await alice.slash(ops, "alerts channel", channel=f"<#{noc.id}>")

    world.now = BLACKOUT + timedelta(hours=1)
    await process.alerts.check_outages()
    for _ in range(5):
        if noc.history():
            break
        await simcord_env.advance_time(PUMP_SECONDS)
    (message,) = noc.history()
    (embed,) = message.embeds
    assert embed.title == "OPEN: Kazakhstan (KZ): possible national outage"
    signals = next(f for f in embed.fields if (f.name or "").startswith("Signals"))
    assert "IODA active probing" in (signals.value or "") and "down" in (signals.value or "")
    assert len(embed) <= 6000 and all(len(f.value or "") <= 1024 for f in embed.fields)
    # the /outage chart goes with the alert (beside the signal table's CSV), within Discord's file limits
    assert len(message.attachments) <= DISCORD_FILES_PER_MESSAGE
    chart = next(a for a in message.attachments if a.filename == "outage.png")
    png = await chart.read()
    assert png.startswith(PNG) and len(png) < DISCORD_FILE_LIMIT
    assert (chart.description or "").startswith(
        "Kazakhstan (KZ): signals vs baseline, last 48 h — now outage"
    )


async def test_a_kazakh_server_gets_its_outage_alert_in_kazakh(world: OutageWorld, tmp_path: Path) -> None:
    shown: list[Answer] = []

    async def show(answer: Answer) -> None:
        shown.append(answer)

    process = Process(world, tmp_path, RecordingSink())
    languages = GuildLanguages(process.alerts.db)
    process.sink = ConsoleSink(show, process.outage, process.settings, languages)
    await process.start()
    try:
        await languages.set(GUILD, Language.KK, "tester", 0)
        await process.alerts.add_watch(GUILD, WatchKind.COUNTRY, "KZ", "", "tester")
        world.now = BLACKOUT + timedelta(hours=1)
        await process.alerts.check_outages()
        await process.alerts.pump()
        (stored,) = await process.alerts.open_alerts(GUILD)
    finally:
        await process.close()
    (alert,) = shown
    assert alert.title == "АШЫҚ: Қазақстан (KZ): ықтимал ұлттық іркіліс"
    assert "сигнал тобының" in alert.summary and "құлады" in alert.summary
    assert alert.sections[0].text.startswith("Ескерту №") and alert.sections[1].title.startswith(
        "Сигналдар (шешім outage"
    )
    assert alert.attachments[0].description.startswith("Қазақстан (KZ): сигналдар базалық деңгейге")
    assert stored.title == "Kazakhstan (KZ): possible national outage"  # stored once, in English
