"""Discord in the users' languages: slash-command names and descriptions, and the language of each answer.

Discord localises commands per user locale, and has Russian but no Kazakh; so Russian comes from the user's
client and Kazakh (or Russian, or English) from the server's `/settings language:`.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.core.guild_languages import GuildLanguages
from bot.i18n import Language, Translator, translator

NAME_CONTEXT = "slash command name"
"""gettext context of command, group, option and choice names: a name is not the word in a sentence."""
LANGUAGE = "silkroute_language"
"""Key in `Interaction.extras`: the Translator chosen for this interaction (errors are worded with it too)."""

DISCORD_LANGUAGES = {discord.Locale.russian: Language.RU}
"""Discord locales we have a catalogue for; Kazakh is not a Discord locale."""
_NAMES = {Where.command_name, Where.group_name, Where.parameter_name, Where.choice_name}


class CatalogueTranslator(app_commands.Translator):
    """Gives every command, option and choice its Russian name and description from the message catalogue."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        return localise(string.message, DISCORD_LANGUAGES.get(locale), context.location)


def localise(message: str, language: Language | None, where: Where) -> str | None:
    """The translation Discord should show, or None (no catalogue, or nothing translated: keep English)."""
    if language is None or language is Language.EN:
        return None
    tr = translator(language)
    translated = tr.pgettext(NAME_CONTEXT, message) if where in _NAMES else tr.gettext(message)
    return translated if translated != message else None


async def answer_translator(interaction: discord.Interaction[Any], languages: GuildLanguages) -> Translator:
    """A Russian Discord gets Russian; everyone else the server's language; English without either."""
    language = DISCORD_LANGUAGES.get(interaction.locale) or await languages.get(interaction.guild_id)
    tr = translator(language or Language.EN)
    interaction.extras[LANGUAGE] = tr
    return tr


def interaction_translator(interaction: discord.Interaction[Any]) -> Translator:
    """The translator an interaction's answer used; its Discord locale's when the error came first."""
    chosen = interaction.extras.get(LANGUAGE)
    if isinstance(chosen, Translator):
        return chosen
    return translator(DISCORD_LANGUAGES.get(interaction.locale, Language.EN))
