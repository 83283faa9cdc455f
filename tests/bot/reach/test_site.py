from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.reach.site import parse_target


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


@pytest.mark.parametrize("text", ["http://[::1", "[::1", "https://[nur.kz]/", "http://[::1]x/"])
def test_malformed_urls_are_bad_input_not_a_crash(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_target(text)
    assert caught.value.example is not None
    parse_target(caught.value.example)
