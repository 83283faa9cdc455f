"""Resolving a host for `/lookup` and `/transit`, through the same resolver code `/reach` uses.

A name that does not exist is the user's mistake (BadInput); a resolver that fails or times out is ours
(Unavailable), so the user is told to retry rather than to fix a name that is fine.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answer import BadInput, Unavailable
from bot.reach.dns import Lookup, Nameserver, resolve
from bot.settings import Settings

DNS_SECONDS = 5.0
# What `bot.reach.dns` reports for "no such name / no address": its own texts for a direct query, and the
# C library's (glibc, BSD) for the system resolver. Anything else (SERVFAIL, refused, temporary failure)
# is the resolver's fault.
_NO_SUCH_NAME = (
    "NXDOMAIN",
    "no A or AAAA records",
    "Name or service not known",
    "No address associated with hostname",
    "nodename nor servname provided",
)


@dataclass(frozen=True, slots=True)
class HostResolver:
    """Which resolver to ask: the operating system's (None) or SILKROUTE_SYSTEM_RESOLVER, as `/reach` does."""

    nameserver: Nameserver | None = None
    within: float = DNS_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> HostResolver | None:
        """None offline, so a domain target says why instead of hanging."""
        if settings.core.silkroute_offline:
            return None
        override = settings.reach.silkroute_system_resolver
        return cls(Nameserver.parse(override) if override else None)


async def resolve_host(resolver: HostResolver | None, host: str, command: str) -> Lookup:
    """A and AAAA of `host` (queried at once); raises BadInput for a name without addresses, else Unavailable."""
    if resolver is None:
        raise Unavailable(
            f"Offline mode (SILKROUTE_OFFLINE=1): cannot resolve {host}. Give its IP address or AS instead.",
            example=f"/{command} target:95.56.0.1",
        )
    lookup = await resolve(host, resolver.nameserver, within=resolver.within)
    if lookup.error == "timeout":
        raise Unavailable(
            f"Resolving {host} timed out after {resolver.within:g} s ({lookup.resolver} resolver).",
            example=f"/{command} target:95.56.0.1",
        )
    if lookup.error is None:
        return lookup
    if lookup.error.startswith(_NO_SUCH_NAME):
        raise BadInput(f"Could not resolve {host}: {lookup.error}.", example=f"/{command} target:nur.kz")
    raise Unavailable(
        f"Could not resolve {host}: {lookup.error} ({lookup.resolver} resolver). Try again later, "
        "or give its IP address or AS instead.",
        example=f"/{command} target:95.56.0.1",
    )
