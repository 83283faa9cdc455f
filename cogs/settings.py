"""`/settings`: the server's language."""

from bot.frontends.discord.client import SilkrouteBot
from bot.frontends.discord.spec_cog import SpecCog


async def setup(bot: SilkrouteBot) -> None:
    await bot.add_cog(SpecCog(bot, ["settings"]))
