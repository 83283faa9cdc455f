from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.routing.asnames import (
    date_from_name,
    looks_like_asn_txt,
    looks_like_asnames_json,
    parse_asn_txt,
    parse_asnames_json,
)


def test_json_names_split_trailing_country() -> None:
    text = json.dumps(
        {"9198": "KAZTELECOM-AS JSC Kazakhtelecom, KZ", "7": "The Defence Science Lab", "x": "y"}
    )
    assert looks_like_asnames_json(text)
    names = parse_asnames_json(text)
    assert names.names == {9198: "KAZTELECOM-AS JSC Kazakhtelecom", 7: "The Defence Science Lab"}
    assert names.countries == {9198: "KZ"}


def test_asn_txt_lines() -> None:
    lines = ["9198 KAZTELECOM-AS, KZ", "29355 KCELL-AS, KZ", "65000 SOMETHING, ZZ", ""]
    assert looks_like_asn_txt(lines)
    names = parse_asn_txt(lines)
    assert names.names[29355] == "KCELL-AS"
    assert names.countries == {9198: "KZ", 29355: "KZ"}
    assert names.names[65000] == "SOMETHING, ZZ"  # ZZ is "unknown", not a country
    assert not looks_like_asn_txt(["1.0.0.0/24\t15169"])
    assert not looks_like_asnames_json("[1, 2]")


def test_date_from_name() -> None:
    assert date_from_name("asnames-libloc.20221029.json.gz") == datetime(2022, 10, 29, tzinfo=UTC)
    assert date_from_name("asn-2024-03-01.txt") == datetime(2024, 3, 1, tzinfo=UTC)
    assert date_from_name("asnames-pyasn.2016.json.gz") is None  # a year alone is no date
    assert date_from_name("names.20221399.json") is None  # eight digits, but no calendar date
    assert date_from_name("asnames.txt") is None
