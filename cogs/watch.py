"""`/watch add|remove|list`."""

from bot.discord.client import SilkrouteBot
from bot.discord.cog import SpecCog


async def setup(bot: SilkrouteBot) -> None:
    await bot.add_cog(SpecCog(bot, ["watch"]), override=True)
