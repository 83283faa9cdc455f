"""Alerts over the wire: the real bot and alert system against the local fake Discord, with a rate-limit outage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.model import WatchKind
from bot.alerts.service import AlertService
from bot.core.settings import DiscordSettings
from bot.frontends.discord.client import SilkrouteBot
from bot.live.rislive import RisMessage
from tests.bot.alerts.support import ManualClock, settings_for
from tests.bot.frontends.discord.fake_discord import FakeDiscord, RecordedRequest, connected
from tests.bot.frontends.discord.support import FAKE_TOKEN, make_bot

ONCALL_ROLE = 1_400_000_000_000_000_001
PREFIX = "194.187.246.0/24"


def announce(origin: int, peer: int = 1) -> RisMessage:
    return RisMessage.from_json(
        {
            "timestamp": 0,
            "peer": f"192.0.2.{peer}",
            "peer_asn": 64600 + peer,
            "host": "rrc00",
            "type": "UPDATE",
            "path": [64600 + peer, 3216, origin],
            "announcements": [{"next_hop": f"192.0.2.{peer}", "prefixes": [PREFIX]}],
        }
    )


def alert_bot(fake: FakeDiscord, tmp: Path, clock: ManualClock) -> tuple[SilkrouteBot, AlertService]:
    settings = settings_for(tmp)
    settings.discord = DiscordSettings(
        discord_token=FAKE_TOKEN,
        discord_guild_id=fake.guild_id,
        alert_channel_id=fake.channel_ids[1],
        alert_oncall_role_id=ONCALL_ROLE,
    )
    system = AlertService(settings, clock=clock, batch_window=0, tick_seconds=3600)
    # max_ratelimit_timeout: a long 429 raises instead of sleeping, as an outage would look to the sender.
    bot = make_bot(
        settings,
        extensions=("cogs.alerts",),
        alerts=system,
        guild_ready_timeout=0.1,
        max_ratelimit_timeout=30,
    )
    return bot, system


async def posts(fake: FakeDiscord, channel: int, count: int) -> list[RecordedRequest]:
    """Wait for the alert pump (every 2 s) to have posted `count` accepted messages."""
    return list(
        await fake.until(lambda: len(got := fake.channel_posts(channel)) >= count and got, seconds=10)
    )


async def hijack(system: AlertService, origin: int) -> list[int]:
    """Announce the watched prefix from `origin`, each origin by its own peer (a peer switching origin
    would end its earlier hijack); the ids of the alerts that opened."""
    return [a.id for a in await system.handle(announce(origin, peer=origin % 200 + 1))]


def refused(fake: FakeDiscord, route: str) -> list[RecordedRequest]:
    return [r for r in fake.requests_to("POST", route) if r.status == 429]


def alert_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors of the alert system, e.g. a pump round cut off by the bot closing the state file under it."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("bot.alerts") and r.levelno >= 40]


async def test_an_alert_reaches_the_channel_with_buttons_and_only_the_oncall_mention(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot, system = alert_bot(fake_discord, tmp_path, ManualClock())
    channel = fake_discord.channel_ids[1]
    async with connected(bot, FAKE_TOKEN):
        await system.add_watch(fake_discord.guild_id, WatchKind.PREFIX, PREFIX, "", "test")
        await hijack(system, 35673)  # learned as the normal origin
        (record,) = await hijack(system, 64511)
        (post,) = await posts(fake_discord, channel, 1)
        await system.pump()  # the loop's round that posted it has finished
        assert await system.repository.pending_count() == 0

    body: dict[str, Any] = post.json
    assert body["content"] == f"<@&{ONCALL_ROLE}>"
    assert body["allowed_mentions"] == {"parse": [], "roles": [ONCALL_ROLE]}
    (embed,) = body["embeds"][:1]
    assert embed["title"] == f"OPEN: Possible hijack: {PREFIX} originated by AS64511"
    (row,) = body["components"]
    assert [(c["label"], c["custom_id"]) for c in row["components"]] == [
        ("Ack", f"silkroute:ack:{record}"),
        ("Mute 24 h", f"silkroute:mute:{record}"),
    ]
    assert alert_errors(caplog) == []


async def test_a_rate_limit_outage_delays_the_alert_and_it_is_delivered_once(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    bot, system = alert_bot(fake_discord, tmp_path, clock)
    channel = fake_discord.channel_ids[1]
    route = rf"/channels/{channel}/messages"
    async with connected(bot, FAKE_TOKEN):
        await system.add_watch(fake_discord.guild_id, WatchKind.PREFIX, PREFIX, "", "test")
        await hijack(system, 35673)

        fake_discord.rate_limit_next("POST", route, retry_after=0.05)  # short: discord.py waits and retries
        await hijack(system, 64511)
        (first,) = await posts(fake_discord, channel, 1)

        fake_discord.rate_limit_next("POST", route, retry_after=120)  # long: Discord is effectively down
        await hijack(system, 64512)
        await fake_discord.until(lambda: len(refused(fake_discord, route)) == 2, seconds=10)
        await system.pump()  # waits for the loop's round that met the 429 to record the failure
        assert system.sender is not None and system.sender.failures == 1
        assert await system.repository.pending_count() == 1
        clock.advance(10)  # past the sender's first back-off (5 s)
        second = (await posts(fake_discord, channel, 2))[1]
        await system.pump()
        await system.pump()
        assert await system.repository.pending_count() == 0
        sent = [event for _, event, _ in await system.repository.sent_messages()]

    titles = [r.json["embeds"][0]["title"] for r in fake_discord.channel_posts(channel)]
    assert titles == [
        f"OPEN: Possible hijack: {PREFIX} originated by AS64511",
        f"OPEN: Possible hijack: {PREFIX} originated by AS64512",
    ]
    assert [first.json["embeds"][0]["title"], second.json["embeds"][0]["title"]] == titles
    assert len(refused(fake_discord, route)) == 2
    assert system.sender.failures == 1
    assert sent == ["opened", "opened"]
    assert alert_errors(caplog) == []


async def test_a_storm_goes_out_as_messages_that_each_stand_alone(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot, system = alert_bot(fake_discord, tmp_path, ManualClock())
    channel = fake_discord.channel_ids[1]
    async with connected(bot, FAKE_TOKEN):
        await system.add_watch(fake_discord.guild_id, WatchKind.PREFIX, PREFIX, "", "test")
        await hijack(system, 35673)
        opened = [alert_id for origin in range(1000, 1050) for alert_id in await hijack(system, origin)]
        assert len(opened) == 50
        await system.pump()
        sent = fake_discord.channel_posts(channel)

    assert sent and all(post.status == 200 for post in sent)  # the fake refuses what Discord refuses
    shown: list[int] = []
    for post in sent:
        body: dict[str, Any] = post.json
        assert body["content"] == f"<@&{ONCALL_ROLE}>"  # every message pings, not only the first
        title = body["embeds"][0]["title"]
        assert "alerts for" in title or "Possible hijack" in title
        (row,) = body["components"]  # every message has its own buttons
        ack, mute = (c["custom_id"] for c in row["components"])
        ids = [int(i) for i in ack.removeprefix("silkroute:ack:").split(",")]
        assert mute == f"silkroute:mute:{','.join(map(str, ids))}"
        text = json.dumps(body["embeds"])
        for alert_id in ids:  # the buttons act on exactly the alerts this message shows
            assert f"Alert #{alert_id} " in text
        shown += ids
    assert sorted(shown) == sorted(opened)
    assert alert_errors(caplog) == []
