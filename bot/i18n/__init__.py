"""Languages of the people who use the bot: gettext catalogues plus Babel's CLDR formatting.

A `Translator` is handed explicitly to whatever words an answer (`Context.tr`), so one process can answer a
Russian user, a Kazakh channel and an English script at the same time without global state. The catalogues
are `.po` files read at first use (no build step); English is the source language and needs none.
"""

from __future__ import annotations

from bot.i18n.translator import (
    ENGLISH,
    N_,
    NP_,
    CountryName,
    Grouped,
    Language,
    Translator,
    Worded,
    translator,
)

__all__ = ["ENGLISH", "NP_", "N_", "CountryName", "Grouped", "Language", "Translator", "Worded", "translator"]
