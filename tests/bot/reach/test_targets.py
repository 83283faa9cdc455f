from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.reach.targets import normalise_host, parse_target, parse_targets


@pytest.mark.parametrize(
    ("text", "scheme", "host", "port", "url"),
    [
        ("nur.kz", "https", "nur.kz", 443, "https://nur.kz/"),
        ("https://kaspi.kz/shop?q=1", "https", "kaspi.kz", 443, "https://kaspi.kz/shop?q=1"),
        ("http://Egov.KZ", "http", "egov.kz", 80, "http://egov.kz/"),
        ("95.56.0.1:8443", "https", "95.56.0.1", 8443, "https://95.56.0.1:8443/"),
        ("95.56.0.1:8080", "http", "95.56.0.1", 8080, "http://95.56.0.1:8080/"),
        ("2a00:12f8::1", "https", "2a00:12f8::1", 443, "https://[2a00:12f8::1]/"),
        ("[2a00:12f8::1]:8443", "https", "2a00:12f8::1", 8443, "https://[2a00:12f8::1]:8443/"),
        ("қазақстан.kz", "https", "xn--80aaa0a6awh12ed.kz", 443, "https://xn--80aaa0a6awh12ed.kz/"),
    ],
)
def test_parses_domains_urls_and_addresses(text: str, scheme: str, host: str, port: int, url: str) -> None:
    target = parse_target(text)
    assert (target.scheme, target.host, target.port, target.url) == (scheme, host, port, url)


def test_splits_on_spaces_and_commas_and_drops_duplicates() -> None:
    targets = parse_targets("nur.kz kaspi.kz,egov.kz , nur.kz")
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
    with pytest.raises(InvalidInput) as caught:
        parse_targets(text)
    assert words in caught.value.message
    assert caught.value.example is not None
    parse_targets(caught.value.example.split(":", 1)[1].strip('"'))


@pytest.mark.parametrize("text", ["http://[::1", "[::1", "https://[nur.kz]/", "http://[::1]x/"])
def test_malformed_urls_are_bad_input_not_a_crash(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_target(text)
    assert caught.value.example is not None
    parse_targets(caught.value.example.split(":", 1)[1].strip('"'))


@pytest.mark.parametrize(
    ("host", "canonical"),
    [
        ("Kaspi.KZ.", "kaspi.kz"),
        (" қазақстан.kz ", "xn--80aaa0a6awh12ed.kz"),
        ("[2A00:12F8::1]", "2a00:12f8::1"),
        ("95.56.0.1", "95.56.0.1"),
    ],
)
def test_normalise_host_gives_the_canonical_form(host: str, canonical: str) -> None:
    assert normalise_host(host) == canonical


@pytest.mark.parametrize("host", ["", "bad_name!.kz", "[::1", "a" * 64 + ".kz", "nur.kz/path"])
def test_normalise_host_refuses_with_the_callers_example(host: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_host(host, example="/lookup query:nur.kz")
    assert caught.value.example == "/lookup query:nur.kz"
