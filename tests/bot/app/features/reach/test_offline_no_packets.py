"""With SILKROUTE_OFFLINE=1, `/reach` of a target the safety rules refuse sends nothing off the machine.

The guard sits at the operating-system boundary (socket connect/send and the C resolver), not on our own
functions: whatever code path a future change adds, a packet towards anything but 127.0.0.0/8 or ::1 —
a DNS query to a public resolver included — is recorded and fails the test.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from bot.app.answer import Answer
from bot.app.catalog import build_registry
from bot.app.commands import Caller, Context
from bot.app.runner import answer_line
from bot.core.settings import Settings
from tests.helpers import make_services

REFUSED = [
    "localhost",
    "http://localhost:8080/",
    "sub.localhost",
    "0x7f.1",
    "2130706433",
    "http://2130706433/",
    "127.1",
    "[::1]",
    "::ffff:127.0.0.1",
    "169.254.169.254",
    "10.0.0.1",
]


def _on_this_machine(host: Any) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def off_machine(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt to reach another machine, refused with ENETUNREACH as a cut cable would."""
    attempts: list[str] = []

    def guard(what: str, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if not _on_this_machine(host):
            attempts.append(f"{what} {address}")
            raise OSError(101, "Network is unreachable (test guard)")

    real_connect, real_sendto = socket.socket.connect, socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard("connect", address)
        real_connect(self, address)

    def sendto(self: socket.socket, data: bytes, *args: Any) -> int:
        guard("sendto", args[-1])
        return real_sendto(self, data, *args)  # type: ignore[arg-type]

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None:
            guard("getaddrinfo", host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


@pytest.mark.parametrize("target", REFUSED)
async def test_a_refused_target_sends_no_packet_off_the_machine(off_machine: list[str], target: str) -> None:
    settings = Settings()
    assert settings.core.silkroute_offline  # the test environment's SILKROUTE_OFFLINE=1
    services = make_services(settings)
    ctx = Context(services=services, caller=Caller("tester", can_manage=False))
    _, result = await answer_line(f'/reach target:"{target}"', build_registry(), ctx)
    assert off_machine == []
    if isinstance(result, Answer):
        assert result.data["targets"][0]["verdict"] == "refused_unsafe_target", result.data
    else:
        assert result.kind.value == "bad_input", result.user_text()
