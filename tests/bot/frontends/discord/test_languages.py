"""Languages over the wire: Russian command names for Russian Discord clients, answers in the asker's language
(Russian locale, else the server's `/settings language:`), and alerts in the server's language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.model import WatchKind
from bot.alerts.service import AlertService
from bot.app.catalog import build_registry
from bot.core.settings import DiscordSettings
from bot.frontends.discord.client import SilkrouteBot
from bot.routing.snapshot import Snapshot
from tests.bot.alerts.support import ManualClock, settings_for
from tests.bot.frontends.discord.fake_discord import FakeDiscord, Interaction, connected
from tests.bot.frontends.discord.support import FAKE_TOKEN
from tests.bot.frontends.discord.test_alerts import PREFIX, hijack, posts
from tests.helpers import make_services

OWNER = 1  # the fake guild's owner: may manage
RUSSIAN = "ru"
EXTENSIONS = ("cogs.transit", "cogs.settings", "cogs.alerts", "cogs.meta")


def language_bot(fake: FakeDiscord, tmp: Path, snapshot: Snapshot) -> tuple[SilkrouteBot, AlertService]:
    settings = settings_for(tmp)
    settings.discord = DiscordSettings(
        discord_token=FAKE_TOKEN, discord_guild_id=fake.guild_id, alert_channel_id=fake.channel_ids[1]
    )
    system = AlertService(settings, clock=ManualClock(), batch_window=0, tick_seconds=3600)
    services = make_services(settings, snapshot=snapshot, alerts=system)
    bot = SilkrouteBot(settings, services, build_registry(), extensions=EXTENSIONS, guild_ready_timeout=0.1)
    return bot, system


async def answer_of(fake: FakeDiscord, interaction: Interaction) -> dict[str, Any]:
    """The first embed of the interaction's answer (the edit of the deferred response)."""
    await fake.until(
        lambda: any(r.method == "PATCH" and "/webhooks/" in r.path for r in fake.replies(interaction)),
        seconds=30,
    )
    edits = [r for r in fake.replies(interaction) if r.method == "PATCH" and "/webhooks/" in r.path]
    embed: dict[str, Any] = edits[-1].json["embeds"][0]
    return embed


def field_names(embed: dict[str, Any]) -> list[str]:
    return [f["name"] for f in embed.get("fields", [])]


async def test_russian_clients_see_russian_commands_and_a_kazakh_server_keeps_kazakh_alerts(
    fake_discord: FakeDiscord, tmp_path: Path, real_snapshot: Snapshot
) -> None:
    bot, system = language_bot(fake_discord, tmp_path, real_snapshot)
    async with connected(bot, FAKE_TOKEN):
        bot.services.snapshots.current = real_snapshot  # starting reloads the (empty) data dir
        setting = await fake_discord.inject_interaction("settings", {"language": "kk"}, user_id=OWNER)
        set_answer = await answer_of(fake_discord, setting)
        russian = await fake_discord.inject_interaction("transit", {"target": "KZ"}, locale=RUSSIAN)
        ru_answer = await answer_of(fake_discord, russian)
        other = await fake_discord.inject_interaction("transit", {"target": "KZ"}, locale="en-GB")
        kk_answer = await answer_of(fake_discord, other)

        await system.add_watch(fake_discord.guild_id, WatchKind.PREFIX, PREFIX, "", "test")
        await hijack(system, 35673)  # learned as the normal origin
        (record,) = await hijack(system, 64511)
        (post,) = await posts(fake_discord, fake_discord.channel_ids[1], 1)
        await system.pump()

    (sync,) = fake_discord.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands")
    synced = {c["name"]: c for c in sync.json}
    assert synced["transit"]["name_localizations"] == {"ru": "транзит"}
    assert synced["transit"]["description_localizations"]["ru"].startswith("Через какие страны и сети")
    target = synced["transit"]["options"][0]
    assert (target["name"], target["name_localizations"]) == ("target", {"ru": "цель"})
    assert synced["settings"]["name_localizations"] == {"ru": "настройки"}
    alerts = synced["alerts"]
    assert alerts["name_localizations"] == {"ru": "оповещения"}
    assert {o["name_localizations"]["ru"] for o in alerts["options"]} == {
        "канал",
        "история",
        "заглушить",
        "тест",
    }

    assert set_answer["title"] == "Server language set"  # asked before the server had a language: English
    assert ru_answer["title"] == "Транзит: Казахстан (KZ, IPv4)"
    assert "Страны выхода" in field_names(ru_answer) and "Использованные данные" in field_names(ru_answer)
    assert kk_answer["title"] == "Транзит: Қазақстан (KZ, IPv4)"
    assert "Шығу елдері" in field_names(kk_answer)
    ases = [set(re.findall(r"AS\d+", str(answer["fields"]))) for answer in (ru_answer, kk_answer)]
    assert ases[0] and ases[0] == ases[1]  # the data (AS numbers, names) is the same in every language

    body: dict[str, Any] = post.json
    assert body["embeds"][0]["title"] == f"АШЫҚ: Ықтимал ұрлау: {PREFIX} AS64511 атынан жариялануда"
    assert [(c["label"], c["custom_id"]) for c in body["components"][0]["components"]] == [
        ("Қабылданды", f"silkroute:ack:{record}"),
        ("24 сағатқа үнсіз", f"silkroute:mute:{record}"),
    ]


@pytest.mark.parametrize(
    ("locale", "expected"), [("ru", "Для `/settings` нужно право"), ("en-US", "`/settings` needs")]
)
async def test_only_managers_set_the_server_language_and_the_refusal_is_in_the_askers_language(
    fake_discord: FakeDiscord, tmp_path: Path, real_snapshot: Snapshot, locale: str, expected: str
) -> None:
    bot, _ = language_bot(fake_discord, tmp_path, real_snapshot)
    async with connected(bot, FAKE_TOKEN):
        asked = await fake_discord.inject_interaction("settings", {"language": "ru"}, locale=locale)
        await fake_discord.until(lambda: fake_discord.replies(asked), seconds=10)
        assert await bot.services.languages.get(fake_discord.guild_id) is None
    (reply,) = fake_discord.replies(asked)
    assert reply.json["type"] == 4 and reply.json["data"]["content"].startswith(expected)
