"""Stage 1: resolve A and AAAA through two resolvers and compare them the way OONI does.

Tampering in Kazakhstan has shown up as resolvers answering with a different (or no) address; a
public resolver asked directly from the same host is the control. Answers are consistent when they
share an address or an origin AS (CDNs hand out different addresses of the same network).
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver

from bot.net.address_safety import IPAddress


@dataclass(frozen=True, slots=True)
class Nameserver:
    """A resolver to ask directly: address and port (a port so tests can run one locally)."""

    address: str
    port: int = 53

    @classmethod
    def parse(cls, text: str) -> Nameserver:
        """Accept `8.8.8.8`, `127.0.0.1:5353`, `2001:4860:4860::8888` or `[::1]:5353`."""
        value = text.strip()
        host, port = value, 53
        if value.startswith("["):
            host, _, rest = value[1:].partition("]")
            port = int(rest.removeprefix(":") or 53)
        elif value.count(":") == 1:
            host, _, port_text = value.partition(":")
            port = int(port_text)
        return cls(str(ipaddress.ip_address(host)), port)

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return host if self.port == 53 else f"{host}:{self.port}"


@dataclass(slots=True)
class Lookup:
    """One resolver's answer for one name."""

    resolver: str
    addresses: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    # Why it failed, for callers that must tell a name that does not exist from a resolver in trouble.
    failure: LookupFailure | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "resolver": self.resolver,
            "addresses": self.addresses,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


async def resolve(host: str, nameserver: Nameserver | None, within: float) -> Lookup:
    """A and AAAA for host; `None` means the operating system's resolver (what a browser would use)."""
    started = time.perf_counter()
    label = "system" if nameserver is None else str(nameserver)
    try:
        async with asyncio.timeout(within):
            if nameserver is None:
                addresses = await _system_lookup(host)
            else:
                addresses = await _direct_lookup(host, nameserver, within)
    except TimeoutError:
        return Lookup(
            label, error="timeout", seconds=time.perf_counter() - started, failure=LookupFailure.TIMEOUT
        )
    except LookupFailed as exc:
        return Lookup(label, error=str(exc), seconds=time.perf_counter() - started, failure=exc.failure)
    return Lookup(label, addresses=addresses, seconds=time.perf_counter() - started)


class LookupFailure(enum.StrEnum):
    """The kinds of DNS failure a user must be told apart: bad name, or resolver trouble."""

    NO_SUCH_NAME = "no_such_name"
    RESOLVER = "resolver"
    TIMEOUT = "timeout"


# getaddrinfo's ways of saying "this name has no address" (the others are resolver trouble).
_NO_NAME_CODES = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


class LookupFailed(Exception):
    """The resolver answered, but with no usable address (NXDOMAIN, SERVFAIL, no records)."""

    def __init__(self, message: str, failure: LookupFailure) -> None:
        super().__init__(message)
        self.failure = failure


async def _system_lookup(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        failure = LookupFailure.NO_SUCH_NAME if exc.errno in _NO_NAME_CODES else LookupFailure.RESOLVER
        raise LookupFailed(exc.strerror or str(exc), failure) from None
    return _unique(str(info[4][0]) for info in infos)


async def _direct_lookup(host: str, nameserver: Nameserver, within: float) -> list[str]:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [nameserver.address]
    resolver.port = nameserver.port
    resolver.lifetime = within
    answers = await asyncio.gather(*(_records(resolver, host, rdtype) for rdtype in ("A", "AAAA")))
    addresses = _unique(address for answer in answers for address in answer)
    if not addresses:
        raise LookupFailed("no A or AAAA records", LookupFailure.NO_SUCH_NAME)
    return addresses


async def _records(resolver: dns.asyncresolver.Resolver, host: str, rdtype: str) -> list[str]:
    try:
        answer = await resolver.resolve(host, rdtype, search=False)
    except dns.resolver.NXDOMAIN:
        raise LookupFailed("NXDOMAIN: the name does not exist", LookupFailure.NO_SUCH_NAME) from None
    except dns.resolver.NoAnswer:
        return []
    except dns.resolver.NoNameservers:
        raise LookupFailed("the resolver answered SERVFAIL or refused", LookupFailure.RESOLVER) from None
    except dns.exception.Timeout:
        raise TimeoutError from None
    return [rdata.to_text() for rdata in answer]


def _unique(addresses: Any) -> list[str]:
    return list(dict.fromkeys(str(ipaddress.ip_address(a)) for a in addresses))


def compare(system: Lookup, control: Lookup, asn_of: Callable[[IPAddress], int | None]) -> tuple[str, str]:
    """OONI-style consistency of the system answer against the control: (status, one-line why)."""
    if system.error and control.error:
        return "failed", f"both resolvers failed ({system.error}; {control.error})"
    if system.error:
        return (
            "inconsistent",
            f"the {system.resolver} resolver failed ({system.error}) but {control.resolver} answered",
        )
    if control.error:
        return "unknown", f"the control resolver {control.resolver} failed ({control.error})"
    if set(system.addresses) & set(control.addresses):
        return "consistent", "both resolvers returned a common address"
    ours = {asn_of(ipaddress.ip_address(a)) for a in system.addresses} - {None}
    theirs = {asn_of(ipaddress.ip_address(a)) for a in control.addresses} - {None}
    if ours & theirs:
        return "consistent", "different addresses, but in the same AS " + ", ".join(
            f"AS{a}" for a in ours & theirs
        )
    return "inconsistent", "the resolvers returned different addresses in different (or unknown) networks"
