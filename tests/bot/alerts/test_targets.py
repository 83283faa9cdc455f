"""What can be watched, in which normal form, and how mute durations are read."""

from __future__ import annotations

import pytest

from bot.app.features.alerts.targets import parse_duration, parse_watch_target
from bot.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "kind", "target"),
    [
        ("AS9198", "asn", "AS9198"),
        ("as35673", "asn", "AS35673"),
        ("95.56.1.1/16", "prefix", "95.56.0.0/16"),
        ("2a00:5da0::/32", "prefix", "2a00:5da0::/32"),
        ("egov.kz", "site", "https://egov.kz/"),
    ],
)
def test_watchable_targets_are_normalised(text: str, kind: str, target: str) -> None:
    parsed = parse_watch_target(text)
    assert (parsed.kind, parsed.target) == (kind, target)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("AS64512", "private use"),
        ("AS23456", "AS_TRANS"),
        ("AS0", "reserved"),
        ("10.0.0.0/8", "private address space"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("0.0.0.0/0", "whole address space"),
        ("5.0.0.0/7", "too wide"),
        ("95.56.0.1", "single address"),
        ("http://127.0.0.1/", "loopback"),
        ("nonsense/99", "not a prefix"),
    ],
)
def test_unwatchable_targets_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        parse_watch_target(text)
    assert caught.value.example


def test_durations() -> None:
    assert [parse_duration(t) for t in ("30m", "6h", "2d", "1w", "90s")] == [1800, 21600, 172800, 604800, 90]
    for bad in ("6x", "", "-1h", "0h", "100d"):
        with pytest.raises(InvalidInput):
            parse_duration(bad)
