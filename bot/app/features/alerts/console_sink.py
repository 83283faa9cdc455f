"""The console as the alert channel when there is no Discord: every guild's alerts print there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.alerts.delivery import ChannelRef, Delivery, Posted
from bot.alerts.ports import OutageWatch
from bot.app.answer import Answer, BadInput
from bot.app.features.alerts.presentation import delivery_answer
from bot.core.settings import Settings


class ConsoleSink:
    """Hands each delivery, as an answer with its charts, to the console, which shows it between commands."""

    def __init__(
        self, show: Callable[[Answer], Awaitable[None]], outage: OutageWatch | None, settings: Settings
    ) -> None:
        self.show = show
        self.outage = outage
        self.settings = settings
        self.count = 0

    async def deliver(self, delivery: Delivery) -> str:
        await self.show(await delivery_answer(delivery, self.outage, self.settings))
        self.count += 1
        return f"console:{self.count}"

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
