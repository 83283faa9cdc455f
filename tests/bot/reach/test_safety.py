"""The default policy refuses every non-public class, whether typed literally or returned by DNS."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from bot.net.address_safety import ALLOWED_PORTS, SafetyPolicy
from bot.reach import probe
from bot.reach.probe import check_target
from bot.reach.site import parse_target
from tests.fixtures.reach_lab import Lab

UNSAFE = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.10.1", "link-local"),
    ("fe80::1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("::ffff:127.0.0.1", "loopback"),
    ("2002:a00:1::1", "6to4 wrapper of a private"),
    ("2002:7f00:1::", "6to4 wrapper of a loopback"),
    ("2002:a9fe:a9fe::1", "6to4 wrapper of a link-local (cloud metadata"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo wrapper of a private"),  # client 10.0.0.1
    ("2001:0:a00:1::3fff:fdd2", "Teredo wrapper of a private"),  # server 10.0.0.1
    ("fec0::1", "site-local"),
    ("feff::1", "site-local"),
]


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Proves a refused target gets no connection: the probe's TCP connect records and fails.

    The socket-level guard is only a safety net so a regression can never reach a non-loopback
    address from a test run (local DNS servers on 127.0.0.1 are still allowed).
    """
    calls: list[Any] = []

    async def forbidden_connect(*args: Any) -> Any:
        calls.append(args)
        raise AssertionError(f"the probe tried to connect: {args}")

    real_connect = socket.socket.connect

    def loopback_only(sock: socket.socket, address: Any) -> None:
        if not ipaddress.ip_address(address[0]).is_loopback:
            calls.append(address)
            raise AssertionError(f"a test tried to connect to {address}")
        real_connect(sock, address)

    monkeypatch.setattr(probe, "tcp_connect", forbidden_connect)
    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    return calls


@pytest.mark.parametrize(("address", "kind"), UNSAFE)
def test_default_policy_refuses_each_class(address: str, kind: str) -> None:
    reason = SafetyPolicy().refusal(ipaddress.ip_address(address), 443)
    assert reason is not None
    assert kind in reason


def test_public_addresses_on_web_ports_pass_and_other_ports_do_not() -> None:
    policy = SafetyPolicy()
    for port in ALLOWED_PORTS:
        assert policy.refusal(ipaddress.ip_address("95.56.0.1"), port) is None
    assert "port 22" in (policy.refusal(ipaddress.ip_address("95.56.0.1"), 22) or "")
    assert policy.refusal(ipaddress.ip_address("2a00:12f8::1"), 443) is None
    assert policy.refusal(ipaddress.ip_address("2002:5f38:1::1"), 443) is None  # 6to4 of 95.56.0.1


def test_the_test_switch_turns_the_rules_off() -> None:
    assert SafetyPolicy(allow_unsafe=True).refusal(ipaddress.ip_address("127.0.0.1"), 22) is None


@pytest.mark.parametrize(("address", "kind"), UNSAFE)
async def test_literal_targets_are_refused_without_connecting(
    lab: Lab, no_connections: list[Any], address: str, kind: str
) -> None:
    config = await lab.config(policy=SafetyPolicy())
    target = parse_target(f"[{address}]:443" if ":" in address else f"{address}:443")
    report = await check_target(target, config, None)
    assert report.verdict == "refused_unsafe_target"
    assert kind in report.reason
    assert report.addresses[0].tcp is None
    assert no_connections == []


@pytest.mark.parametrize(("address", "kind"), UNSAFE)
async def test_names_resolving_to_unsafe_addresses_are_refused(
    lab: Lab, no_connections: list[Any], address: str, kind: str
) -> None:
    config = await lab.config({"inside.test": [address]}, policy=SafetyPolicy())
    report = await check_target(parse_target("https://inside.test/"), config, None)
    assert report.verdict == "refused_unsafe_target"
    assert kind in report.reason
    assert [str(a.address) for a in report.addresses] == [str(ipaddress.ip_address(address))]
    assert all(a.tcp is None for a in report.addresses)
    assert no_connections == []


async def test_a_listening_loopback_server_gets_no_connection_when_named_by_dns(lab: Lab) -> None:
    server = await lab.web()
    config = await lab.config({"inside.test": ["127.0.0.1"]}, policy=SafetyPolicy(exempt=frozenset()))
    report = await check_target(parse_target(f"http://inside.test:{server.port}/"), config, None)
    assert report.verdict == "refused_unsafe_target"
    assert server.hits == []
