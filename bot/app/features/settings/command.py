"""`/settings language:`: the server's language, for its alerts and for members whose Discord is not Russian."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.alerts.model import CONSOLE_GUILD
from bot.app.answer import Answer, BadInput, Severity
from bot.app.commands import CommandSpec, Context, Option
from bot.core.values import Source
from bot.i18n import N_, Language

LANGUAGE_NAMES = {
    Language.EN: N_("English"),
    Language.RU: N_("Russian"),
    Language.KK: N_("Kazakh"),
}


async def settings_language(ctx: Context, language: str) -> Answer:
    """Store the server's language; the console keeps its own pseudo-server, so console alerts follow it too."""
    _ = ctx.tr.gettext
    chosen = Language.parse(language)
    if chosen is None:
        raise BadInput(
            _("Language {value} is not one of en, ru, kk.").format(value=language[:40]),
            example=SETTINGS_EXAMPLE,
        )
    if ctx.guild_id is None and ctx.channel_id is not None:
        raise BadInput(_("The language is a server setting; use this command in a server channel."))
    guild = CONSOLE_GUILD if ctx.guild_id is None else ctx.guild_id
    now = ctx.services.alerts.clock()
    await ctx.services.languages.set(guild, chosen, ctx.caller.name, now)
    return Answer(
        command="settings",
        title=_("Server language set"),
        summary=_(
            "Alerts in this server are now written in {language}; members whose Discord is in Russian still get "
            "Russian answers, everyone else gets {language}."
        ).format(language=_(LANGUAGE_NAMES[chosen])),
        severity=Severity.OK,
        sources=[Source("silkroute server settings", datetime.fromtimestamp(now, UTC), "SQLite")],
        data={"guild_id": guild, "language": chosen.value},
    )


SETTINGS_EXAMPLE = "/settings language:kk"
SETTINGS_COMMANDS = [
    CommandSpec(
        "settings",
        N_("Server settings: the language of alerts and answers"),
        SETTINGS_EXAMPLE,
        settings_language,
        options=(
            Option(
                "language",
                N_("en, ru or kk: alerts and default answers"),
                choices=tuple(language.value for language in Language),
            ),
        ),
        manage_only=True,
        help=N_(
            "Discord shows Russian to members whose Discord is set to Russian, and answers them in Russian. "
            "Everyone else is answered in the server's language, and alerts are always in it. Discord has no "
            "Kazakh setting, so Kazakh is chosen here."
        ),
    )
]
