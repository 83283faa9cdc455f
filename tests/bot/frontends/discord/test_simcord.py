"""The bot's behaviour in a simulated Discord (SimCord): slash commands, errors, permissions, long answers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import simcord

from bot import __version__
from bot.core.settings import LimitSettings
from bot.frontends.discord.client import SilkrouteBot
from bot.frontends.discord.embeds import EMBEDS_PER_MESSAGE, FIELD_LIMIT, FIELDS_PER_EMBED, TITLE_LIMIT
from tests.bot.frontends.discord.support import (
    BROKEN_EXTENSION,
    EXTRA_EXTENSION,
    LONG_SECTIONS,
    LONG_TABLE_ROWS,
    extra_specs,
    make_bot,
    make_settings,
)

DISCORD_MESSAGE_EMBED_CHARS = 6000


@pytest.fixture
async def simcord_bot() -> AsyncIterator[SilkrouteBot]:
    """SimCord drives the bot but never closes it: the services it started (the state DB) close here."""
    bot = make_bot()
    yield bot
    await bot.services.close()


def member(env: simcord.Env, name: str, *roles: simcord.RoleHandle) -> simcord.MemberActor:
    return env.guild.add_member(env.create_user(name), roles=list(roles))


def only_message(result: simcord.InteractionResult) -> simcord.ResponseMessage:
    """The single message a user sees: the deferred response edited by the first follow-up."""
    messages = [m for m in [result.response, *result.followups] if m is not None]
    assert len(messages) == 1, messages
    return messages[0]


def callback_types(env: simcord.Env) -> list[int]:
    return [r.json["type"] for r in env.http_requests if r.path.endswith("/callback") and r.json]


def embed_chars(embed: discord.Embed) -> int:
    """What Discord counts toward the 6,000-character limit of one message's embeds."""
    total = len(embed.title or "") + len(embed.description or "")
    total += sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    return total + len(embed.footer.text or "") + len(embed.author.name or "")


async def test_status_answers_after_a_defer_with_version_and_uptime(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")
    alice = member(simcord_env, "alice")

    result = await alice.slash(channel, "status")

    assert callback_types(simcord_env) == [5]  # deferred before any work
    message = only_message(result)
    assert not message.ephemeral
    (embed,) = message.embeds
    assert embed.title == "silkroute status"
    assert f"silkroute {__version__}" in (embed.description or "")
    assert "offline" in (embed.description or "")
    assert embed.colour == discord.Colour.orange()  # no routing snapshot in this test: a warning
    assert "No routing snapshot loaded" in (embed.description or "")


async def test_help_lists_every_command_with_its_example(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")
    alice = member(simcord_env, "alice")

    result = await alice.slash(channel, "help")

    message = only_message(result)
    assert message.ephemeral
    text = "\n".join(f.value or "" for e in message.embeds for f in e.fields)
    for spec in [*extra_specs()]:
        assert f"/{spec.name}" in text
        assert spec.example in text
    assert "/status" in text and "/help command:status" in text


async def test_help_for_one_command_shows_its_options(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")

    result = await member(simcord_env, "alice").slash(channel, "help", command="echo")

    (embed,) = only_message(result).embeds
    assert embed.title == "/echo"
    assert "/echo text:hi" in (embed.description or "")
    options = embed.fields[0].value or ""
    assert "text" in options and "count" in options and "loud" in options


async def test_help_for_an_unknown_command_is_an_ephemeral_error(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")

    result = await member(simcord_env, "alice").slash(channel, "help", command="nope")

    message = only_message(result)
    assert message.ephemeral
    assert message.embeds == []
    assert "No command called `nope`" in message.content
    assert "Example: /help command:" in message.content
    assert len(simcord_env.errors) == 1  # the tree's error handler saw it (and answered)


async def test_options_reach_the_handler_with_their_types_and_defaults(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")
    alice = member(simcord_env, "alice")

    loud = await alice.slash(channel, "echo", text="hi", count=2, loud=True)
    plain = await alice.slash(channel, "echo", text="hi")

    assert only_message(loud).embeds[0].description == "HI HI"
    assert only_message(plain).embeds[0].description == "hi"


async def test_progress_is_replaced_by_the_final_answer(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")

    result = await member(simcord_env, "alice").slash(channel, "slow")

    (embed,) = only_message(result).embeds  # the partial answer does not linger as a second message
    assert embed.description == "both probes done"


async def test_a_crashing_command_answers_briefly_and_logs_the_traceback(
    simcord_env: simcord.Env, caplog: pytest.LogCaptureFixture
) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")

    with caplog.at_level(logging.INFO):
        result = await member(simcord_env, "alice").slash(channel, "boom")

    message = only_message(result)
    assert message.ephemeral
    assert "`/boom` failed unexpectedly" in message.content
    assert "kaboom" not in message.content  # internals stay in the log
    assert len(message.content) < 200
    tracebacks = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
    assert tracebacks and "kaboom" in str(tracebacks[0].exc_info[1])  # type: ignore[index]
    assert len(simcord_env.errors) == 1


async def test_bad_input_reaches_the_user_with_a_working_example(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")

    result = await member(simcord_env, "alice").slash(channel, "bad")

    message = only_message(result)
    assert message.ephemeral
    assert message.content == "`AS-1` is not an AS number. Example: /bad asn:AS9198"
    assert len(simcord_env.errors) == 1


async def test_admin_command_refuses_a_member_without_manage_server(simcord_env: simcord.Env) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")

    result = await member(simcord_env, "mallory").slash(channel, "admin")

    message = only_message(result)
    assert message.ephemeral
    assert "needs the Manage Server permission" in message.content
    assert not any(e.title == "Admin done" for e in message.embeds)
    assert len(simcord_env.errors) == 1


async def test_admin_command_accepts_manage_server(simcord_env: simcord.Env) -> None:
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("ops")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))

    result = await member(simcord_env, "mod", managers).slash(channel, "admin")

    (embed,) = only_message(result).embeds
    assert embed.title == "Admin done"
    assert simcord_env.errors == []


async def test_admin_command_accepts_the_configured_manager_role(simcord_env: simcord.Env) -> None:
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("ops")
    watchers = guild.create_role("Watch managers")  # no permissions of its own
    bot = simcord_env.bot
    assert isinstance(bot, SilkrouteBot)
    bot.settings.discord.watch_manager_role_id = watchers.id

    allowed = await member(simcord_env, "wendy", watchers).slash(channel, "admin")
    refused = await member(simcord_env, "other", guild.create_role("Other")).slash(channel, "admin")

    assert only_message(allowed).embeds[0].title == "Admin done"
    assert "needs the Manage Server permission" in only_message(refused).content
    assert len(simcord_env.errors) == 1


async def test_a_long_answer_is_split_within_discord_limits_and_keeps_its_attachment(
    simcord_env: simcord.Env,
) -> None:
    channel = simcord_env.create_guild().create_text_channel("ops")

    result = await member(simcord_env, "alice").slash(channel, "long")

    messages = [m for m in [result.response, *result.followups] if m is not None]
    assert len(messages) > 1
    fields: list[Any] = []
    for message in messages:
        assert 1 <= len(message.embeds) <= EMBEDS_PER_MESSAGE
        assert sum(embed_chars(e) for e in message.embeds) <= DISCORD_MESSAGE_EMBED_CHARS
        for embed in message.embeds:
            assert len(embed.fields) <= FIELDS_PER_EMBED
            assert all(
                len(f.value or "") <= FIELD_LIMIT and len(f.name or "") <= TITLE_LIMIT for f in embed.fields
            )
            fields.extend(embed.fields)
    names = [f.name for f in fields]
    assert [n for n in names if n and n.startswith("Section ")] == [
        f"Section {i}" for i in range(LONG_SECTIONS)
    ]
    peers = [f.value or "" for f in fields if f.name and f.name.startswith("Peers")]
    (shown,) = peers  # an embed shows the first rows in one closed code block, the text outside it
    assert shown.count("```") == 2
    assert "peer-000" in shown and "peer-014" in shown and "peer-015" not in shown
    assert shown.index("Every peer seen:") < shown.index("peer-000")
    files = {a.filename: a for a in messages[-1].attachments}
    assert await files["peers.csv"].read() == b"asn,name\nAS64500,peer-000\n"
    whole = (await files["table-peers.csv"].read()).decode().splitlines()
    assert len(whole) == LONG_TABLE_ROWS + 1 and whole[-1] == f"AS{64500 + LONG_TABLE_ROWS - 1},peer-149,up"


async def test_a_broken_extension_does_not_stop_the_others_and_shows_in_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot(extensions=("cogs.meta", BROKEN_EXTENSION, EXTRA_EXTENSION))
    try:
        async with simcord.run(bot) as env:
            channel = env.create_guild().create_text_channel("ops")
            alice = member(env, "alice")

            status = only_message(await alice.slash(channel, "status"))
            echo = only_message(await alice.slash(channel, "echo", text="still here"))
    finally:
        await bot.services.close()

    (embed,) = status.embeds
    assert embed.colour == discord.Colour.orange()
    failed = next(f for f in embed.fields if f.name == "Extensions that failed to load")
    assert BROKEN_EXTENSION in (failed.value or "")
    assert "broken on purpose" in (failed.value or "")
    assert echo.embeds[0].description == "still here"
    assert any(BROKEN_EXTENSION in r.getMessage() and r.exc_info for r in caplog.records)


async def test_a_member_over_a_quota_is_told_privately_before_any_work() -> None:
    settings = make_settings()
    settings.limits = LimitSettings(silkroute_limit_reach_user="2/10m")
    bot = make_bot(settings)
    try:
        async with simcord.run(bot) as env:
            channel = env.create_guild().create_text_channel("ops")
            alice = member(env, "alice")
            answers = [await alice.slash(channel, "probe") for _ in range(3)]
            fresh_member = await member(env, "bob").slash(channel, "probe")
            assert len(env.errors) == 1  # the refusal, answered by the one error handler
    finally:
        await bot.services.close()

    assert [only_message(a).embeds[0].title for a in answers[:2]] == ["Probed", "Probed"]
    refusal = only_message(answers[2])
    assert refusal.ephemeral
    assert "Slow down" in (refusal.content or "") and "Try again in 10 min" in (refusal.content or "")
    assert only_message(fresh_member).embeds[0].title == "Probed"
    assert "uses refused since start: 1" in bot.services.limits.status().text
