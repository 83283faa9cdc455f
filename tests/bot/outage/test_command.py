"""`/outage` end to end: parsing, the JSON shape, the chart, offline, bad input, and SimCord."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import discord
import pytest
import simcord

from bot.app.answer import Answer, CommandError, ErrorKind
from bot.app.catalog import build_registry
from bot.app.commands import Caller, Context
from bot.app.render import answer_json, dumps, render_text
from bot.app.runner import answer_line
from bot.app.wiring import Services
from bot.frontends.discord.client import SilkrouteBot
from bot.i18n import Language, translator
from tests.bot.frontends.discord.support import make_settings
from tests.bot.outage.conftest import world_services
from tests.bot.outage.outage_world import BLACKOUT, OutageWorld

PNG = b"\x89PNG\r\n\x1a\n"


async def ask(services: Services, line: str) -> Answer | CommandError:
    ctx = Context(services=services, caller=Caller("tester", can_manage=False))
    _, result = await answer_line(line, build_registry(), ctx)
    return result


async def test_outage_json_has_verdict_since_and_every_signal(world: OutageWorld) -> None:
    world.now = BLACKOUT + timedelta(hours=2)
    services = world_services(world)
    answer = await ask(services, "/outage target:Kazakhstan")
    await services.live.close()
    assert isinstance(answer, Answer), answer
    payload = json.loads(dumps(answer_json(answer)))
    data = payload["data"]
    assert data["verdict"] == "outage"
    assert data["since"].startswith("2022-01-05T1")
    names = {s["name"] for s in data["signals"]}
    assert {"IODA active probing", "IODA telescope", "RIPE Atlas probes", "IHR disco"} <= names
    for signal in data["signals"]:
        assert set(signal) >= {"name", "source", "value", "baseline", "ratio", "status", "as_of"}
    active = next(s for s in data["signals"] if s["name"] == "IODA active probing")
    assert active["status"] == "down" and active["ratio"] < 0.1
    assert {s["name"] for s in payload["sources"]} >= {
        "IODA",
        "RIPE Atlas",
        "Internet Health Report",
        "RIPEstat",
    }
    assert [e["datasource"] for e in data["ioda_events"]] == ["ping-slash24", "merit-nt"]
    assert any(s.title == "IODA's own outage detections" for s in answer.sections)
    (chart,) = answer.attachments
    assert chart.filename == "outage.png" and chart.content.startswith(PNG)
    text = render_text(answer)
    assert "**outage**" in text and "own BGP view" in text


async def test_outage_names_the_country_in_the_readers_language(world: OutageWorld) -> None:
    """The title, the summary and the chart say "Казахстан (KZ)" to a Russian reader (CLDR), not the registry's
    English name."""
    world.now = BLACKOUT + timedelta(hours=2)
    services = world_services(world)
    ctx = Context(services=services, caller=Caller("tester", can_manage=False), tr=translator(Language.RU))
    _, answer = await answer_line("/outage target:KZ", build_registry(), ctx)
    await services.live.close()
    assert isinstance(answer, Answer), answer
    assert "Казахстан (KZ)" in answer.title and answer.summary.startswith("Казахстан (KZ): **outage**")
    assert "Kazakhstan" not in render_text(answer)
    assert answer.attachments[0].description.startswith("Казахстан (KZ)")


async def test_outage_of_an_as_and_bad_input(world: OutageWorld) -> None:
    services = world_services(world)
    answer = await ask(services, "/outage target:AS9198")
    assert isinstance(answer, Answer)
    assert answer.data["target"] == "asn:9198"
    assert "RIPEstat routed prefixes" not in {s["name"] for s in answer.data["signals"]}  # countries only
    bad = await ask(services, "/outage target:Narnia")
    assert isinstance(bad, CommandError) and bad.kind is ErrorKind.BAD_INPUT
    assert "/outage target:KZ" in bad.user_text()
    private = await ask(services, "/outage target:AS64512")
    assert isinstance(private, CommandError) and private.kind is ErrorKind.BAD_INPUT
    await services.live.close()


async def test_offline_outage_says_what_is_missing(world: OutageWorld) -> None:
    services = world_services(world, offline=True)
    answer = await ask(services, "/outage target:KZ")
    assert isinstance(answer, Answer)
    assert answer.data["verdict"] == "unknown"
    missing = next(s for s in answer.sections if s.title == "Missing")
    assert "SILKROUTE_OFFLINE=1" in missing.text and "never counts as down" in missing.text
    assert world.requests == {}


async def test_help_documents_the_thresholds(world: OutageWorld) -> None:
    services = world_services(world, offline=True)
    answer = await ask(services, "/help command:outage")
    assert isinstance(answer, Answer)
    text = render_text(answer)
    for name in (
        "SILKROUTE_OUTAGE_DOWN_RATIO",
        "SILKROUTE_OUTAGE_DOWN_MINUTES",
        "SILKROUTE_OUTAGE_BASELINE_DAYS",
    ):
        assert name in text


@pytest.fixture
async def simcord_bot(world: OutageWorld) -> AsyncIterator[SilkrouteBot]:
    world.now = BLACKOUT + timedelta(hours=2)
    services = world_services(world)
    bot = SilkrouteBot(make_settings(), services, build_registry(), extensions=("cogs.meta", "cogs.outage"))
    yield bot
    await services.close()


async def test_simcord_outage_embed_and_chart_within_limits(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")
    alice = simcord_env.guild.add_member(simcord_env.create_user("alice"))
    result = await alice.slash(channel, "outage", target="KZ")
    messages = [m for m in [result.response, *result.followups] if m is not None]
    embeds = [e for m in messages for e in m.embeds]
    assert embeds and embeds[0].colour == discord.Colour.red()
    assert "outage" in (embeds[0].description or "")
    for message in messages:
        assert len(message.embeds) <= 10
        assert (
            sum(len(e.description or "") + sum(len(f.value or "") for f in e.fields) for e in message.embeds)
            <= 6000
        )
    attachments = [a for m in messages for a in m.attachments]
    chart = next(a for a in attachments if a.filename == "outage.png")
    assert (await chart.read()).startswith(PNG)
