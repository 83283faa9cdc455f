"""/watch and /alerts in a simulated Discord (SimCord): permissions, bad input, delivery with buttons and mentions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
import simcord

from bot.alerts.model import AlertKind, AlertSeverity, Finding
from bot.alerts.service import AlertService
from bot.frontends.discord.alert_channel import PUMP_SECONDS
from bot.frontends.discord.client import SilkrouteBot
from tests.bot.alerts.support import settings_for
from tests.bot.frontends.discord.support import make_bot


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[AlertService]:
    """SimCord does not close the bot, so the test closes the alert system (and its SQLite thread) itself."""
    alerts = AlertService(settings_for(tmp_path), batch_window=0, tick_seconds=3600)
    try:
        yield alerts
    finally:
        await alerts.close()


@pytest.fixture
def simcord_bot(system: AlertService) -> SilkrouteBot:
    return make_bot(system.settings, extensions=("cogs.watch", "cogs.alerts"), alerts=system)


def reply(result: simcord.InteractionResult) -> simcord.ResponseMessage:
    messages = [m for m in [result.response, *result.followups] if m is not None]
    assert len(messages) == 1, messages
    return messages[0]


def text_of(message: simcord.ResponseMessage | discord.Message) -> str:
    return message.content + "".join((e.title or "") + (e.description or "") for e in message.embeds)


async def channel_messages(
    env: simcord.Env, channel: simcord.ChannelHandle, count: int
) -> list[discord.Message]:
    """Let the alert pump (a `tasks.loop`, on SimCord's virtual clock) run until `count` messages are there."""
    for _ in range(5):
        if len(channel.history()) >= count:
            break
        await env.advance_time(PUMP_SECONDS)
    return channel.history()


async def test_watch_and_alerts_permissions_input_and_delivery(
    simcord_env: simcord.Env, simcord_bot: SilkrouteBot, system: AlertService
) -> None:
    guild = simcord_env.create_guild()
    ops = guild.create_text_channel("ops")
    noc = guild.create_text_channel("noc")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    oncall = guild.create_role("On call")
    simcord_bot.settings.discord.alert_oncall_role_id = oncall.id
    alice = guild.add_member(simcord_env.create_user("alice"), roles=[managers])
    bob = guild.add_member(simcord_env.create_user("bob"))

    refused = reply(await bob.slash(ops, "watch add", target="AS35673"))
    assert refused.ephemeral and "needs the Manage Server permission" in refused.content
    assert "Watching AS35673" in text_of(
        reply(await alice.slash(ops, "watch add", target="AS35673", note="Kaspi"))
    )
    duplicate = reply(await alice.slash(ops, "watch add", target="as35673"))
    assert duplicate.ephemeral and "AS35673 is already watched here" in duplicate.content
    unwatchable = reply(await alice.slash(ops, "watch add", target="192.168.0.0/16"))
    assert "private address space" in unwatchable.content
    listing = reply(await bob.slash(ops, "watch list"))  # reading is for everyone
    assert "1 watch on this server" in text_of(listing)

    unknown = reply(await alice.slash(ops, "alerts channel", channel="#nowhere"))
    assert unknown.ephemeral and "Unknown channel '#nowhere'" in unknown.content
    assert "Alert channel set" in text_of(
        reply(await alice.slash(ops, "alerts channel", channel=f"<#{noc.id}>"))
    )
    assert "needs the Manage Server" in reply(await bob.slash(ops, "alerts test")).content
    reply(await alice.slash(ops, "alerts test"))
    (test_message,) = await channel_messages(simcord_env, noc, 1)
    assert test_message.embeds[0].title == "TEST: Test alert"
    assert test_message.content == ""  # a test pings nobody

    await system.engine.apply(
        Finding(
            AlertKind.VISIBILITY,
            "AS35673",
            "194.187.246.0/24",
            True,
            "Visibility loss: 194.187.246.0/24",
            "12 peers lost it",
            AlertSeverity.CRITICAL,
            {"lost_peers": ["rrc00/192.0.2.1"]},
        ),
        [guild.id],
    )
    alert_message = (await channel_messages(simcord_env, noc, 2))[-1]
    assert alert_message.content == f"<@&{oncall.id}>"
    assert alert_message.embeds[0].title == "OPEN: Visibility loss: 194.187.246.0/24"
    request = [r for r in simcord_env.http_requests if r.path.endswith(f"/channels/{noc.id}/messages")][-1]
    assert request.json is not None
    assert request.json["allowed_mentions"] == {"parse": [], "roles": [oncall.id]}  # nobody else
    labels = [c.label for row in alert_message.components for c in row.children]  # type: ignore[union-attr]
    assert labels == ["Ack", "Mute 24 h"]

    muted = reply(await bob.click(alert_message, label="Mute 24 h"))
    assert muted.ephemeral and "needs the Manage Server" in muted.content
    clicked = await bob.click(alert_message, label="Ack")
    (acked,) = clicked.followups  # the click is deferred first: an Ack may touch hundreds of alerts
    assert "Alert #2 acknowledged by bob (1 open alert in all)" in acked.content
    (alert,) = await system.open_alerts(guild.id)
    assert alert.acked_by == "bob"
    assert len(simcord_env.errors) == 5  # the five refusals above, each answered to the user


async def test_unloading_the_extension_stops_the_alert_pump(
    simcord_env: simcord.Env, simcord_bot: SilkrouteBot, system: AlertService
) -> None:
    cog = simcord_bot.get_cog("SpecCog:alerts")
    pump = getattr(cog, "pump", None)
    assert pump is not None and pump.is_running()
    await simcord_bot.unload_extension("cogs.alerts")
    await simcord_env.advance_time(PUMP_SECONDS)
    assert not pump.is_running()
