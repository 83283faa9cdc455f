"""Slash commands built from `CommandSpec`s, so each command is declared once for Discord and console.

discord.py reads a command's options from its callback's signature; we give a generated callback the
signature the spec describes (`__signature__`) plus the descriptions, choices and autocompletes.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.app.answer import Answer
from bot.app.commands import Caller, CommandSpec, Context, Option
from bot.app.runner import admit, run_admitted
from bot.app.wiring import Services
from bot.core.settings import Settings
from bot.frontends.discord.embeds import render_messages
from bot.frontends.discord.localization import answer_translator, interaction_translator
from bot.i18n import N_


class SpecHost(Protocol):
    """What a slash command needs from the client that serves it (the client module imports this one)."""

    services: Services
    settings: Settings
    clock: Callable[[], float]


log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
EPHEMERAL_DEFER = "silkroute_ephemeral_defer"  # key in `Interaction.extras`, read by `reply_error`
DEADLINE = "silkroute_deadline"  # key in `Interaction.extras`: the Deadline of its token
TOKEN_SECONDS = 15 * 60
"""Discord lets a command edit and follow up its answer for 15 minutes; after that the token is refused."""
DEADLINE_MARGIN = 30.0
"""Stop using the token this long before it expires: a last edit in flight must not race the expiry."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """When an interaction's token stops working, on the client's clock."""

    expires_at: float
    clock: Callable[[], float]

    @classmethod
    def starting_now(cls, clock: Callable[[], float]) -> Deadline:
        return cls(clock() + TOKEN_SECONDS - DEADLINE_MARGIN, clock)

    @property
    def passed(self) -> bool:
        return self.clock() >= self.expires_at


def token_refused(error: discord.HTTPException) -> bool:
    """Discord's answer to an expired (or otherwise dead) interaction token."""
    return error.code in {50027, 10015} or error.status == 401


def caller_of(interaction: discord.Interaction[Any], manager_role_id: int | None) -> Caller:
    """Manage Server, or the configured manager role, may change watches and alert settings."""
    user = interaction.user
    can_manage = False
    if isinstance(user, discord.Member):
        can_manage = user.guild_permissions.manage_guild or any(r.id == manager_role_id for r in user.roles)
    return Caller(name=str(user), can_manage=can_manage, user_id=user.id)


async def send_answer(interaction: discord.Interaction[Any], answer: Answer, *, ephemeral: bool) -> None:
    """Send an answer after a defer: the first message replaces 'thinking…' (or a progress report).

    When the token has expired (or is refused), the answer goes out as a plain message instead, so it is
    never lost: in the channel, mentioning the asker, or by direct message for a private answer.
    """
    deadline: Deadline | None = interaction.extras.get(DEADLINE)
    if deadline is not None and deadline.passed:
        await deliver_late(interaction, answer, ephemeral=ephemeral)
        return
    try:
        await _send_with_token(interaction, answer, ephemeral=ephemeral)
    except discord.HTTPException as error:
        if not token_refused(error):
            raise
        await deliver_late(interaction, answer, ephemeral=ephemeral)


async def deliver_late(interaction: discord.Interaction[Any], answer: Answer, *, ephemeral: bool) -> None:
    """An answer that outlived its interaction token: a normal message that names the asker and the command."""
    user = interaction.user
    name = interaction.command.qualified_name if interaction.command else answer.command
    intro = (
        interaction_translator(interaction)
        .gettext(
            "{user}, here is the answer to your `/{command}`: it took longer than Discord keeps a command open."
        )
        .format(user=user.mention, command=name)
    )
    destination: discord.abc.Messageable
    if ephemeral or interaction.channel is None:
        destination = user
    else:
        destination = interaction.client.get_partial_messageable(
            interaction.channel.id, guild_id=interaction.guild_id
        )
    mention_asker = discord.AllowedMentions(everyone=False, roles=False, users=[user])
    for index, message in enumerate(render_messages(answer)):
        await destination.send(
            content=intro if index == 0 else None,
            embeds=message.embeds,
            files=message.files,
            allowed_mentions=mention_asker,
        )


async def _send_with_token(interaction: discord.Interaction[Any], answer: Answer, *, ephemeral: bool) -> None:
    first, *rest = render_messages(answer)
    # A follow-up would replace only an untouched 'thinking…'; after a progress edit it would leave
    # the partial answer standing as a second message, so the first message is always an edit.
    await interaction.edit_original_response(
        embeds=first.embeds, attachments=first.files, allowed_mentions=NO_MENTIONS
    )
    for message in rest:
        await interaction.followup.send(
            embeds=message.embeds, files=message.files, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )


CONTENT_LIMIT = 2000
"""Discord refuses a message whose content is longer (400, error 50035)."""


def fit_content(text: str) -> str:
    return text if len(text) <= CONTENT_LIMIT else text[: CONTENT_LIMIT - 1] + "…"


async def reply_error(interaction: discord.Interaction[Any], text: str) -> None:
    """Tell the user what went wrong, ephemerally, whatever state the interaction is in.

    After the token has expired the message goes to the user directly, as a late answer would.
    """
    text = fit_content(text)
    tr = interaction_translator(interaction)
    deadline: Deadline | None = interaction.extras.get(DEADLINE)
    if interaction.response.is_done() and deadline is not None and deadline.passed:
        await interaction.user.send(
            fit_content(tr.gettext("Your command could not be answered: {error}").format(error=text)),
            allowed_mentions=NO_MENTIONS,
        )
        return
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return
    public_defer = not interaction.extras.get(EPHEMERAL_DEFER, False)
    if interaction.response.type == discord.InteractionResponseType.deferred_channel_message and public_defer:
        # The first follow-up after a public "thinking…" defer replaces it and cannot be ephemeral, and a
        # follow-up after deleting it fails with Unknown Message; so settle the placeholder, answer
        # privately, then remove the placeholder.
        await interaction.edit_original_response(
            content=tr.gettext("This command could not be answered."), embeds=[], allowed_mentions=NO_MENTIONS
        )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete the deferred response", exc_info=True)
        return
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


def _annotation(option: Option) -> Any:
    base: Any = option.type
    if option.type is int and (option.min_value is not None or option.max_value is not None):
        base = app_commands.Range[int, option.min_value, option.max_value]
    if option.length_limit is not None:
        base = app_commands.Range[str, 1, option.length_limit]
    return base if option.required else base | None


def _autocomplete(bot: SpecHost, option: Option) -> Callable[..., Awaitable[list[app_commands.Choice[str]]]]:
    complete = option.autocomplete
    assert complete is not None

    async def autocomplete(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        names = await complete(bot.services, current)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names[:25]]

    return autocomplete


def build_command(bot: SpecHost, spec: CommandSpec) -> app_commands.Command[Any, ..., None]:
    """One app command whose callback defers, runs the spec's handler and renders the answer."""

    async def callback(interaction: discord.Interaction[Any], **options: Any) -> None:
        interaction.extras[EPHEMERAL_DEFER] = spec.ephemeral
        ctx = Context(
            services=bot.services,
            caller=caller_of(interaction, bot.settings.discord.watch_manager_role_id),
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            tr=await answer_translator(interaction, bot.services.languages),
        )
        await admit(
            spec, ctx
        )  # a refusal (permission, "slow down") is answered privately, before any "thinking…"
        deadline = interaction.extras[DEADLINE] = Deadline.starting_now(bot.clock)
        await interaction.response.defer(thinking=True, ephemeral=spec.ephemeral)

        async def progress(partial: Answer) -> None:
            if deadline.passed:
                return  # the token is about to die; the final answer will go out as a late message
            await interaction.edit_original_response(
                embeds=render_messages(partial)[0].embeds, allowed_mentions=NO_MENTIONS
            )

        ctx.progress = progress
        given = spec.with_defaults({k: v for k, v in options.items() if v is not None})
        answer = await run_admitted(spec, ctx, given)
        await send_answer(interaction, answer, ephemeral=spec.ephemeral)

    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [
        inspect.Parameter(
            o.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=_annotation(o),
            default=inspect.Parameter.empty if o.required else None,
        )
        for o in spec.options
    ]
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        o.name: o.description[:100] for o in spec.options
    }
    callback.__discord_app_commands_param_choices__ = {  # type: ignore[attr-defined]
        o.name: [app_commands.Choice(name=c, value=c) for c in o.choices] for o in spec.options if o.choices
    }
    callback.__discord_app_commands_param_autocomplete__ = {  # type: ignore[attr-defined]
        o.name: _autocomplete(bot, o) for o in spec.options if o.autocomplete is not None
    }
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.leaf, description=spec.description[:100], callback=callback
    )
    # Manage-only commands act on a server's settings: offer them in servers only, never in DMs.
    command.guild_only = spec.manage_only
    return command


GROUP_DESCRIPTIONS = {
    "watch": N_("What the team's alert channel watches"),
    "alerts": N_("The alert channel: where, what fired, mutes"),
}
"""Discord shows a group's description above its subcommands; the catalogue translates it."""


def build_app_commands(
    bot: SpecHost, specs: list[CommandSpec]
) -> list[app_commands.Command[Any, ..., None] | app_commands.Group]:
    """Top-level specs become commands; "group leaf" specs become subcommands of one group each."""
    built: list[app_commands.Command[Any, ..., None] | app_commands.Group] = []
    groups: dict[str, app_commands.Group] = {}
    for spec in specs:
        command = build_command(bot, spec)
        if spec.group is None:
            built.append(command)
            continue
        group = groups.get(spec.group)
        if group is None:
            members = [s for s in specs if s.group == spec.group]
            group = app_commands.Group(
                name=spec.group,
                description=GROUP_DESCRIPTIONS.get(spec.group, f"/{spec.group} commands"),
                guild_only=any(s.manage_only for s in members),
            )
            groups[spec.group] = group
            built.append(group)
        group.add_command(command)
    return built
