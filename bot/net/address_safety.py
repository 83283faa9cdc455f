"""Refuse targets that would turn the bot into a probe of private networks (server-side request forgery).

Every address the checker is about to connect to passes `SafetyPolicy.refusal` first: the literal a user
typed, every address DNS returned, and every redirect hop. Only the ports of ordinary web servers are
allowed (80, 443, 8080, 8443), so the bot cannot be aimed at SSH, SMTP or databases.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_PORTS = frozenset({80, 443, 8080, 8443})

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA = ipaddress.ip_address("169.254.169.254")


def address_class(address: IPAddress) -> str | None:
    """Why an address is not a public Internet host, or None when it is.

    The order matters only for the wording: 169.254.169.254 is named as the cloud metadata service
    before the generic link-local rule, and IPv4-mapped IPv6 is judged by the IPv4 inside it. 6to4
    and Teredo addresses carry IPv4 addresses that relays unwrap, so a private one inside is refused.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_class(address.ipv4_mapped)
        wrapped = [("6to4", address.sixtofour)] if address.sixtofour is not None else []
        wrapped += [("Teredo", inner) for inner in address.teredo or ()]
        for tunnel, inner in wrapped:
            kind = address_class(inner)
            if kind is not None:
                return f"{tunnel} wrapper of a {kind}"
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address == _METADATA, "link-local (cloud metadata service)"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "site-local (fec0::/10)"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _CGNAT,
            "carrier-grade NAT (100.64.0.0/10)",
        ),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "not globally routable"),
    )
    return next((label for hit, label in checks if hit), None)


@dataclass(frozen=True, slots=True)
class SafetyPolicy:
    """The safety rules in force; `allow_unsafe` comes from SILKROUTE_ALLOW_UNSAFE_TARGETS (tests only).

    `exempt` lists exact (address, port) endpoints allowed despite the rules, so a test can serve a
    first hop on loopback and still prove that everything else, e.g. a redirect, is refused.
    """

    allow_unsafe: bool = False
    exempt: frozenset[tuple[str, int]] = frozenset()

    def refusal(self, address: IPAddress, port: int) -> str | None:
        """The reason to refuse connecting to address:port, or None when the connection is allowed."""
        if self.allow_unsafe or (str(address), port) in self.exempt:
            return None
        kind = address_class(address)
        if kind is not None:
            return f"{address} is a {kind} address"
        if port not in ALLOWED_PORTS:
            allowed = ", ".join(str(p) for p in sorted(ALLOWED_PORTS))
            return f"port {port} is not one of the web ports checked ({allowed})"
        return None
