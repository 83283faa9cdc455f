"""Stage 5: HTTP GET with up to ten redirects, each hop vetted by the safety rules before connecting.

aiohttp never resolves a name itself here: every hop's connector gets a resolver pinned to the one
address that was checked, so DNS rebinding between the check and the connection cannot reach a
refused address. Redirects are followed by hand for the same reason.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.core.errors import InvalidInput
from bot.net.address_safety import IPAddress, SafetyPolicy
from bot.reach.site import parse_target

MAX_REDIRECTS = 10
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)

HostResolver = Callable[[str], Awaitable[list[str]]]


class PinnedResolver(AbstractResolver):
    """Answers only for the vetted host, with the vetted address; anything else fails the connection."""

    def __init__(self, host: str, address: IPAddress) -> None:
        self.host = host
        self.address = address

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host != self.host:
            raise OSError(f"refusing to resolve {host}: only {self.host} was vetted")
        family = socket.AF_INET6 if self.address.version == 6 else socket.AF_INET
        return [
            ResolveResult(
                hostname=host,
                host=str(self.address),
                port=port,
                family=family,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


@dataclass(slots=True)
class Hop:
    url: str
    address: str | None = None
    status: int | None = None
    seconds: float = 0.0
    refused: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "address": self.address,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "refused": self.refused,
            "error": self.error,
        }


@dataclass(slots=True)
class HttpResult:
    """status: ok, error_status (4xx/5xx), failure (no answer, too many redirects) or refused (unsafe hop)."""

    status: str
    seconds: float
    hops: list[Hop] = field(default_factory=list)
    status_code: int | None = None
    final_url: str | None = None
    title: str | None = None
    size: int = 0
    truncated: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "status_code": self.status_code,
            "final_url": self.final_url,
            "title": self.title,
            "size": self.size,
            "truncated": self.truncated,
            "error": self.error,
            "hops": [h.to_json() for h in self.hops],
        }


@dataclass(frozen=True, slots=True)
class HttpLimits:
    timeout: float
    max_bytes: int
    user_agent: str
    extra_ca_file: Path | None = None


async def fetch(
    url: str, address: IPAddress, *, policy: SafetyPolicy, resolve_host: HostResolver, limits: HttpLimits
) -> HttpResult:
    """GET url from the already-vetted address, following redirects; every new hop is vetted first."""
    started = time.perf_counter()
    result = HttpResult("failure", 0.0)
    current_url, current_address = URL(url), address
    vetted: dict[str, IPAddress] = {current_url.host or "": address}
    try:
        async with asyncio.timeout(limits.timeout):
            for _ in range(MAX_REDIRECTS + 1):
                hop = Hop(str(current_url), address=str(current_address))
                result.hops.append(hop)
                location = await _one_hop(hop, current_url, current_address, result, limits)
                if location is None:
                    break
                current_url = current_url.join(URL(location))
                next_address = await _vet_hop(current_url, vetted, policy, resolve_host)
                if isinstance(next_address, str):
                    result.hops.append(Hop(str(current_url), refused=next_address))
                    result.status, result.error = (
                        "refused",
                        f"redirect to {current_url} refused: {next_address}",
                    )
                    break
                current_address = next_address
            else:
                result.status, result.error = "failure", f"more than {MAX_REDIRECTS} redirects"
    except TimeoutError:
        result.status, result.error = "failure", f"no complete answer within {limits.timeout:g} s"
        result.hops[-1].error = result.error
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        result.status, result.error = "failure", _describe(exc)
        result.hops[-1].error = result.error
    result.seconds = time.perf_counter() - started
    return result


async def _one_hop(
    hop: Hop, url: URL, address: IPAddress, result: HttpResult, limits: HttpLimits
) -> str | None:
    """Fetch one URL; returns the redirect Location, or None when this is the final answer."""
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(
        resolver=PinnedResolver(url.host or "", address),
        ssl=_ssl_context(limits.extra_ca_file) if url.scheme == "https" else False,
        use_dns_cache=False,
        force_close=True,
    )
    headers = {"User-Agent": limits.user_agent, "Accept": "text/html,*/*;q=0.8"}
    async with (
        aiohttp.ClientSession(connector=connector, headers=headers) as session,
        session.get(url, allow_redirects=False) as response,
    ):
        hop.status = response.status
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            hop.seconds = time.perf_counter() - started
            return location
        body, truncated = await _read_capped(response, limits.max_bytes)
        hop.seconds = time.perf_counter() - started
    result.status = "ok" if response.status < 400 else "error_status"
    result.status_code = response.status
    result.final_url = str(url)
    result.title = _title(body)
    result.size = len(body)
    result.truncated = truncated
    return None


async def _vet_hop(
    url: URL, vetted: dict[str, IPAddress], policy: SafetyPolicy, resolve_host: HostResolver
) -> IPAddress | str:
    """The address to use for a redirect hop, or why the hop is refused (scheme, port, any unsafe address).

    A host seen before keeps its vetted address; a new host is resolved once and refused if any of
    its addresses is unsafe, so no answer of a round-robin can slip through.
    """
    try:
        target = parse_target(str(url))
    except InvalidInput as exc:
        return exc.message
    if target.host in vetted:
        candidates = [vetted[target.host]]
    elif target.ip is not None:
        candidates = [target.ip]
    else:
        candidates = [ipaddress.ip_address(a) for a in await resolve_host(target.host)]
        if not candidates:
            return f"{target.host} did not resolve"
    for candidate in candidates:
        reason = policy.refusal(candidate, target.port)
        if reason is not None:
            return reason
    vetted[target.host] = candidates[0]
    return candidates[0]


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        chunks.append(chunk)
        size += len(chunk)
        if size >= max_bytes:
            return b"".join(chunks)[:max_bytes], True
    return b"".join(chunks), False


def _title(body: bytes) -> str | None:
    match = _TITLE.search(body[:262144])
    if match is None:
        return None
    text = match.group(1).decode("utf-8", errors="replace")
    return " ".join(html.unescape(text).split())[:200] or None


@cache
def _ssl_context(extra_ca_file: Path | None) -> ssl.SSLContext:
    """Verifying context (system store plus the optional extra CA file), built once per file."""
    context = ssl.create_default_context()
    if extra_ca_file is not None:
        context.load_verify_locations(cafile=str(extra_ca_file))
    return context


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"certificate error: {exc.certificate_error}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without answering"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
