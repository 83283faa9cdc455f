"""The console as the alert channel when there is no Discord: every guild's alerts print there."""

from __future__ import annotations

from collections.abc import Callable

from bot.alerts.delivery import ChannelRef, Delivery
from bot.app.answer import BadInput
from bot.app.features.alerts.presentation import render_delivery
from bot.app.render import render_text


class ConsoleSink:
    """Renders each delivery as the console renders answers, and shows it between the user's commands."""

    def __init__(self, show: Callable[[str], None]) -> None:
        self.show = show
        self.count = 0

    async def deliver(self, delivery: Delivery) -> str:
        self.show(render_text(render_delivery(delivery)))
        self.count += 1
        return f"console:{self.count}"

    async def resolve_channel(self, guild_id: int, raw: str) -> ChannelRef:
        if raw.strip().lower() in ("console", "#console", "0"):
            return ChannelRef(0, "console")
        raise BadInput(
            f"Unknown channel {raw!r}: the console has only one alert channel, `console`.",
            example="/alerts channel channel:console",
        )
