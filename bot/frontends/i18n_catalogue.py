"""The message catalogue's toolchain: extract every user-visible message, merge it into the translations.

Messages come from two places: gettext calls and `N_` marks in the code (Babel's Python extractor), and the
command surface in the registry (descriptions, help texts, option descriptions; command, option and choice
names under the "slash command name" context, for Discord's localised names). `silkroute i18n extract`
writes the template and merges it into each language's `.po`, keeping existing translations.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.app.catalog import build_registry
from bot.app.commands import Registry
from bot.frontends.discord.localization import NAME_CONTEXT
from bot.frontends.discord.slash_commands import GROUP_DESCRIPTIONS
from bot.i18n import Language

PACKAGE = Path(__file__).resolve().parents[1]
LOCALE_DIR = PACKAGE / "locale"
TEMPLATE = LOCALE_DIR / "silkroute.pot"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "NP_": (1, 2)}


def po_path(language: Language) -> Path:
    return LOCALE_DIR / language.value / "LC_MESSAGES" / "silkroute.po"


def extract(registry: Registry | None = None) -> Catalog:
    """Every message a user can see, from the code and from the command registry."""
    catalog = Catalog(domain="silkroute", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, None, [(f"bot/{filename}", lineno)], auto_comments=comments, context=context)
    for text, context in command_surface(registry or build_registry()):
        catalog.add(text, None, [("registry", 0)], context=context)
    return catalog


def command_surface(registry: Registry) -> list[tuple[str, str | None]]:
    """What Discord and /help show of each command: names (own context) and descriptions."""
    surface: list[tuple[str, str | None]] = []
    for spec in registry:
        surface.append((spec.leaf, NAME_CONTEXT))
        if spec.group is not None:
            surface.append((spec.group, NAME_CONTEXT))
        surface.extend((text, None) for text in (spec.description, spec.help) if text)
        for option in spec.options:
            surface += [(option.name, NAME_CONTEXT), (option.description, None)]
            surface.extend((choice, NAME_CONTEXT) for choice in option.choices)
    surface.extend((text, None) for text in GROUP_DESCRIPTIONS.values())
    return surface


HEADER = "# silkroute's messages. Terms: docs/glossary.md. Update with `make i18n` (silkroute i18n extract)."


def _describe(catalog: Catalog) -> None:
    """Our own header instead of gettext's FULL NAME <EMAIL@ADDRESS> placeholders."""
    catalog.header_comment = HEADER
    catalog.project, catalog.version = "silkroute", ""
    catalog.msgid_bugs_address = catalog.copyright_holder = ""
    catalog.last_translator = catalog.language_team = "silkroute maintainers"
    catalog.fuzzy = False


def update_catalogues(template: Catalog) -> dict[Language, int]:
    """Write the template and merge it into each `.po`; returns how many messages each still lacks."""
    _describe(template)
    with TEMPLATE.open("wb") as handle:
        write_po(handle, template, sort_output=True, include_lineno=False, width=110)
    missing: dict[Language, int] = {}
    for language in (Language.RU, Language.KK):
        path = po_path(language)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language.value)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language.value, domain="silkroute")
        catalog.update(template, no_fuzzy_matching=True)
        _describe(catalog)
        catalog.revision_date = catalog.creation_date
        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, ignore_obsolete=True, include_lineno=False, width=110)
        missing[language] = sum(1 for m in catalog if m.id and not all(_forms(m.string)))
    return missing


def _forms(string: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if isinstance(string, list | tuple):
        return list(string)
    return [string or ""]
