"""Alert delivery to Discord: `channel.send` with Ack / Mute buttons and mentions limited to the on-call role.

The buttons are `DynamicItem`s whose custom_id carries the alert id, so they keep working after a restart
(persistent views) without the bot remembering any message. Failures become `DeliveryError`, which leaves
the outbox rows pending for the sender to retry: a Discord outage delays alerts, it does not lose them.
"""

from __future__ import annotations

import itertools
import re
import secrets
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.ext import tasks

from bot.alerts.delivery import ChannelRef, Delivery, DeliveryError, Entry, Posted, channel_id_of
from bot.alerts.model import ANY_TARGET
from bot.alerts.repository import AlertRecord
from bot.alerts.service import AlertService
from bot.app.answer import BadInput
from bot.app.features.alerts.presentation import alert_translator, delivery_answer, render_delivery
from bot.app.features.alerts.targets import CHANNEL_EXAMPLE
from bot.frontends.discord.embeds import render_messages
from bot.frontends.discord.localization import answer_translator
from bot.frontends.discord.slash_commands import NO_MENTIONS, caller_of
from bot.i18n import ENGLISH, Language, Translator
from bot.shared_state.shards import Shards

if TYPE_CHECKING:
    from bot.frontends.discord.client import SilkrouteBot

BUTTON_MUTE_SECONDS = 24 * 3600
PUMP_SECONDS = 2.0
ALERTS_PER_MESSAGE = 10
ACK_ID = re.compile(r"silkroute:ack:(?P<ids>\d+(?:,\d+)*)")
"""The Acknowledge button's custom id: the alerts its message shows."""
# How far back a resend looks for a message a crashed sender may have posted (it retries within minutes).
RECENT_MESSAGES = 50
"""A button's custom_id (at most 100 characters) names every alert it acts on: ten ids fit."""


def message_parts(delivery: Delivery, tr: Translator = ENGLISH) -> list[Delivery]:
    """A storm batch split into parts that each fit one Discord message, so each message stands alone:
    its own title, mention and buttons acting on exactly the alerts it shows."""
    parts: list[Delivery] = []
    pending = list(delivery.entries)
    while pending:
        size = min(len(pending), ALERTS_PER_MESSAGE)
        while size > 1 and len(render_messages(render_delivery(_part(delivery, pending[:size]), tr))) > 1:
            size -= 1
        parts.append(_part(delivery, pending[:size]))
        pending = pending[size:]
    return parts


def _part(delivery: Delivery, entries: list[Entry]) -> Delivery:
    return Delivery(delivery.guild_id, delivery.channel_id, entries)


class DiscordSink:
    """Posts alert messages in each guild's alert channel."""

    def __init__(self, bot: SilkrouteBot) -> None:
        self.bot = bot
        self.shards = Shards.from_settings(bot.settings.shards)

    def holds(self, guild_id: int) -> bool:
        """Only guilds of this process's shards: another process posts the others' alerts."""
        return self.shards.holds(guild_id)

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
            services = self.bot.services
            tr = await alert_translator(services.languages, delivery.guild_id, Language.EN)
            parts = message_parts(delivery, tr)
            sent: list[str] = []
            # Every message of a delivery carries `<nonce>-<n>` (Discord allows 25 characters).
            base = delivery.nonce or secrets.token_hex(8)
            nonces = (f"{base}-{n}" for n in itertools.count())
            for number, part in enumerate(parts, 1):
                content, allowed = self.mentions(part)
                answer = await delivery_answer(part, services.alerts.outage, services.settings, tr)
                if len(parts) > 1:
                    answer.title = tr.gettext("{title} (message {number} of {count})").format(
                        title=answer.title, number=number, count=len(parts)
                    )
                messages = render_messages(answer)  # one, unless a single alert's evidence is longer
                for index, message in enumerate(messages):
                    last = index == len(messages) - 1
                    posted = await channel.send(
                        content=content if index == 0 else None,
                        embeds=message.embeds,
                        files=message.files,
                        view=alert_view(part.alert_ids, tr) if last else discord.utils.MISSING,
                        allowed_mentions=allowed,
                        nonce=next(nonces),
                    )
                    sent.append(str(posted.id))
        except discord.HTTPException as exc:
            raise DeliveryError(f"Discord refused the message ({exc.status}: {exc.text or exc})") from exc
        except discord.RateLimited as exc:
            raise DeliveryError(f"Discord rate-limits us for {exc.retry_after:.0f} s") from exc
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Discord is unreachable ({type(exc).__name__}: {exc})") from exc
        return ",".join(sent)

    async def find_sent(self, delivery: Delivery) -> Posted | None:
        """Our recent messages in the channel sent under the delivery's nonce (`<nonce>-<n>` per message), with the
        alerts their Acknowledge buttons act on: exactly the alerts each message shows."""
        if delivery.nonce is None or delivery.channel_id is None:
            return None
        prefix = f"{delivery.nonce}-"
        refs: list[str] = []
        shown: set[int] = set()
        try:
            channel = self.bot.get_channel(delivery.channel_id) or await self.bot.fetch_channel(
                delivery.channel_id
            )
            if not isinstance(channel, discord.abc.Messageable) or self.bot.user is None:
                return None
            async for message in channel.history(limit=RECENT_MESSAGES):
                if message.author.id != self.bot.user.id or not str(message.nonce or "").startswith(prefix):
                    continue
                refs.append(str(message.id))
                for row in message.components:
                    for item in getattr(row, "children", ()):
                        if (match := ACK_ID.fullmatch(str(getattr(item, "custom_id", "") or ""))) is not None:
                            shown.update(int(i) for i in match["ids"].split(","))
        except discord.HTTPException as exc:
            raise DeliveryError(
                f"Discord refused the channel history ({exc.status}: {exc.text or exc})"
            ) from exc
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Discord is unreachable ({type(exc).__name__}: {exc})") from exc
        return Posted(",".join(reversed(refs)), frozenset(shown)) if refs else None

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


async def _alerts_here(
    interaction: discord.Interaction[Any], alert_ids: list[int]
) -> tuple[AlertService, list[AlertRecord]]:
    """The button's alerts of this server (after deferring: a storm's Ack may touch hundreds of rows)."""
    await interaction.response.defer()
    service: AlertService = interaction.client.services.alerts
    records = [r for r in [await service.alert(i) for i in alert_ids] if r is not None]
    records = [r for r in records if r.guild_id == interaction.guild_id]
    if not records:
        tr = await answer_translator(interaction, interaction.client.services.languages)
        await interaction.followup.send(tr.gettext("Those alerts are not from this server."), ephemeral=True)
    return service, records


def _ids(custom_id_part: str) -> list[int]:
    return [int(i) for i in custom_id_part.split(",")]


def _button(
    action: str, label: str, style: discord.ButtonStyle, alert_ids: list[int]
) -> discord.ui.Button[Any]:
    """A persistent button whose custom_id names the action and every alert it acts on."""
    return discord.ui.Button(
        label=label, style=style, custom_id=f"silkroute:{action}:{','.join(map(str, alert_ids))}"
    )


class AckButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ACK_ID.pattern):
    """Acknowledge: stops re-notification of the alerts the message shows (and of their targets' others)."""

    def __init__(self, alert_ids: list[int], tr: Translator = ENGLISH) -> None:
        super().__init__(_button("ack", tr.gettext("Ack"), discord.ButtonStyle.success, alert_ids))
        self.alert_ids = alert_ids

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AckButton:
        return cls(_ids(match["ids"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        service, records = await _alerts_here(interaction, self.alert_ids)
        if not records:
            return
        who = str(interaction.user)
        changed = await service.ack(records, who)
        shown = ", ".join(f"#{r.id}" for r in records)
        tr = await answer_translator(interaction, interaction.client.services.languages)
        await interaction.followup.send(
            tr.ngettext(
                "Alert {alerts} acknowledged by {who} ({count} open alert in all); no more reminders.",
                "Alert {alerts} acknowledged by {who} ({count} open alerts in all); no more reminders.",
                changed,
            ).format(alerts=shown, who=who, count=changed),
            allowed_mentions=NO_MENTIONS,
        )


class MuteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"silkroute:mute:(?P<ids>\d+(?:,\d+)*)"
):
    """Mute the kinds of alert the message shows, for their targets, for 24 h (managers only)."""

    def __init__(self, alert_ids: list[int], tr: Translator = ENGLISH) -> None:
        super().__init__(_button("mute", tr.gettext("Mute 24 h"), discord.ButtonStyle.secondary, alert_ids))
        self.alert_ids = alert_ids

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MuteButton:
        return cls(_ids(match["ids"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        tr = await answer_translator(interaction, interaction.client.services.languages)
        if not caller_of(interaction, interaction.client.settings.discord.watch_manager_role_id).can_manage:
            await interaction.response.send_message(
                tr.gettext("Muting needs the Manage Server permission or the watch-manager role."),
                ephemeral=True,
            )
            return
        service, records = await _alerts_here(interaction, self.alert_ids)
        muted = sorted({(r.target or ANY_TARGET, r.kind) for r in records})
        for target, kind in muted:
            await service.mute(records[0].guild_id, target, kind, BUTTON_MUTE_SECONDS, str(interaction.user))
        if muted:
            what = "; ".join(
                tr.gettext("{kind} alerts for {target}").format(kind=kind.value, target=target)
                for target, kind in muted
            )
            await interaction.followup.send(
                tr.gettext("{alerts} muted for 24 h by {who}.").format(alerts=what, who=interaction.user),
                allowed_mentions=NO_MENTIONS,
            )


def alert_view(alert_ids: list[int], tr: Translator = ENGLISH) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AckButton(alert_ids, tr))
    view.add_item(MuteButton(alert_ids, tr))
    return view


async def start_discord_alerts(bot: SilkrouteBot) -> tasks.Loop[Any]:
    """Register the persistent buttons, make Discord the alert channel, and pump alerts every few seconds.

    The pump interval is also the storm-batching window: everything queued in between goes out together.
    """
    bot.add_dynamic_items(AckButton, MuteButton)
    service = bot.services.alerts
    await service.attach(DiscordSink(bot), background=False, every_replica=True)  # each posts its own shards
    pump: tasks.Loop[Any] = tasks.loop(seconds=PUMP_SECONDS)(service.pump)
    pump.start()
    return pump
