"""ISO 3166-1 country names, so users can ask about "Kazakhstan" or "russia" as well as "KZ".

The table is Debian's iso-codes ISO 3166-1 list (the data pycountry wraps), shipped as package data
so the bot needs no extra dependency for ~250 static names. RIR files also use a few non-ISO codes
(EU, AP) and we use ZZ for "no registration country"; those get names here too.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

UNKNOWN_COUNTRY = "ZZ"
"""Code for an AS with no registration country (ZZ is ISO's user-assigned 'unknown' code)."""

_EXTRA_NAMES = {
    "EU": ("European Union (RIR region code)",),
    "AP": ("Asia/Pacific (RIR region code)",),
    UNKNOWN_COUNTRY: ("unregistered (no registration country)",),
}
# Everyday names the ISO table does not carry in any of its name fields.
_ALIASES = {
    "russia": "RU",
    "britain": "GB",
    "great britain": "GB",
    "uk": "GB",
    "usa": "US",
    "america": "US",
    "turkey": "TR",
    "czechia": "CZ",
    "czech republic": "CZ",
    "holland": "NL",
    "ivory coast": "CI",
}


@dataclass(frozen=True, slots=True)
class Country:
    """One country: its code and every name a user may type for it (first one is shown)."""

    code: str
    names: tuple[str, ...]
    alpha_3: str = ""

    @property
    def name(self) -> str:
        return self.names[0]

    def label(self) -> str:
        """What autocomplete offers; `find_country` reads it back."""
        return f"{self.name} ({self.code})"


@cache
def countries() -> dict[str, Country]:
    """All countries by upper-case alpha-2 code, loaded once from the shipped JSON."""
    text = resources.files("bot.routing").joinpath("iso3166-1.json").read_text(encoding="utf-8")
    table: dict[str, Country] = {}
    for entry in json.loads(text)["countries"]:
        names = [entry.get("common_name"), entry["name"], entry.get("official_name")]
        table[entry["alpha_2"]] = Country(entry["alpha_2"], tuple(n for n in names if n), entry["alpha_3"])
    for code, extra in _EXTRA_NAMES.items():
        table[code] = Country(code, extra)
    return table


@cache
def _by_name() -> dict[str, str]:
    """Every typed form (names, alpha-3 codes, aliases) folded to lower case, mapped to alpha-2."""
    index = dict(_ALIASES)
    for country in countries().values():
        for name in (*country.names, country.alpha_3):
            if name:
                index.setdefault(name.casefold(), country.code)
    return index


def country_name(code: str | None) -> str:
    """Display name of a code; an unknown code is shown as itself rather than hidden."""
    if code is None:
        return countries()[UNKNOWN_COUNTRY].name
    country = countries().get(code.upper())
    return country.name if country else code


def find_country(text: str) -> Country | None:
    """A country from a code (KZ, KAZ), a name in any case, or an autocomplete label "Kazakhstan (KZ)"."""
    cleaned = text.strip()
    if cleaned.endswith(")") and "(" in cleaned:
        cleaned = cleaned.rsplit("(", 1)[1].rstrip(")").strip()
    table = countries()
    if len(cleaned) == 2 and cleaned.upper() in table and cleaned.upper() != UNKNOWN_COUNTRY:
        return table[cleaned.upper()]
    code = _by_name().get(cleaned.casefold())
    return table[code] if code else None


def suggest_countries(text: str, limit: int = 3) -> list[str]:
    """Close names for a misspelt country, for the error message."""
    names = list(_by_name())
    matches = difflib.get_close_matches(text.strip().casefold(), names, n=limit, cutoff=0.6)
    return list(dict.fromkeys(countries()[_by_name()[m]].label() for m in matches))


def complete_countries(prefix: str, limit: int = 25) -> list[str]:
    """Labels for autocomplete: code matches first, then names starting with the text, then containing it."""
    needle = prefix.strip().casefold()
    real = [c for c in countries().values() if c.code not in _EXTRA_NAMES]
    if not needle:
        return [c.label() for c in sorted(real, key=lambda c: c.name)][:limit]
    ranked: list[tuple[int, str, Country]] = []
    for country in real:
        folded = [n.casefold() for n in country.names]
        if country.code.casefold() == needle:
            rank = 0
        elif any(n.startswith(needle) for n in folded):
            rank = 1
        elif any(needle in n for n in folded):
            rank = 2
        else:
            continue
        ranked.append((rank, country.name, country))
    return [c.label() for _, _, c in sorted(ranked, key=lambda r: (r[0], r[1]))][:limit]
