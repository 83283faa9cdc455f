from __future__ import annotations

from datetime import UTC, datetime

from bot.routing.registry import looks_like_delegated, parse_delegated

NRO_EXTENDED = """\
2.3|nro|20240101|6|19830705|20231231|+0000
nro|*|asn|*|3|summary
nro|*|ipv4|*|2|summary
ripencc|KZ|asn|9198|1|19980507|allocated|ripencc|abc
ripencc|KZ|asn|29355|2|20030602|assigned|ripencc|def
ripencc||asn|64000|5|00000000|available|ripencc|
ripencc|KZ|ipv4|95.56.0.0|262144|20080905|allocated|ripencc|abc
ripencc|RU|ipv4|5.0.0.0|1000|20120101|allocated|ripencc|xyz
ripencc|KZ|ipv6|2a00:1a48::|29|20090101|allocated|ripencc|abc
ripencc|ZZ|ipv4|7.0.0.0|256|00000000|reserved|ripencc|
"""


def test_delegated_extended_keeps_allocated_and_assigned_only() -> None:
    lines = NRO_EXTENDED.splitlines()
    assert looks_like_delegated(lines)
    result = parse_delegated(lines)
    assert result.asn_country == {9198: "KZ", 29355: "KZ", 29356: "KZ"}
    assert result.date == datetime(2023, 12, 31, tzinfo=UTC)
    start = (95 << 24) | (56 << 16)
    assert (start, start + 262143, "KZ") in result.v4_ranges
    # 1000 addresses: not a power of two, kept as an exact range
    assert ((5 << 24), (5 << 24) + 999, "RU") in result.v4_ranges
    (v6,) = result.v6_ranges
    assert v6[2] == "KZ" and v6[1] - v6[0] == (1 << (64 - 29)) - 1
    assert not any(r[0] == 7 << 24 for r in result.v4_ranges)


def test_plain_delegated_and_not_delegated() -> None:
    plain = ["arin|US|asn|1|1|00000000|assigned", "arin|US|ipv4|3.0.0.0|16777216|19880223|assigned"]
    assert looks_like_delegated(plain)
    assert parse_delegated(plain).asn_country == {1: "US"}
    assert not looks_like_delegated(["1.0.0.0/24\t15169"])
    assert not looks_like_delegated(["9198 KAZTELECOM-AS, KZ"])
