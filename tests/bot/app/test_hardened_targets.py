"""Texts an adversarial user tried (issue 12), through the shared parsers every command uses."""

from __future__ import annotations

import pytest

from bot.app.answer import BadInput
from bot.app.catalog import build_registry
from bot.app.commands import parse_command_line
from bot.app.features.alerts.targets import parse_duration, parse_watch_target
from bot.app.targets import AsTarget, NetworkTarget, parse_asn, parse_network, parse_site, parse_target
from bot.core.errors import InvalidInput
from bot.net.hosts import normalise_host


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x5f.0x38.0.1", "95.56.0.1"),
        ("localhost", "127.0.0.1"),
        ("Api.LocalHost.", "127.0.0.1"),
    ],
)
def test_addresses_in_disguise_become_the_address_before_any_lookup(host: str, address: str) -> None:
    assert normalise_host(host) == address


@pytest.mark.parametrize("host", ["1.256.1", "4294967296", "08", "nur.0"])
def test_a_numeric_top_level_label_is_a_mistyped_address_not_a_name(host: str) -> None:
    with pytest.raises(InvalidInput, match="not a valid IP address or host name"):
        normalise_host(host)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("http:/127.0.0.1", r"missing a slash after http: \(write http://127.0.0.1\)"),
        ("javascript:alert(1)", "Only http and https can be checked, not javascript:"),
        ("data:text/html,hi", "Only http and https can be checked, not data:"),
    ],
)
def test_urls_with_other_or_broken_schemes_say_so(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_site(text)


def test_host_port_still_reads_as_a_port() -> None:
    assert parse_site("nur.kz:8080/x").url == "http://nur.kz:8080/x"


def test_asdot_and_ascii_digits() -> None:
    assert parse_asn("AS0.9198") == 9198
    assert parse_asn("as3.1") == 196609
    assert parse_target("AS0.9198", "lookup") == AsTarget(9198)
    assert parse_asn("AS٩١٩٨") is None  # not AS9198: Arabic-Indic digits are no AS number
    with pytest.raises(BadInput, match="both halves go up to 65535"):
        parse_asn("AS65536.1")
    with pytest.raises(BadInput, match="not an AS number"):
        parse_asn("AS-1")


def test_ipv4_mapped_ipv6_is_answered_for_the_ipv4_inside() -> None:
    assert str(parse_network("::ffff:95.56.0.1", "lookup")) == "95.56.0.1/32"
    assert str(parse_network("::ffff:95.56.0.0/112", "lookup")) == "95.56.0.0/16"
    target = parse_target("::ffff:95.56.0.1", "lookup")
    assert isinstance(target, NetworkTarget) and target.address == "95.56.0.1"


@pytest.mark.parametrize(
    "text", ["AS-1", "localhost", "http://localhost/", "0x7f.1", "http://2130706433/", "intranet"]
)
def test_watch_refuses_what_lookup_and_reach_refuse(text: str) -> None:
    with pytest.raises(BadInput):
        parse_watch_target(text)


def test_a_mute_lasts_at_least_a_minute_in_ascii_digits() -> None:
    assert parse_duration("1m") == 60
    for text in ("0.00001s", "59s", "٥m"):
        with pytest.raises(BadInput):
            parse_duration(text)


def test_a_leading_bom_and_non_ascii_numbers_in_options() -> None:
    registry = build_registry()
    assert parse_command_line("\ufeff/help", registry).spec.name == "help"
    spec = next(s for s in registry for o in s.options if o.type is int)
    option = next(o for o in spec.options if o.type is int)
    with pytest.raises(BadInput, match="whole number"):
        option.convert("٥", spec.example)
