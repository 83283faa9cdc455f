"""The console as the alert channel when there is no Discord: every guild's alerts print there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.alerts.delivery import ChannelRef, Delivery, Posted
from bot.alerts.ports import OutageWatch
from bot.app.answer import Answer, BadInput
from bot.app.features.alerts.presentation import alert_translator, delivery_answer
from bot.core.guild_languages import GuildLanguages
from bot.core.settings import Settings
from bot.i18n import translator


class ConsoleSink:
    """Hands each delivery, as an answer with its charts, to the console, which shows it between commands."""

    def __init__(
        self,
        show: Callable[[Answer], Awaitable[None]],
        outage: OutageWatch | None,
        settings: Settings,
        languages: GuildLanguages | None = None,
    ) -> None:
        self.show = show
        self.outage = outage
        self.settings = settings
        self.languages = languages
        self.count = 0

    async def deliver(self, delivery: Delivery) -> str:
        """In the server's `/settings` language when one is stored, else the console's (SILKROUTE_LANG)."""
        default = self.settings.core.silkroute_lang
        tr = (
            await alert_translator(self.languages, delivery.guild_id, default)
            if self.languages is not None
            else translator(default)
        )
        await self.show(await delivery_answer(delivery, self.outage, self.settings, tr))
        self.count += 1
        return f"console:{self.count}"

    def holds(self, guild_id: int) -> bool:
        return True  # the console stands in for every guild

    async def find_sent(self, delivery: Delivery) -> Posted | None:
        """A terminal keeps no message history to look in: a delivery cut short by a crash is shown again."""
        del delivery
        return None

    async def resolve_channel(self, guild_id: int, raw: str) -> ChannelRef:
        if raw.strip().lower() in ("console", "#console", "0"):
            return ChannelRef(0, "console")
        raise BadInput(
            f"Unknown channel {raw!r}: the console has only one alert channel, `console`.",
            example="/alerts channel channel:console",
        )
