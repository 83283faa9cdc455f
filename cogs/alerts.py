"""`/alerts channel|history|mute|test`, the persistent Ack/Mute buttons, and Discord as the alert channel."""

from typing import Any

from discord.ext import tasks

from bot.frontends.discord.alert_channel import start_discord_alerts
from bot.frontends.discord.client import SilkrouteBot
from bot.frontends.discord.spec_cog import SpecCog


class AlertsCog(SpecCog):
    """Owns the alert pump loop, so unloading (or reloading) the extension stops it instead of leaking it."""

    pump: tasks.Loop[Any] | None = None

    async def cog_unload(self) -> None:
        if self.pump is not None:
            self.pump.cancel()


async def setup(bot: SilkrouteBot) -> None:
    cog = AlertsCog(bot, ["alerts"])
    await bot.add_cog(cog, override=True)
    cog.pump = await start_discord_alerts(bot)
