"""DNS stage with two local dnspython-based servers that disagree, as a tampering resolver would."""

from __future__ import annotations

import ipaddress

import pytest

from bot.net.dns import Lookup, Nameserver, compare, resolve
from bot.reach.probe import check_target
from bot.reach.site import parse_target
from tests.fixtures.reach_lab import Lab


@pytest.mark.parametrize(
    ("text", "address", "port"),
    [
        ("8.8.8.8", "8.8.8.8", 53),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("2001:4860:4860::8888", "2001:4860:4860::8888", 53),
        ("[::1]:5353", "::1", 5353),
    ],
)
def test_nameserver_forms(text: str, address: str, port: int) -> None:
    assert Nameserver.parse(text) == Nameserver(address, port)


def test_nameserver_rejects_names() -> None:
    with pytest.raises(ValueError):
        Nameserver.parse("dns.google")


async def test_resolves_a_and_aaaa_from_a_local_server(lab: Lab) -> None:
    server = await lab.dns({"both.test": ["192.0.2.10", "2001:db8::10"]})
    lookup = await resolve("both.test", Nameserver("127.0.0.1", server.port), 2.0)
    assert lookup.addresses == ["192.0.2.10", "2001:db8::10"]
    assert lookup.error is None
    missing = await resolve("missing.test", Nameserver("127.0.0.1", server.port), 2.0)
    assert missing.error is not None and "NXDOMAIN" in missing.error


async def test_silent_resolver_times_out(lab: Lab) -> None:
    stall = await lab.stall()  # a TCP listener: nothing answers UDP on that port
    lookup = await resolve("x.test", Nameserver("127.0.0.1", stall.port), 0.3)
    assert lookup.error == "timeout"


async def test_system_resolver_is_the_operating_systems(lab: Lab) -> None:
    lookup = await resolve("localhost", None, 2.0)
    assert lookup.resolver == "system"
    assert set(lookup.addresses) & {"127.0.0.1", "::1"}


def _asn(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int | None:
    return 9198 if str(ip).startswith("95.56.") else None


@pytest.mark.parametrize(
    ("system", "control", "status"),
    [
        (Lookup("s", ["95.56.0.1"]), Lookup("c", ["95.56.0.1", "95.56.0.2"]), "consistent"),
        (Lookup("s", ["95.56.0.1"]), Lookup("c", ["95.56.9.9"]), "consistent"),
        (Lookup("s", ["10.0.0.1"]), Lookup("c", ["95.56.9.9"]), "inconsistent"),
        (Lookup("s", error="NXDOMAIN"), Lookup("c", ["95.56.9.9"]), "inconsistent"),
        (Lookup("s", ["95.56.0.1"]), Lookup("c", error="timeout"), "unknown"),
        (Lookup("s", error="x"), Lookup("c", error="y"), "failed"),
    ],
)
def test_ooni_style_comparison(system: Lookup, control: Lookup, status: str) -> None:
    assert compare(system, control, _asn)[0] == status


async def test_different_answers_with_the_control_address_working_is_a_dns_verdict(lab: Lab) -> None:
    server = await lab.web()
    config = await lab.config({"site.test": ["127.0.0.2"]}, {"site.test": ["127.0.0.1"]})
    report = await check_target(parse_target(f"http://site.test:{server.port}/"), config, None)
    assert report.dns is not None and report.dns.consistency == "inconsistent"
    assert report.verdict == "dns", report.reason
    assert "127.0.0.1" in report.reason and "works" in report.reason
    by_address = {str(a.address): a for a in report.addresses}
    assert by_address["127.0.0.2"].found_by == ["system"] and by_address["127.0.0.2"].outcome == "tcp"
    assert by_address["127.0.0.1"].found_by == ["control"] and by_address["127.0.0.1"].outcome == "reachable"


async def test_name_hidden_by_the_system_resolver_is_a_dns_verdict(lab: Lab) -> None:
    config = await lab.config({}, {"site.test": ["127.0.0.1"]})
    report = await check_target(parse_target("https://site.test/"), config, None)
    assert report.verdict == "dns"
    assert "NXDOMAIN" in report.reason and "127.0.0.1" in report.reason


async def test_agreeing_resolvers_and_a_working_site_are_reachable(lab: Lab) -> None:
    server = await lab.web()
    config = await lab.config({"site.test": ["127.0.0.1"]})
    report = await check_target(parse_target(f"http://site.test:{server.port}/"), config, None)
    assert report.verdict == "reachable"
    assert report.dns is not None and report.dns.consistency == "consistent"
    assert report.addresses[0].found_by == ["system", "control"]
