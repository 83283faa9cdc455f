"""Errors reach the user in the asker's language, including those raised where the language is unknown."""

from __future__ import annotations

import pytest

from bot.app.answer import BadInput, CommandError
from bot.app.catalog import build_registry
from bot.app.commands import Caller, Context
from bot.app.runner import answer_line
from bot.i18n import ENGLISH, Language, Worded, translator
from tests.helpers import make_services

RU, KK = translator(Language.RU), translator(Language.KK)


async def error_of(line: str, language: Language) -> CommandError:
    ctx = Context(make_services(), Caller("asker", can_manage=True), tr=translator(language))
    _, result = await answer_line(line, build_registry(), ctx)
    assert isinstance(result, CommandError)
    return result


@pytest.mark.parametrize(
    ("line", "russian"),
    [
        ("/transit target:AS0", "AS0 — не номер АС публичной сети"),  # raised by the shared target parser
        ("/lookup target:10.0.0.1/33", "'10.0.0.1/33' — некорректный IP-адрес или префикс"),
        ("/watch add target:95.56.0.1", "95.56.0.1 — одиночный адрес"),
        ("/help command:nope", "Нет команды `nope`."),  # raised by the handler with the context's translator
        ("/transit rows:x", "Параметр `rows` принимает целое число"),  # raised by the command-line parser
    ],
)
async def test_bad_input_is_worded_in_the_askers_language_with_its_example(line: str, russian: str) -> None:
    error = await error_of(line, Language.RU)
    assert isinstance(error, BadInput)
    text = error.user_text(RU)
    assert text.startswith(russian), text
    assert " Пример: /" in text and error.to_json(RU)["kind"] == "bad_input"


async def test_the_english_text_stays_the_stored_message_whatever_language_shows_it() -> None:
    error = await error_of("/transit target:AS0", Language.KK)
    assert error.message.startswith("AS0 is not a public network's AS number")
    assert error.user_text(KK).startswith("AS0 — жария желінің АЖ нөмірі емес")
    assert error.user_text(ENGLISH) == error.user_text()


def test_worded_text_is_english_until_a_translator_words_it() -> None:
    text = Worded("{site} is down", site="egov.kz")
    assert text == "egov.kz is down" and ENGLISH.word(text) == "egov.kz is down"
    assert RU.word(text) == "egov.kz недоступен" and KK.word(text) == "egov.kz қолжетімсіз"
    assert RU.word("plain text has no template") == "plain text has no template"
