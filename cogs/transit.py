"""`/transit`: which countries and networks an AS or a country depends on."""

from bot.frontends.discord.client import SilkrouteBot
from bot.frontends.discord.spec_cog import SpecCog


async def setup(bot: SilkrouteBot) -> None:
    await bot.add_cog(SpecCog(bot, ["transit"]))
