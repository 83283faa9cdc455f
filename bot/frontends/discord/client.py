"""The discord.py client: loads every cog safely, syncs commands, answers errors, shuts down cleanly."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import pkgutil
import random
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.app.answer import CommandError
from bot.app.catalog import build_registry
from bot.app.commands import Registry
from bot.app.wiring import Services, build_services
from bot.core.settings import Settings
from bot.frontends.discord.localization import CatalogueTranslator, interaction_translator
from bot.frontends.discord.slash_commands import NO_MENTIONS, reply_error
from bot.net.backoff import Backoff

log = logging.getLogger(__name__)


def extension_names(package: str = "cogs") -> list[str]:
    """Every module in the extensions package is an extension; a new file is picked up without a list to edit.

    The package is found by name, as discord.py loads extensions, so this layer never imports the cogs above it.
    """
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return sorted(
        f"{package}.{m.name}" for m in pkgutil.iter_modules(locations) if not m.name.startswith("_")
    )


class SilkrouteTree(app_commands.CommandTree["SilkrouteBot"]):
    """The single app-command error handler: answer the user briefly, log the traceback."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        tr = interaction_translator(interaction)
        if isinstance(original, CommandError):
            text = original.user_text(tr)
            log.info("/%s: %s", interaction.command.qualified_name if interaction.command else "?", text)
        elif isinstance(original, app_commands.CommandNotFound):
            # Discord still shows a command this version no longer has until the next sync reaches the user.
            text = tr.gettext("`/{command}` is not a command of this bot any more. Example: /help").format(
                command=original.name
            )
            log.info("unknown command /%s (stale command list in Discord)", original.name)
        else:
            log.error("app command failed", exc_info=(type(original), original, original.__traceback__))
            text = tr.gettext("Something went wrong while answering; the error was logged.")
        try:
            await reply_error(interaction, text)
        except discord.HTTPException:
            log.warning("could not tell the user about the error", exc_info=True)


class SilkrouteBot(commands.Bot):
    """Slash-command bot; message content is not needed, so that privileged intent stays off."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        registry: Registry,
        *,
        extensions: Sequence[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            tree_cls=SilkrouteTree,
            **options,
        )
        self.settings = settings
        self.services = services
        self.registry = registry
        self.clock = clock
        """Times interaction tokens (15 minutes); tests drive it by hand."""
        # Tests load their own extensions (a broken one, test-only commands) by passing names here.
        self.extension_list = list(extensions) if extensions is not None else extension_names()
        self._services_closed = False
        self._services_done = asyncio.Event()
        self._closed = asyncio.Event()

    async def setup_hook(self) -> None:
        await self.services.start()
        for name in self.extension_list:
            try:
                await self.load_extension(name)
            except Exception as exc:
                log.exception("extension %s failed to load", name)
                self.services.failed_extensions[name] = f"{type(exc).__name__}: {exc}"
        await self.tree.set_translator(CatalogueTranslator())
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """One guild syncs instantly (good for a team server); global sync can take up to an hour."""
        guild_id = self.settings.discord.discord_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %d commands %s", len(synced), f"to guild {guild_id}" if guild_id else "globally")

    async def close(self) -> None:
        """Close services once, however many times close() is called (a second Ctrl-C, SIGTERM, `async with`).

        A second call waits for the first one's services to finish closing: otherwise it would mark the bot
        closed first and the process could end with the database half closed."""
        try:
            if not self._services_closed:
                self._services_closed = True
                try:
                    await self.services.close()
                finally:
                    self._services_done.set()
            else:
                await self._services_done.wait()
        finally:
            await super().close()
            self._closed.set()

    async def wait_until_closed(self) -> None:
        await self._closed.wait()


class ShardedSilkrouteBot(SilkrouteBot, commands.AutoShardedBot):
    """The same bot over one gateway connection per shard it holds (SILKROUTE_SHARD_COUNT/IDS): Discord sends
    each shard's guilds' interactions to that connection only, so processes with different shard ids split
    the guilds between them."""


def create_bot(settings: Settings, services: Services, registry: Registry, **options: Any) -> SilkrouteBot:
    """Unsharded unless SILKROUTE_SHARD_COUNT is set; then the shards in SILKROUTE_SHARD_IDS (or all). A standby
    (SHARD_IDS=none) is a plain bot that `run_discord` only logs in: it never connects the gateway."""
    shards = settings.shards
    ids = shards.shard_ids
    if shards.silkroute_shard_count is None or ids == ():
        return SilkrouteBot(settings, services, registry, **options)
    return ShardedSilkrouteBot(
        settings,
        services,
        registry,
        shard_count=shards.silkroute_shard_count,
        shard_ids=list(ids) if ids is not None else None,
        **options,
    )


def install_signal_handlers(bot: SilkrouteBot) -> None:
    """SIGINT/SIGTERM close the bot (and with it the HTTP session and database) instead of killing it."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))


FIRST_RETRY_SECONDS = 5.0
Sleep = Callable[[float], Awaitable[None]]


async def run_discord(
    settings: Settings,
    services: Services | None = None,
    *,
    sleep: Sleep = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
) -> int:
    """Connect until closed (SIGINT/SIGTERM); `services` lets a test watch them being closed.

    An unreachable Discord (network down, DNS failing, a proxy in the way) is one log line per attempt and
    another attempt after a wait doubling from 5 s to DISCORD_RETRY_MAX_SECONDS (the shared `Backoff`): a
    service outlives the outage instead of dying with a traceback. Once logged in, discord.py reconnects
    the gateway itself. `sleep` and `jitter` are injected by tests.
    """
    token = settings.discord.discord_token
    assert token is not None
    bot = create_bot(settings, services or build_services(settings), build_registry())
    install_signal_handlers(bot)
    backoff = Backoff(FIRST_RETRY_SECONDS, settings.discord.discord_retry_max_seconds, jitter)
    failures = 0
    async with bot:
        while not bot.is_closed():
            try:
                if settings.shards.shard_ids == ():
                    await _standby(bot, token.get_secret_value())
                else:
                    await bot.start(token.get_secret_value())
            except discord.LoginFailure:
                log.error("Discord refused the token in DISCORD_TOKEN; check it in the developer portal.")
                return 2
            except (OSError, aiohttp.ClientError, discord.GatewayNotFound, TimeoutError) as exc:
                if bot.is_closed():
                    break
                # aiohttp's text already names host, port and cause in one line
                reason = str(exc) or type(exc).__name__
                delay = backoff.delay(failures)
                failures += 1
                log.error("Discord cannot be reached (%s); trying again in %.0f s.", reason, delay)
                await _sleep_unless_closed(bot, sleep, delay)
            else:
                break
    return 0


async def _standby(bot: SilkrouteBot, token: str) -> None:
    """A process holding no shard: logged in over REST (its services, alert pump and lease run, so it can take
    over the singletons), but no gateway connection, so it answers no interaction another process answers."""
    await bot.login(token)
    await bot.wait_until_closed()


async def _sleep_unless_closed(bot: SilkrouteBot, sleep: Sleep, seconds: float) -> None:
    """Wait before the next attempt, but stop waiting at once when SIGTERM/SIGINT closes the bot."""
    waiting = asyncio.ensure_future(sleep(seconds))
    closed = asyncio.ensure_future(bot.wait_until_closed())
    await asyncio.wait({waiting, closed}, return_when=asyncio.FIRST_COMPLETED)
    for task in (waiting, closed):
        task.cancel()
