"""Test-only extension serving the commands of `support.extra_specs`, loaded beside `cogs.meta`."""

from bot.frontends.discord.client import SilkrouteBot
from bot.frontends.discord.spec_cog import SpecCog
from tests.bot.frontends.discord.support import TEST_COMMANDS


async def setup(bot: SilkrouteBot) -> None:
    await bot.add_cog(SpecCog(bot, TEST_COMMANDS))
