"""The real bot over real sockets against a local fake Discord: login, sync, interactions, alerts, 429s."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import pytest_asyncio

from bot import __version__
from bot.app.catalog import build_registry
from bot.app.commands import CommandSpec
from bot.frontends.discord.client import SilkrouteBot, extension_names, run_discord
from tests.bot.frontends.discord.fake_discord import FakeDiscord, Interaction, RecordedRequest, connected
from tests.bot.frontends.discord.support import (
    FAKE_TOKEN,
    LATE_CLOCK,
    LONG_TABLE_ROWS,
    extra_specs,
    make_bot,
    make_settings,
    recording_services,
)
from tests.bot.reach.servers import closed_port

EPHEMERAL = 64


def wire_bot(
    fake: FakeDiscord,
    *,
    clock: Any = None,
    extensions: tuple[str, ...] | None = None,
    **discord_settings: Any,
) -> SilkrouteBot:
    discord_settings.setdefault("discord_guild_id", fake.guild_id)
    settings = make_settings(discord_token=FAKE_TOKEN, **discord_settings)
    timing: dict[str, Any] = {"clock": clock} if clock is not None else {}
    if extensions is not None:
        timing["extensions"] = extensions
    return make_bot(settings, guild_ready_timeout=0.1, **timing)


def answered(fake: FakeDiscord, interaction: Interaction) -> list[RecordedRequest]:
    """The webhook requests that carry the answer (follow-ups or edits of @original), once they exist."""
    return [r for r in fake.replies(interaction) if r.method in {"POST", "PATCH"} and "/webhooks/" in r.path]


def embeds_of(requests: list[RecordedRequest]) -> list[dict[str, Any]]:
    return [e for r in requests for e in (r.json or {}).get("embeds", [])]


async def test_login_ready_and_guild_command_sync(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)

    async with connected(bot, FAKE_TOKEN):
        assert bot.user is not None and bot.user.id == int(fake_discord.bot_user["id"])
        assert bot.get_guild(fake_discord.guild_id) is not None

    paths = [(r.method, r.path) for r in fake_discord.requests]
    assert paths[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    (identify,) = fake_discord.frames(2)
    assert not identify["d"]["intents"] & discord.Intents(message_content=True).value
    (sync,) = fake_discord.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands")
    assert sync.path == f"/applications/{fake_discord.application_id}/guilds/{fake_discord.guild_id}/commands"
    assert not fake_discord.requests_to("PUT", r"/applications/\d+/commands")  # no slow global sync
    synced = {c["name"]: c for c in sync.json}
    assert set(synced) == {"status", "help"} | {spec.name for spec in extra_specs()}
    assert synced["echo"]["options"] == [
        {
            "type": 3,
            "name": "text",
            "description": "What to say",
            "required": True,
            "min_length": 1,
            "max_length": 100,
        },
        {
            "type": 4,
            "name": "count",
            "description": "How often",
            "required": False,
            "min_value": 1,
            "max_value": 5,
        },
        {"type": 5, "name": "loud", "description": "Shout", "required": False},
    ]
    assert synced["help"]["options"][0] == {
        "type": 3,
        "name": "command",
        "description": "Explain one command",
        "name_localizations": {"ru": "команда"},
        "description_localizations": {"ru": "Объяснить одну команду"},
        "required": False,
        "min_length": 1,
        "max_length": 40,
    }
    assert all(len(c["description"]) <= 100 for c in sync.json)


async def test_commands_sync_globally_without_a_guild_id(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord, discord_guild_id=None)

    async with connected(bot, FAKE_TOKEN):
        pass

    (sync,) = fake_discord.requests_to("PUT", r"/applications/\d+/commands")
    assert {c["name"] for c in sync.json} >= {"status", "help"}
    assert not fake_discord.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands")


async def test_a_slash_command_is_deferred_then_answered(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)
    async with connected(bot, FAKE_TOKEN):
        interaction = await fake_discord.inject_interaction("echo", {"text": "hi", "count": 2, "loud": True})
        answer = await fake_discord.until(lambda: answered(fake_discord, interaction))

    callback, *_ = fake_discord.replies(interaction)
    assert callback.path == interaction.callback_path and callback.json == {"type": 5}
    assert callback.query == {"with_response": "1"}
    (embed,) = embeds_of(answer)
    assert embed["title"] == "Echo" and embed["description"] == "HI HI"
    assert answer[0].json["allowed_mentions"] == {"parse": []}


async def test_a_long_answer_goes_out_as_several_messages_with_its_file(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)
    async with connected(bot, FAKE_TOKEN):
        interaction = await fake_discord.inject_interaction("long")
        await fake_discord.until(lambda: [r for r in answered(fake_discord, interaction) if r.files])

    first, *followups = answered(fake_discord, interaction)
    assert first.method == "PATCH" and first.path.endswith("/messages/@original")
    assert followups and all(r.method == "POST" for r in followups)
    own, table = followups[-1].files
    assert own == ("peers.csv", b"asn,name\nAS64500,peer-000\n")
    assert table[0] == "table-peers.csv" and table[1].count(b"\n") == LONG_TABLE_ROWS + 1
    assert [a["filename"] for a in followups[-1].json["attachments"]] == ["peers.csv", "table-peers.csv"]


async def test_status_over_the_wire_names_the_version(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)
    async with connected(bot, FAKE_TOKEN):
        interaction = await fake_discord.inject_interaction("status")
        answer = await fake_discord.until(lambda: answered(fake_discord, interaction))

    (embed,) = embeds_of(answer)
    assert embed["title"] == "silkroute status"
    assert embed["description"].startswith(f"silkroute {__version__}, up ")


async def test_an_error_after_the_defer_reaches_the_user_privately(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)
    async with connected(bot, FAKE_TOKEN):
        interaction = await fake_discord.inject_interaction("bad")
        await fake_discord.until(lambda: fake_discord.requests_to("DELETE", r"/webhooks/.*/@original"))

    steps = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake_discord.replies(interaction)]
    assert steps == [
        ("POST", "callback"),  # public "thinking…"
        ("PATCH", "@original"),  # settled, so the next follow-up is a message of its own
        ("POST", interaction.token),  # the error, ephemeral
        ("DELETE", "@original"),  # the public placeholder goes away
    ]
    followup = fake_discord.replies(interaction)[2].json
    assert followup["flags"] & EPHEMERAL
    assert followup["content"] == "`AS-1` is not an AS number. Example: /bad asn:AS9198"


async def test_an_unknown_command_is_answered_before_any_defer(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)
    async with connected(bot, FAKE_TOKEN):
        interaction = await fake_discord.inject_interaction("retired")
        await fake_discord.until(lambda: fake_discord.replies(interaction))

    (callback,) = fake_discord.replies(interaction)
    assert callback.json["type"] == 4
    assert callback.json["data"]["flags"] & EPHEMERAL
    assert "/help" in callback.json["data"]["content"]


async def test_a_429_on_the_interaction_answer_is_retried(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)
    async with connected(bot, FAKE_TOKEN):
        fake_discord.rate_limit_next("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", retry_after=0.05)
        interaction = await fake_discord.inject_interaction("echo", {"text": "hi"})
        await fake_discord.until(lambda: [r for r in answered(fake_discord, interaction) if r.status == 200])

    attempts = [r.status for r in answered(fake_discord, interaction)]
    assert attempts == [429, 200]


async def test_the_bot_resumes_after_the_gateway_drops(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)
    async with connected(bot, FAKE_TOKEN):
        await fake_discord.drop_gateway()
        async with asyncio.timeout(5):
            await resumed.wait()
        interaction = await fake_discord.inject_interaction("echo", {"text": "still here"})
        answer = await fake_discord.until(lambda: answered(fake_discord, interaction))

    assert fake_discord.connections == 2
    (resume,) = fake_discord.frames(6)
    assert resume["d"]["session_id"] == "fake-session-1" and resume["d"]["seq"] >= 2
    assert len(fake_discord.frames(2)) == 1  # resumed, not identified again
    assert embeds_of(answer)[0]["description"] == "still here"


async def test_the_token_never_leaves_the_authorization_header(
    fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = wire_bot(fake_discord, alert_channel_id=fake_discord.channel_ids[1])
    async with connected(bot, FAKE_TOKEN):
        for name in ("boom", "status", "help"):
            interaction = await fake_discord.inject_interaction(name)
            await fake_discord.until(functools.partial(answered, fake_discord, interaction))
        await bot.get_partial_messageable(fake_discord.channel_ids[1]).send("alert")
        await fake_discord.drop_gateway()
        await fake_discord.until(lambda: fake_discord.frames(6))

    assert fake_discord.requests[0].headers["Authorization"] == f"Bot {FAKE_TOKEN}"  # the search can find it
    assert all(FAKE_TOKEN.encode() not in r.raw for r in fake_discord.requests)
    assert all(FAKE_TOKEN not in r.path and FAKE_TOKEN not in str(r.query) for r in fake_discord.requests)
    frames_without_auth = [f for f in fake_discord.gateway_frames if f["op"] not in (2, 6)]
    assert FAKE_TOKEN not in str(frames_without_auth)
    assert caplog.records
    for record in caplog.records:
        assert FAKE_TOKEN not in record.getMessage()
        assert FAKE_TOKEN not in (caplog.handler.format(record) if record.exc_info else "")


@pytest_asyncio.fixture
async def restore_signal_handlers() -> AsyncIterator[None]:
    """`run_discord` installs SIGINT/SIGTERM handlers on the test's loop; leave none behind."""
    yield
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)


async def test_sigterm_closes_the_bot_and_its_services_once(
    fake_discord: FakeDiscord, restore_signal_handlers: None
) -> None:
    settings = make_settings(discord_token=FAKE_TOKEN, discord_guild_id=fake_discord.guild_id)
    services = recording_services(settings)
    run = asyncio.create_task(run_discord(settings, services))
    await fake_discord.until(
        lambda: fake_discord.frames(2) and fake_discord.requests_to("PUT", r".*/commands")
    )

    os.kill(os.getpid(), signal.SIGTERM)
    os.kill(os.getpid(), signal.SIGTERM)  # an impatient operator: still one clean close
    async with asyncio.timeout(5):
        code = await run

    assert code == 0
    assert (services.started, services.closed) == (1, 1)
    await fake_discord.until(lambda: not fake_discord._sockets)


async def test_a_refused_token_is_reported_without_a_traceback(
    fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture, restore_signal_handlers: None
) -> None:
    settings = make_settings(discord_token="not-the-token", discord_guild_id=fake_discord.guild_id)

    async with asyncio.timeout(5):
        code = await run_discord(settings)

    assert code == 2
    assert "Discord refused the token in DISCORD_TOKEN" in caplog.text
    assert "not-the-token" not in caplog.text


async def test_unreachable_discord_is_one_line_per_attempt_then_retried_with_backoff(
    fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture, restore_signal_handlers: None
) -> None:
    """Discord on a closed local port twice, then back: waits double, each failure is one log line, and
    the bot logs in once Discord answers again."""
    settings = make_settings(discord_token=FAKE_TOKEN, discord_guild_id=fake_discord.guild_id)
    services = recording_services(settings)
    waits: list[float] = []
    discord.http.Route.BASE = f"http://127.0.0.1:{closed_port()}/api/v10"

    async def injected_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            discord.http.Route.BASE = fake_discord.api_base  # the network is back

    run = asyncio.create_task(run_discord(settings, services, sleep=injected_sleep, jitter=lambda: 1.0))
    await fake_discord.until(lambda: fake_discord.frames(2))
    os.kill(os.getpid(), signal.SIGTERM)
    async with asyncio.timeout(5):
        assert await run == 0

    assert waits == [5.0, 10.0]
    failures = [r for r in caplog.records if "Discord cannot be reached" in r.getMessage()]
    assert len(failures) == 2
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in failures)
    assert "Traceback" not in caplog.text
    assert (services.started, services.closed) == (1, 1)


async def test_sigterm_while_waiting_to_retry_exits_at_once(restore_signal_handlers: None) -> None:
    settings = make_settings(discord_token=FAKE_TOKEN)
    base = discord.http.Route.BASE
    discord.http.Route.BASE = f"http://127.0.0.1:{closed_port()}/api/v10"
    try:
        run = asyncio.create_task(run_discord(settings, recording_services(settings)))
        await asyncio.sleep(0.5)  # the first attempt fails at once; the 5 s wait begins
        os.kill(os.getpid(), signal.SIGTERM)
        async with asyncio.timeout(3):
            assert await run == 0
    finally:
        discord.http.Route.BASE = base


@pytest.mark.parametrize("name", ["late", "latepriv"])
async def test_an_answer_that_outlives_its_token_arrives_as_a_message_naming_the_asker(
    fake_discord: FakeDiscord, name: str
) -> None:
    LATE_CLOCK.now = 0.0
    fake_discord.clock = LATE_CLOCK
    bot = wire_bot(fake_discord, clock=LATE_CLOCK)
    async with connected(bot, FAKE_TOKEN):
        interaction = await fake_discord.inject_interaction(name)
        posts = (
            (lambda: fake_discord.dm_posts(interaction.user_id))
            if name == "latepriv"
            else (lambda: fake_discord.channel_posts(interaction.channel_id))
        )
        await fake_discord.until(posts)

    (post,) = posts()
    assert post.status == 200
    assert post.json["content"].startswith(f"<@{interaction.user_id}>, here is the answer to your `/{name}`")
    assert post.json["embeds"][0]["title"] == "Late answer"
    assert post.json["allowed_mentions"]["users"] == [interaction.user_id]
    assert not [
        r for r in fake_discord.replies(interaction) if r.status == 401
    ]  # the dead token was never used


async def test_a_refused_token_still_gets_the_answer_through(fake_discord: FakeDiscord) -> None:
    bot = wire_bot(fake_discord)  # our own deadline has not passed, but Discord refuses the token anyway
    async with connected(bot, FAKE_TOKEN):
        interaction = await fake_discord.inject_interaction(
            "echo", {"text": "hi"}, token_dies_after_defer=True
        )
        await fake_discord.until(lambda: fake_discord.channel_posts(interaction.channel_id))

    assert [r.status for r in answered(fake_discord, interaction)] == [401]
    (post,) = fake_discord.channel_posts(interaction.channel_id)
    assert post.json["embeds"][0]["description"] == "hi"


def longest_options(spec: CommandSpec) -> dict[str, str | int | bool]:
    """Every option at the longest value Discord lets a user type (the worst case for an error reply)."""
    values: dict[str, str | int | bool] = {}
    for option in spec.options:
        if option.choices:
            values[option.name] = option.choices[0]
        elif option.type is bool:
            values[option.name] = True
        elif option.type is int:
            values[option.name] = option.max_value if option.max_value is not None else 2**53
        else:
            values[option.name] = "x" * (option.length_limit or 6000)
    return values


def settled(fake: FakeDiscord, interaction: Interaction) -> bool:
    """The user has the final word: an immediate reply, an answer, or an error after the placeholder is gone."""
    replies = fake.replies(interaction)
    if any((r.json or {}).get("type") == 4 for r in replies):
        return True
    webhook = [r for r in replies if "/webhooks/" in r.path]
    if any((r.json or {}).get("content") == "This command could not be answered." for r in webhook):
        return any(r.method == "DELETE" for r in webhook)
    return any(r.method in {"POST", "PATCH"} for r in webhook)


async def test_every_command_answers_its_longest_input_within_discord_limits(
    fake_discord: FakeDiscord,
) -> None:
    bot = wire_bot(fake_discord, extensions=tuple(extension_names()))
    specs = list(build_registry())
    async with connected(bot, FAKE_TOKEN):
        asked = [
            (
                spec.name,
                await fake_discord.inject_interaction(
                    spec.name,
                    longest_options(spec),
                    user_id=1,  # the server's owner: may use every command
                ),
            )
            for spec in specs
        ]
        await fake_discord.until(lambda: all(settled(fake_discord, i) for _, i in asked), seconds=30)

    for name, interaction in asked:
        replies = fake_discord.replies(interaction)
        refused = [
            (r.method, r.status, (r.json or {}).get("content", "")[:80]) for r in replies if r.status >= 400
        ]
        assert not refused, (name, refused)
        print(
            name,
            [
                (
                    r.method,
                    r.status,
                    str((r.json or {}).get("content") or (r.json or {}).get("data", {}).get("content") or "")[
                        :100
                    ],
                )
                for r in replies
            ],
        )
        said = [r for r in replies if r.method in {"POST", "PATCH"}]
        assert said, name
