"""Alert delivery to Discord: `channel.send` with Ack / Mute buttons and mentions limited to the on-call role.

The buttons are `DynamicItem`s whose custom_id carries the alert id, so they keep working after a restart
(persistent views) without the bot remembering any message. Failures become `DeliveryError`, which leaves
the outbox rows pending for the sender to retry: a Discord outage delays alerts, it does not lose them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.ext import tasks

from bot.alerts.delivery import ChannelRef, Delivery, DeliveryError, channel_id_of
from bot.alerts.model import ANY_TARGET
from bot.alerts.repository import AlertRecord
from bot.alerts.service import AlertService
from bot.app.answer import BadInput
from bot.app.features.alerts.presentation import render_delivery
from bot.app.features.alerts.targets import CHANNEL_EXAMPLE
from bot.frontends.discord.embeds import render_messages
from bot.frontends.discord.slash_commands import NO_MENTIONS, caller_of

if TYPE_CHECKING:
    from bot.frontends.discord.client import SilkrouteBot

BUTTON_MUTE_SECONDS = 24 * 3600
PUMP_SECONDS = 2.0


class DiscordSink:
    """Posts alert messages in each guild's alert channel."""

    def __init__(self, bot: SilkrouteBot) -> None:
        self.bot = bot

    def mentions(self, delivery: Delivery) -> tuple[str | None, discord.AllowedMentions]:
        """Only the configured on-call role may ever be pinged, and only for a problem (not a recovery)."""
        role = self.bot.settings.discord.alert_oncall_role_id
        if role is None:
            return None, NO_MENTIONS
        allowed = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(role)], replied_user=False
        )
        return (f"<@&{role}>" if delivery.wants_oncall else None), allowed

    async def deliver(self, delivery: Delivery) -> str:
        if delivery.channel_id is None:
            raise DeliveryError("no alert channel: set ALERT_CHANNEL_ID or use /alerts channel")
        try:
            channel = self.bot.get_channel(delivery.channel_id) or await self.bot.fetch_channel(
                delivery.channel_id
            )
            if not isinstance(channel, discord.abc.Messageable):
                raise DeliveryError(f"channel {delivery.channel_id} cannot take messages")
            content, allowed = self.mentions(delivery)
            messages = render_messages(render_delivery(delivery))
            sent: list[str] = []
            for index, message in enumerate(messages):
                last = index == len(messages) - 1
                posted = await channel.send(
                    content=content if index == 0 else None,
                    embeds=message.embeds,
                    view=alert_view(delivery.alert_ids[0]) if last else discord.utils.MISSING,
                    allowed_mentions=allowed,
                )
                sent.append(str(posted.id))
        except discord.HTTPException as exc:
            raise DeliveryError(f"Discord refused the message ({exc.status}: {exc.text or exc})") from exc
        except discord.RateLimited as exc:
            raise DeliveryError(f"Discord rate-limits us for {exc.retry_after:.0f} s") from exc
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Discord is unreachable ({type(exc).__name__}: {exc})") from exc
        return ",".join(sent)

    async def resolve_channel(self, guild_id: int, raw: str) -> ChannelRef:
        """A mention (`<#id>`), an id or a `#name` of a text channel in this guild the bot can post in."""
        guild = self.bot.get_guild(guild_id)
        example = CHANNEL_EXAMPLE
        if guild is None:
            raise BadInput("This server is not known to the bot.", example=example)
        channel_id = channel_id_of(raw)
        channel: Any = (
            guild.get_channel(channel_id)
            if channel_id is not None
            else discord.utils.get(guild.text_channels, name=raw.strip().lstrip("#"))
        )
        if not isinstance(channel, discord.TextChannel):
            raise BadInput(
                f"Unknown channel {raw!r}: give a text channel of this server, e.g. #noc.", example=example
            )
        if not channel.permissions_for(guild.me).send_messages:
            raise BadInput(
                f"I cannot post in #{channel.name}; allow me to send messages there.", example=example
            )
        return ChannelRef(channel.id, f"#{channel.name}")


async def _alert_here(
    interaction: discord.Interaction[Any], alert_id: int
) -> tuple[AlertService, AlertRecord | None]:
    """The button's alert, or None (after telling the user) when it belongs to another server."""
    service: AlertService = interaction.client.services.alerts
    record = await service.alert(alert_id)
    if record is None or record.guild_id != interaction.guild_id:
        await interaction.response.send_message("That alert is not from this server.", ephemeral=True)
        return service, None
    return service, record


class AckButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"silkroute:ack:(?P<id>\d+)"):
    """Acknowledge: stops re-notification of the alert (and of the others in the same message)."""

    def __init__(self, alert_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Ack", style=discord.ButtonStyle.success, custom_id=f"silkroute:ack:{alert_id}"
            )
        )
        self.alert_id = alert_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AckButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        service, record = await _alert_here(interaction, self.alert_id)
        if record is None:
            return
        who = str(interaction.user)
        await service.ack(record, who)
        await interaction.response.send_message(
            f"Alert #{record.id} ({record.title}) acknowledged by {who}; no more reminders.",
            allowed_mentions=NO_MENTIONS,
        )


class MuteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"silkroute:mute:(?P<id>\d+)"):
    """Mute this alert's kind for its target for 24 h (managers only; `/alerts mute` picks other durations)."""

    def __init__(self, alert_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Mute 24 h", style=discord.ButtonStyle.secondary, custom_id=f"silkroute:mute:{alert_id}"
            )
        )
        self.alert_id = alert_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MuteButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        service, record = await _alert_here(interaction, self.alert_id)
        if record is None:
            return
        if not caller_of(interaction, interaction.client.settings.discord.watch_manager_role_id).can_manage:
            await interaction.response.send_message(
                "Muting needs the Manage Server permission or the watch-manager role.", ephemeral=True
            )
            return
        target = record.target or ANY_TARGET
        await service.mute(record.guild_id, target, record.kind, BUTTON_MUTE_SECONDS, str(interaction.user))
        await interaction.response.send_message(
            f"{record.kind.value} alerts for {target} muted for 24 h by {interaction.user}.",
            allowed_mentions=NO_MENTIONS,
        )


def alert_view(alert_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AckButton(alert_id))
    view.add_item(MuteButton(alert_id))
    return view


async def start_discord_alerts(bot: SilkrouteBot) -> tasks.Loop[Any]:
    """Register the persistent buttons, make Discord the alert channel, and pump alerts every few seconds.

    The pump interval is also the storm-batching window: everything queued in between goes out together.
    """
    bot.add_dynamic_items(AckButton, MuteButton)
    service = bot.services.alerts
    await service.attach(DiscordSink(bot), background=False)
    pump: tasks.Loop[Any] = tasks.loop(seconds=PUMP_SECONDS)(service.pump)
    pump.start()
    return pump
