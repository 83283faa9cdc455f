"""The message catalogues are complete and consistent, and every localised slash-command name is valid."""

from __future__ import annotations

import string
import unicodedata

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.app.catalog import build_registry
from bot.frontends.discord.localization import NAME_CONTEXT
from bot.frontends.i18n_catalogue import command_surface, extract, po_path
from bot.i18n import Language

TRANSLATED = (Language.RU, Language.KK)
NAME_LIMIT = 32
DESCRIPTION_LIMIT = 100


@pytest.fixture(scope="module")
def template() -> Catalog:
    """Every message the code and the command registry can show, extracted as `silkroute i18n extract` does."""
    return extract()


def catalogue(language: Language) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language.value)


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, list | tuple) else [message.string or ""]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_the_code_can_show_has_a_translation(template: Catalog, language: Language) -> None:
    translated = catalogue(language)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = translated.get(message.id, message.context)
        if found is None or found.fuzzy or not all(f.strip() for f in forms(found)):
            missing.append((message.context, message.id))
    assert not missing, f"{len(missing)} untranslated in {language.value} (run `make i18n`): {missing[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_source(language: Language) -> None:
    wrong = []
    for message in catalogue(language):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, list | tuple) else (message.id,)
        expected = fields(sources[-1])
        wrong.extend((sources[0], form) for form in forms(message) if fields(form) != expected)
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_entries_have_every_form_the_language_needs(language: Language) -> None:
    translated = catalogue(language)
    plurals = [m for m in translated if isinstance(m.id, list | tuple)]
    assert plurals
    short = [m.id[0] for m in plurals if len(forms(m)) != translated.num_plurals]
    assert not short, short
    assert translated.num_plurals == {Language.RU: 3, Language.KK: 2}[language]


def test_localised_command_option_and_group_names_follow_discords_rule() -> None:
    """Discord: `^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`, lowercase where the script has case."""
    russian = catalogue(Language.RU)
    names = {text for text, context in command_surface(build_registry()) if context == NAME_CONTEXT}
    names -= {c for spec in build_registry() for o in spec.options for c in o.choices}  # choices are labels
    bad = []
    for name in sorted(names):
        localised = russian.get(name, NAME_CONTEXT)
        assert localised is not None, name
        text = str(localised.string)
        valid = 1 <= len(text) <= NAME_LIMIT and all(
            ch in "-_" or unicodedata.category(ch)[0] in "LN" for ch in text
        )
        if not valid or text != text.lower():
            bad.append((name, text))
    assert not bad, bad


def test_names_stay_unique_where_discord_needs_them_to_be() -> None:
    """Two options of one command (or two commands) may not share a localised name."""
    tr = catalogue(Language.RU)

    def ru(name: str) -> str:
        message = tr.get(name, NAME_CONTEXT)
        assert message is not None
        return str(message.string)

    registry = build_registry()
    top = {spec.group or spec.leaf for spec in registry}
    assert len({ru(n) for n in top}) == len(top)
    for spec in registry:
        assert len({ru(o.name) for o in spec.options}) == len(spec.options), spec.name


@pytest.mark.parametrize("language", TRANSLATED)
def test_localised_descriptions_fit_discords_100_characters(language: Language) -> None:
    translated = catalogue(language)
    registry = build_registry()
    descriptions = [s.description for s in registry] + [o.description for s in registry for o in s.options]
    too_long = []
    for text in [*descriptions]:
        assert len(text) <= DESCRIPTION_LIMIT, text
        message = translated.get(text)
        assert message is not None, text
        if len(str(message.string)) > DESCRIPTION_LIMIT:
            too_long.append((len(str(message.string)), message.string))
    assert not too_long, too_long
