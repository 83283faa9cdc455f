"""AS names from pyasn's JSON `as_names_file` or RIPE's `asn.txt` (`ASN NAME, CC` lines).

Both styles often end a name with `, CC`: that is the AS's registration country, kept apart from the name so
it can stand in for a registry file that does not list the AS.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

_TRAILING_CC = re.compile(r"^(?P<name>.*\S),\s*(?P<cc>[A-Z]{2})$")
_ASN_TXT_LINE = re.compile(r"^(?:AS)?(?P<asn>\d+)\s+(?P<name>\S.*)$")
_NAME_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)-?(?P<m>[01]\d)-?(?P<d>[0-3]\d)(?!\d)")


@dataclass(slots=True)
class AsNames:
    """Names without their country suffix, and the countries the suffixes gave."""

    names: dict[int, str] = field(default_factory=dict)
    countries: dict[int, str] = field(default_factory=dict)

    def add(self, asn: int, raw_name: str) -> None:
        raw_name = raw_name.strip()
        match = _TRAILING_CC.match(raw_name)
        if match and match["cc"] != "ZZ":
            self.names[asn] = match["name"]
            self.countries[asn] = match["cc"]
        elif raw_name:
            self.names[asn] = raw_name

    def merge(self, other: AsNames) -> None:
        self.names.update(other.names)
        self.countries.update(other.countries)


def date_from_name(filename: str) -> datetime | None:
    """The date a names file's name carries (`asnames-libloc.20221029.json.gz`): the files hold none inside."""
    for match in _NAME_DATE.finditer(filename):
        try:
            return datetime(int(match["y"]), int(match["m"]), int(match["d"]), tzinfo=UTC)
        except ValueError:
            continue  # eight digits that are no calendar date
    return None


def looks_like_asnames_json(text_head: str) -> bool:
    """A JSON object whose first key is a number: pyasn's names file (checked on the head only)."""
    return re.match(r'^\s*\{\s*"\d+"\s*:\s*"', text_head) is not None


def looks_like_asn_txt(lines: Iterable[str]) -> bool:
    """Every sampled line is `ASN NAME...`; IPASN lines (`1.0.0.0/24<TAB>15169`) do not start with an ASN."""
    sample = [line for line in lines if line.strip()][:20]
    return bool(sample) and all(_ASN_TXT_LINE.match(line.strip()) for line in sample)


_JSON_PAIR = re.compile(r'"(?P<asn>[0-9]+)"\s*:\s*(?P<name>"(?:[^"\\]|\\.)*")')


def parse_asnames_json(text: str, *, cut: bool = False) -> AsNames:
    """The names of a pyasn JSON file; of a `cut` one (a truncated download), every complete entry.

    A complete file that is not valid JSON raises ValueError: silently salvaging it would hide corruption.
    """
    result = AsNames()
    try:
        loaded = json.loads(text)
    except ValueError as exc:
        if not cut:
            raise ValueError(f"it is not valid JSON ({exc})") from None
        for match in _JSON_PAIR.finditer(text):
            with contextlib.suppress(ValueError):  # a bad escape costs that entry only
                result.add(int(match["asn"]), json.loads(match["name"]))
        return result
    if not isinstance(loaded, dict):
        raise ValueError("AS names JSON must be an object of ASN -> name")
    for key, value in loaded.items():
        if str(key).isascii() and str(key).isdigit() and isinstance(value, str):
            result.add(int(key), value)
    return result


def parse_asn_txt(lines: Iterable[str]) -> AsNames:
    result = AsNames()
    for line in lines:
        match = _ASN_TXT_LINE.match(line.strip())
        if match:
            result.add(int(match["asn"]), match["name"])
    return result
