"""`/alerts channel|history|mute|test`, the persistent Ack/Mute buttons, and Discord as the alert channel."""

from bot.discord.alerts import start_discord_alerts
from bot.discord.client import SilkrouteBot
from bot.discord.cog import SpecCog


async def setup(bot: SilkrouteBot) -> None:
    await bot.add_cog(SpecCog(bot, ["alerts"]), override=True)
    await start_discord_alerts(bot)
