"""`/lookup`: who originates an address, prefix or AS, from the routing snapshot."""

from bot.frontends.discord.client import SilkrouteBot
from bot.frontends.discord.spec_cog import SpecCog


async def setup(bot: SilkrouteBot) -> None:
    await bot.add_cog(SpecCog(bot, ["lookup"]))
