"""Host names and address literals in their canonical form (the foundation every target parser uses)."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.net.hosts import normalise_host


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
