"""`/history`: what changed and when, from the bot's dated history points."""

from bot.frontends.discord.client import SilkrouteBot
from bot.frontends.discord.spec_cog import SpecCog


async def setup(bot: SilkrouteBot) -> None:
    await bot.add_cog(SpecCog(bot, ["history"]))
