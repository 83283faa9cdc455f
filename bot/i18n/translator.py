"""One language's messages and number, date and country formatting, from gettext catalogues and CLDR."""

from __future__ import annotations

import enum
import gettext
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import get_decimal_symbol, get_group_symbol

DOMAIN = "silkroute"


class Language(enum.StrEnum):
    """The languages answers are written in; the value is the catalogue's folder and the CLDR locale."""

    EN = "en"
    RU = "ru"
    KK = "kk"

    @classmethod
    def parse(cls, raw: str) -> Language | None:
        """A language code as users and Discord write it ("ru", "RU", "kk-KZ", "en-US"), or None."""
        code = raw.strip().lower().replace("_", "-").split("-", 1)[0]
        return cls(code) if code in cls._value2member_map_ else None


def N_(message: str) -> str:
    """Marks a message for extraction where it is declared (command descriptions); translated where shown."""
    return message


class CountryName(str):
    """A country's English name that remembers its code, so a text naming a country (an outage alert stored
    once for servers of several languages) shows the reader's CLDR name for it ("Казахстан")."""

    code: str

    def __new__(cls, code: str, english: str) -> CountryName:
        name = super().__new__(cls, english)
        name.code = code
        return name


class Grouped(int):
    """A number a `Worded` text shows with grouped digits: "12,345" in English, the reader's grouping ("12 345")
    once worded (a template's own `{n:,}` would keep English commas in every language)."""

    def __format__(self, spec: str) -> str:
        return format(int(self), spec or ",")


class Worded(str):
    """A text that is its English wording and remembers its catalogue template and values.

    Whoever cannot know the reader's language (a monitor raising an alert for several servers, a parser
    raising an error) builds its text this way; whoever shows it words the template in the reader's
    language (`Translator.word`). The English text is what logs and stored records keep. A counted text
    (`Worded.counted`) keeps both plural forms, so each language picks its own form for the count.
    """

    template: str
    values: dict[str, Any]
    plural: str | None

    def __new__(cls, template: str, /, plural: str | None = None, **values: Any) -> Worded:
        count = values.get("count", 1)
        english = plural if plural is not None and count != 1 else template
        text = super().__new__(cls, english.format(**values))
        text.template, text.plural, text.values = template, plural, values
        return text

    @classmethod
    def counted(cls, forms: tuple[str, str], count: int, **values: Any) -> Worded:
        """A text with a `{count}`, in the form the count needs (forms from `NP_`)."""
        return cls(forms[0], forms[1], count=count, **values)

    @classmethod
    def joined(cls, parts: Sequence[str], separator: str = "\n") -> Worded:
        """Several texts as one (the lines of a `/status` section), each still worded on its own: the
        template is only placeholders, so it needs no catalogue entry."""
        template = separator.join(f"{{part{i}}}" for i in range(len(parts)))
        return cls(template, **{f"part{i}": part for i, part in enumerate(parts)})

    def to_json(self) -> list[Any]:
        """Template, values (a Worded value as {"worded": [...]}, a country as {"country": [code, name]}) and
        plural, for storing with an alert."""
        values = {k: _stored(v) for k, v in self.values.items()}
        return [self.template, values, self.plural]

    @classmethod
    def from_json(cls, stored: list[Any]) -> Worded:
        """A text stored by `to_json` (alert evidence); older records hold no plural."""
        template, values, *plural = stored
        restored = {k: _restored(v) for k, v in values.items()}
        return cls(template, plural[0] if plural else None, **restored)


def _stored(value: Any) -> Any:
    if isinstance(value, Worded):
        return {"worded": value.to_json()}
    if isinstance(value, CountryName):
        return {"country": [value.code, str(value)]}
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, dict) and "worded" in value:
        return Worded.from_json(value["worded"])
    if isinstance(value, dict) and "country" in value:
        return CountryName(*value["country"])
    return value


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a counted message's two English forms for extraction (`Worded.counted` takes them)."""
    return singular, plural


def load_catalogue(language: Language) -> gettext.NullTranslations:
    """The language's `.po` file compiled in memory: no build step, and a fuzzy entry never reaches users."""
    if language is Language.EN:
        return gettext.NullTranslations()
    po = resources.files("bot") / "locale" / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language.value, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Translator:
    """Messages and formatting of one language; passed explicitly to whatever words an answer."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.locale = Locale.parse(language.value)
        self._catalogue = load_catalogue(language)
        self._decimal: str = get_decimal_symbol(self.locale)
        self._group: str = get_group_symbol(self.locale)
        pattern = self.locale.percent_formats[None]
        self._percent_prefix: str = pattern.prefix[0]
        self._percent_suffix: str = pattern.suffix[0]

    def gettext(self, message: str) -> str:
        return self._catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form for `count` by the language's own plural rule (1 префикс, 2 префикса, 5 префиксов)."""
        return self._catalogue.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        """A message whose translation depends on where it is used (a slash command's name vs. a word)."""
        return self._catalogue.pgettext(context, message)

    def word(self, text: str) -> str:
        """A `Worded` text in this language (and its Worded values: optional clauses), a `CountryName` by its
        CLDR name; any other text as it is (it has no template to translate)."""
        if self.language is Language.EN:
            return text
        if isinstance(text, CountryName):
            return self.country(text.code, text)
        if not isinstance(text, Worded):
            return text
        values = {name: self._worded_value(v) for name, v in text.values.items()}
        if text.plural is not None:
            return self.ngettext(text.template, text.plural, text.values["count"]).format(**values)
        return self.gettext(text.template).format(**values)

    def _worded_value(self, value: Any) -> Any:
        if isinstance(value, Grouped):
            return self.number(value)
        return self.word(value) if isinstance(value, str) else value

    def number(self, value: float, digits: int = 0) -> str:
        """Grouped digits as the language writes them (1,234.5 / 1 234,5)."""
        return self._localise_digits(f"{value:,.{digits}f}")

    def percent(self, share: float, digits: int = 1, *, signed: bool = False) -> str:
        """A share as a percentage the way the locale writes it ("98,4 %", "98,4%"); `signed` adds "+".

        English keeps the house style its answers always had ("98.4 %"), so scripts reading text don't break.
        """
        text = f"{100 * share:{'+' if signed else ''},.{digits}f}"
        if self.language is Language.EN:
            return text + " %"
        sign = text[0] if text[0] in "+-" else ""
        return (
            sign
            + self._percent_prefix
            + self._localise_digits(text.removeprefix(sign))
            + self._percent_suffix
        )

    def _localise_digits(self, text: str) -> str:
        """Python's "1,234.5" with the locale's group and decimal symbols (CLDR), without Babel's slower
        pattern machinery: answers format hundreds of numbers and percentages each."""
        return text.replace(",", "\0").replace(".", self._decimal).replace("\0", self._group)

    def date(self, day: date | datetime) -> str:
        """A date as the language writes it; English keeps ISO 8601, which engineers read everywhere."""
        if self.language is Language.EN:
            return day.strftime("%Y-%m-%d")
        return format_date(day, "medium", locale=self.locale)

    def datetime(self, moment: datetime) -> str:
        """A UTC date and time: the language's date, 24 h time, and "UTC" (alerts and sources are in UTC)."""
        moment = moment.astimezone(UTC)
        return f"{self.date(moment)} {moment.strftime('%H:%M')} UTC"

    def age(self, delta: timedelta) -> str:
        """How old data is, in the coarsest unit that still tells the reader something ("3 h old")."""
        seconds = int(delta.total_seconds())
        if seconds < 0:
            return self.gettext("in the future")
        for template, size in (
            (N_("{count} d old"), 86400),
            (N_("{count} h old"), 3600),
            (N_("{count} min old"), 60),
        ):
            if seconds >= size:
                return self.gettext(template).format(count=seconds // size)
        return self.gettext("{count} s old").format(count=seconds)

    def duration(self, delta: timedelta) -> str:
        """A span in its coarsest useful unit ("3 h", "3 ч"), as uptime is written."""
        seconds = max(0, int(delta.total_seconds()))
        for template, size in ((N_("{count} d"), 86400), (N_("{count} h"), 3600), (N_("{count} min"), 60)):
            if seconds >= size:
                return self.gettext(template).format(count=seconds // size)
        return self.gettext("{count} s").format(count=seconds)

    def country(self, code: str, fallback: str) -> str:
        """A country's name from CLDR in this language; `fallback` (the registry's English name) otherwise."""
        if self.language is Language.EN:
            return fallback
        name = self.locale.territories.get(code.upper())
        return name if isinstance(name, str) else fallback


@cache
def translator(language: Language) -> Translator:
    """One translator per language for the whole process (catalogues are read once)."""
    return Translator(language)


ENGLISH = translator(Language.EN)
