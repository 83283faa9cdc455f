"""The shared target parser: `/reach`'s site lists and the classification `/lookup`, `/transit`, `/watch` use."""

from __future__ import annotations

import pytest

from bot.app.answer import BadInput
from bot.app.targets import (
    AsTarget,
    CountryTarget,
    DomainTarget,
    NetworkTarget,
    parse_sites,
    parse_target,
)


def test_splits_on_spaces_and_commas_and_drops_duplicates() -> None:
    targets = parse_sites("nur.kz kaspi.kz,egov.kz , nur.kz")
    assert [t.host for t in targets] == ["nur.kz", "kaspi.kz", "egov.kz"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ftp://nur.kz", "Only http and https"),
        ("nur.kz:99999", "invalid port"),
        ("nur.kz:0", "invalid port"),
        ("nur.kz:http", "invalid port"),
        ("", "Give a domain"),
        (" , ", "Give a domain"),
        (" ".join(f"site{i}.kz" for i in range(11)), "At most 10"),
        ("https://user:pw@nur.kz/", "passwords"),
        ("bad_name!.kz", "not a valid host"),
        ("https:///path", "no host"),
    ],
)
def test_bad_input_explains_and_gives_a_working_example(text: str, words: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_sites(text)
    assert words in caught.value.message
    assert caught.value.example is not None
    parse_sites(caught.value.example.split(":", 1)[1].strip('"'))


@pytest.mark.parametrize(
    ("text", "countries", "expected"),
    [
        ("AS 9198", False, AsTarget(9198)),
        ("kazakhstan", True, CountryTarget("KZ")),
        ("kazakhstan", False, None),
        ("Kaspi.KZ.", False, DomainTarget("kaspi.kz")),
        ("https://қазақстан.kz/news", False, DomainTarget("xn--80aaa0a6awh12ed.kz")),
        ("word", False, None),
    ],
)
def test_one_parser_classifies_every_commands_targets(text: str, countries: bool, expected: object) -> None:
    assert parse_target(text, "lookup", countries=countries) == expected


def test_addresses_and_prefixes_say_how_they_were_written() -> None:
    address = parse_target("95.56.0.1", "watch add")
    prefix = parse_target("95.56.0.0/16", "watch add")
    from_url = parse_target("https://95.56.0.1:8443/", "lookup")
    assert isinstance(address, NetworkTarget) and not address.as_prefix and address.address == "95.56.0.1"
    assert isinstance(prefix, NetworkTarget) and prefix.as_prefix and str(prefix.network) == "95.56.0.0/16"
    assert isinstance(from_url, NetworkTarget) and from_url.address == "95.56.0.1"


@pytest.mark.parametrize(
    ("text", "words"),
    [("AS64512", "private use"), ("10.0.0.0/8", "private"), ("bad_name!.kz", "not a valid host")],
)
def test_unusable_targets_are_refused_with_the_commands_example(text: str, words: str) -> None:
    with pytest.raises(BadInput, match=words) as caught:
        parse_target(text, "transit")
    assert caught.value.example is not None and caught.value.example.startswith("/transit target:")
