"""`/status` and `/help`."""

from bot.discord.client import SilkrouteBot
from bot.discord.cog import SpecCog


async def setup(bot: SilkrouteBot) -> None:
    await bot.add_cog(SpecCog(bot, ["status", "help"]), override=True)
