"""A cog serving a set of command specs; each file in `cogs/` is one of these, a few lines long."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from discord.ext import commands

from bot.frontends.discord.slash_commands import build_app_commands

if TYPE_CHECKING:
    from bot.frontends.discord.client import SilkrouteBot


class SpecCog(commands.Cog):
    """Adds the slash commands of the named specs (or whole groups) when the extension loads."""

    def __init__(self, bot: SilkrouteBot, names: list[str]) -> None:
        self.bot = bot
        specs = [s for s in bot.registry if s.name in names or s.group in names]
        missing = set(names) - {s.name for s in specs} - {s.group for s in specs}
        if missing:
            raise LookupError(f"no command specs named {sorted(missing)}")
        app_commands: list[Any] = build_app_commands(bot, specs)
        self.__cog_app_commands__ = app_commands
        # discord.py keys cogs by name; every cog here is a SpecCog, so the class name alone would collide.
        self.__cog_name__ = "SpecCog:" + ",".join(names)
