"""The translator's plural forms, numbers, percentages, dates and country names, per language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.i18n import ENGLISH, CountryName, Grouped, Language, Worded, translator

RU = translator(Language.RU)
KK = translator(Language.KK)
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("count", "form"),
    [(1, "префикс"), (2, "префикса"), (4, "префикса"), (5, "префиксов"), (11, "префиксов"), (21, "префикс")],
)
def test_russian_plural_forms_follow_the_catalogue_header(count: int, form: str) -> None:
    text = RU.ngettext("{count} IPv6 prefix", "{count} IPv6 prefixes", count).format(count=count)
    assert text == f"{count} {form} IPv6"


def test_kazakh_nouns_stay_singular_after_numbers_and_english_keeps_its_two_forms() -> None:
    assert [KK.ngettext("{count} row", "{count} rows", n).format(count=n) for n in (1, 5)] == [
        "1 жол",
        "5 жол",
    ]
    assert [ENGLISH.ngettext("{count} row", "{count} rows", n).format(count=n) for n in (1, 5)] == [
        "1 row",
        "5 rows",
    ]


def test_percentages_and_numbers_are_written_as_each_locale_writes_them() -> None:
    assert RU.percent(0.98412) == f"98,4{NBSP}%"
    assert KK.percent(0.98412) == "98,4%"
    assert ENGLISH.percent(0.98412) == "98.4 %"  # the house style English answers always had
    assert (
        RU.percent(-0.012, signed=True) == f"-1,2{NBSP}%" and RU.percent(0.012, signed=True) == f"+1,2{NBSP}%"
    )
    assert RU.number(1234567) == f"1{NBSP}234{NBSP}567"
    assert ENGLISH.number(1234567) == "1,234,567"


def test_dates_country_names_and_ages_come_from_cldr_and_the_catalogue() -> None:
    moment = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    assert ENGLISH.datetime(moment) == "2026-11-30 14:05 UTC"
    assert RU.datetime(moment) == "30 нояб. 2026\u202fг. 14:05 UTC"  # CLDR: a narrow no-break space
    assert KK.date(moment) == "2026\u202fж. 30 қар."
    assert (RU.country("KZ", "Kazakhstan"), KK.country("KZ", "Kazakhstan")) == ("Казахстан", "Қазақстан")
    assert ENGLISH.country("KZ", "Kazakhstan") == "Kazakhstan"
    assert RU.country("XQ", "unregistered") == "unregistered"  # no CLDR name: the registry's name stays
    assert RU.age(timedelta(hours=3, minutes=5)) == "3 ч назад"
    assert KK.age(timedelta(days=2)) == "2 күн бұрын"


@pytest.mark.parametrize(
    ("raw", "language"), [("ru", Language.RU), ("KK", Language.KK), ("en-US", Language.EN)]
)
def test_language_codes_are_read_as_users_and_discord_write_them(raw: str, language: Language) -> None:
    assert Language.parse(raw) is language


def test_an_unknown_language_code_is_not_guessed() -> None:
    assert Language.parse("de") is None


def test_a_counted_worded_text_takes_each_languages_plural_form_even_after_storage() -> None:
    forms = ("{count} alert for {target}", "{count} alerts for {target}")
    five, one = Worded.counted(forms, 5, target="AS9198"), Worded.counted(forms, 1, target="AS9198")
    assert (five, one) == ("5 alerts for AS9198", "1 alert for AS9198")
    assert RU.word(five) == "5 оповещений для AS9198" and RU.word(one) == "1 оповещение для AS9198"
    assert RU.word(Worded.from_json(five.to_json())) == "5 оповещений для AS9198"
    assert KK.word(five) == "AS9198 үшін 5 ескерту"


def test_a_country_named_in_a_stored_text_is_shown_by_its_cldr_name() -> None:
    """Outage alerts are stored once in English and posted to servers of several languages."""
    label = Worded("{country} ({code})", country=CountryName("KZ", "Kazakhstan"), code="KZ")
    title = Worded("{target}: possible national outage", target=label)
    stored = Worded.from_json(json.loads(json.dumps(title.to_json())))
    assert stored == "Kazakhstan (KZ): possible national outage"
    assert RU.word(stored).startswith("Казахстан (KZ)") and KK.word(stored).startswith("Қазақстан (KZ)")
    assert ENGLISH.word(stored) == "Kazakhstan (KZ): possible national outage"


def test_grouped_numbers_in_a_worded_text_take_the_readers_digit_grouping() -> None:
    text = Worded(
        "{count} dated recordings from {first} to {last} ({points} points, {size} bytes, {per_point} bytes per point)",
        count=3,
        first="2014-05-23",
        last="2024-01-01",
        points=Grouped(1234),
        size=Grouped(1234567),
        per_point=Grouped(1000),
    )
    assert "(1,234 points, 1,234,567 bytes, 1,000 bytes per point)" in text
    russian = RU.word(text)
    assert f"точек: {RU.number(1234)}, байт: {RU.number(1234567)}" in russian and "1,234" not in russian


def test_worded_values_are_worded_too_so_optional_clauses_follow_the_language() -> None:
    text = Worded("{title} (cont.)", title=Worded("{site} is down", site="egov.kz"))
    assert text == "egov.kz is down (cont.)"
    assert (
        RU.word(text) == "egov.kz недоступен (продолж.)" and KK.word(text) == "egov.kz қолжетімсіз (жалғасы)"
    )
