"""Test-only extension that fails to load, to prove one broken cog does not stop the others."""

from bot.frontends.discord.client import SilkrouteBot


async def setup(bot: SilkrouteBot) -> None:
    raise RuntimeError("this extension is broken on purpose")
