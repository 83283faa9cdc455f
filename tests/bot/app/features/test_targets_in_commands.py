"""One parser per kind of target: /lookup and /transit accept and refuse the same texts with the same words."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app.commands import Caller, Context
from bot.app.features.lookup.command import lookup
from bot.app.features.transit.command import transit
from bot.app.targets import HostResolver, parse_asn
from bot.core.errors import InvalidInput
from bot.core.settings import Settings
from bot.net.dns import Nameserver
from bot.routing.snapshot import Snapshot
from tests.helpers import make_services
from tests.local_dns import serving_dns

IDN = "қазақстан.kz"
IDN_ASCII = "xn--80aaa0a6awh12ed.kz."


@pytest.mark.parametrize("text", ["AS9198", "as9198", "9198", "AS 9198", " As9198 "])
def test_every_as_spelling_is_one_asn(text: str) -> None:
    assert parse_asn(text) == 9198


@pytest.mark.parametrize("text", ["AS0", "AS4294967296", "AS64512", "AS23456", "AS4200000000", "AS65535"])
def test_unusable_asns_get_one_message(text: str) -> None:
    with pytest.raises(InvalidInput, match="is not a public network's AS number") as caught:
        parse_asn(text, "watch add")
    assert caught.value.example == "/watch add target:AS9198"


def test_not_as_shaped_is_none() -> None:
    assert parse_asn("AS9198x") is None and parse_asn("nur.kz") is None


@pytest.mark.parametrize(
    "target",
    [
        "AS0",
        "AS4294967296",
        "AS64512",
        "0.0.0.0/0",
        "::/0",
        "10.0.0.0/8",
        "224.0.0.1",
        "2001:db8::/32",
        "1.2.3",
        "95.56.0.0/33",
        "http://[::1",
        "bad_name!.kz",
        "https://10.1.2.3/",
    ],
)
async def test_lookup_and_transit_agree(real_snapshot: Snapshot, target: str) -> None:
    ctx = Context(make_services(Settings(), snapshot=real_snapshot), Caller("t", False))
    with pytest.raises(InvalidInput) as by_lookup:
        await lookup(real_snapshot, target, None)
    with pytest.raises(InvalidInput) as by_transit:
        await transit(ctx, target)
    assert by_lookup.value.message == by_transit.value.message
    assert str(by_lookup.value.example).startswith("/lookup target:")
    assert str(by_transit.value.example).startswith("/transit target:")


@pytest.fixture
async def idn_dns() -> AsyncIterator[int]:
    """қазақстан.kz (in its IDNA form) A 95.56.7.7, anything else NXDOMAIN."""
    async for port in serving_dns({IDN_ASCII.rstrip("."): ["95.56.7.7"]}):
        yield port


async def test_an_idn_works_in_lookup_and_transit(
    real_snapshot: Snapshot, idn_dns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = await lookup(real_snapshot, IDN, HostResolver(Nameserver("127.0.0.1", idn_dns)))
    assert answer.data["domain"] == IDN_ASCII.rstrip(".") and answer.data["asn"] == 9198
    monkeypatch.setenv("SILKROUTE_OFFLINE", "0")
    monkeypatch.setenv("SILKROUTE_SYSTEM_RESOLVER", f"127.0.0.1:{idn_dns}")
    ctx = Context(make_services(Settings(), snapshot=real_snapshot), Caller("t", False))
    by_transit = await transit(ctx, f"https://{IDN}/")
    assert by_transit.data["asn"] == 9198 and by_transit.data["resolved_from"]["addresses"] == ["95.56.7.7"]
