"""What a user typed as a target (AS, address, prefix, country, domain, site), read once for every command.

`parse_target` classifies a text for `/lookup`, `/transit` and `/watch` alike, and `parse_sites` reads
`/reach`'s list, so every command accepts and refuses the same texts with the same words. Hosts go through
`bot.net.hosts` and URLs through `/reach`'s parser, so an IDN such as қазақстан.kz works everywhere. A name that does not exist is the user's mistake (BadInput); a resolver that
fails or times out is ours (Unavailable), so the user is told to retry rather than to fix a good name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from bot.app.answer import BadInput, Unavailable
from bot.core.errors import InvalidInput
from bot.core.settings import Settings
from bot.i18n import N_, Worded
from bot.net.address_safety import address_class
from bot.net.dns import Lookup, LookupFailure, Nameserver, resolve
from bot.net.hosts import normalise_host
from bot.reach.site import Target as Site
from bot.reach.site import parse_target as parse_site_url
from bot.routing.asns import MAX_ASN, reserved_reason
from bot.routing.country_names import find_country

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_ADDRESS_LIKE = re.compile(r"^[0-9.]+(/\d*)?$|^[0-9a-f:.]*:[0-9a-f:.]*(/\d*)?$", re.IGNORECASE)

DNS_SECONDS = 5.0
# What `bot.net.dns` reports for "no such name / no address": its own texts for a direct query, and the
# C library's (glibc, BSD) for the system resolver. Anything else (SERVFAIL, refused, temporary failure)
# is the resolver's fault.


def looks_like_address(text: str) -> bool:
    """Digits and dots, or hex and colons (with an optional /length): meant as an address or a prefix."""
    return _ADDRESS_LIKE.match(text.strip()) is not None


def parse_network(text: str, command: str, *, special_space: bool = False) -> Network | None:
    """An address (as a /32 or /128) or a prefix; None when the text is not address-shaped.

    BadInput when it is malformed, the whole address space (/0: only a leaked default route matches it) or
    address space no public route reaches (private, reserved, multicast, documentation...) — unless
    `special_space`, for a command that asks the table whether such space is announced all the same.
    """
    raw = text.strip()
    if not looks_like_address(raw):
        return None
    try:
        network = _unwrap_mapped(ipaddress.ip_network(raw, strict=False))
    except ValueError:
        raise BadInput(
            Worded(
                N_(
                    "{value} is not a valid IP address or prefix (prefix lengths go up to 32 for IPv4, 128 for "
                    "IPv6)."
                ),
                value=repr(raw),
            ),
            example=f"/{command} target:95.56.0.0/14",
        ) from None
    if network.prefixlen == 0:
        raise BadInput(
            Worded(
                N_("{prefix} is the whole address space (a default route), not one network's prefix."),
                prefix=str(network),
            ),
            example=f"/{command} target:95.56.0.0/14",
        )
    why = special_purpose(network)
    if why is not None and not special_space:
        raise no_public_route(network, why, command)
    return network


_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _unwrap_mapped(network: Network) -> Network:
    """`::ffff:95.56.0.1` is how a dual-stack socket writes 95.56.0.1: answer for the IPv4 network inside."""
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED):
        inner = ipaddress.IPv4Address(int(network.network_address) & 0xFFFFFFFF)
        return ipaddress.IPv4Network(f"{inner}/{network.prefixlen - 96}")
    return network


def no_public_route(network: Network, why: str, command: str) -> BadInput:
    """The answer for special-purpose space that no route in the data covers."""
    shown = network.network_address if network.num_addresses == 1 else network
    return BadInput(
        Worded(
            N_("{target} is {why} address space: no public route leads to it."), target=str(shown), why=why
        ),
        example=f"/{command} target:95.56.0.1",
    )


def special_purpose(network: Network) -> str | None:
    """`/reach`'s address rules for one address; for a prefix, whether it lies inside non-public space."""
    if network.num_addresses == 1:
        return address_class(network.network_address)
    if network.is_multicast:
        return "multicast"
    if not network.is_global:
        return address_class(network.network_address) or "not globally routable"
    return None


def parse_host(text: str, command: str) -> str | Network | None:
    """The canonical (IDNA, lower-case) host of a domain or URL, or its address when the URL names one.

    None when the text is neither a URL nor dotted (a lone word is not taken for a domain); BadInput when
    it is meant as one but is malformed (`http://[::1`, `bad_name!.kz`).
    """
    raw = text.strip()
    example = f"/{command} target:nur.kz"
    if "://" in raw:
        host = parse_site(raw, example).host
    elif "." in raw:
        try:
            host = normalise_host(raw)
        except InvalidInput as exc:
            raise BadInput(exc.message, example=example) from None
    else:
        return None
    if looks_like_address(host):
        return parse_network(host, command)
    if "." not in host:
        raise BadInput(
            Worded(N_("{value} is not a domain name (it has no dot)."), value=repr(host)), example=example
        )
    return host


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
            Worded(
                N_(
                    "Offline mode (SILKROUTE_OFFLINE=1): cannot resolve {host}. Give its IP address or AS instead."
                ),
                host=host,
            ),
            example=f"/{command} target:95.56.0.1",
        )
    lookup = await resolve(host, resolver.nameserver, within=resolver.within)
    if lookup.failure is LookupFailure.TIMEOUT:
        raise Unavailable(
            Worded(
                N_("Resolving {host} timed out after {seconds} s ({resolver} resolver)."),
                host=host,
                seconds=f"{resolver.within:g}",
                resolver=lookup.resolver,
            ),
            example=f"/{command} target:95.56.0.1",
        )
    if lookup.error is None:
        return lookup
    if lookup.failure is LookupFailure.NO_SUCH_NAME:
        raise BadInput(
            Worded(N_("Could not resolve {host}: {error}."), host=host, error=lookup.error),
            example=f"/{command} target:nur.kz",
        )
    raise Unavailable(
        Worded(
            N_(
                "Could not resolve {host}: {error} ({resolver} resolver). Try again later, or give its IP "
                "address or AS instead."
            ),
            host=host,
            error=lookup.error,
            resolver=lookup.resolver,
        ),
        example=f"/{command} target:95.56.0.1",
    )


# ASCII digits only: `\d` alone would read `AS٩١٩٨` (Arabic-Indic digits) as AS9198.
_AS_NUMBER = re.compile(r"^(?:AS\s*)?(\d{1,20})$", re.IGNORECASE | re.ASCII)
_AS_DOT = re.compile(r"^AS\s*(\d{1,5})\.(\d{1,5})$", re.IGNORECASE | re.ASCII)  # RFC 5396 asdot: AS1.2
_AS_SIGNED = re.compile(r"^AS\s*[-+]\s*\d+$", re.IGNORECASE | re.ASCII)


def looks_like_asn(text: str) -> bool:
    """`AS9198`, `as9198`, `AS 9198`, `9198` or asdot `AS1.2`, whether or not the number is usable."""
    raw = text.strip()
    return _AS_NUMBER.match(raw) is not None or _AS_DOT.match(raw) is not None


def parse_asn(text: str, command: str = "lookup") -> int | None:
    """The ASN in an AS-shaped text, None when it is not AS-shaped; BadInput for a number no public network has.

    One parser and one message for every command that takes an AS (`command` names it for the example).
    """
    raw = text.strip()
    if _AS_SIGNED.match(raw):
        raise BadInput(
            Worded(
                N_("{value} is not an AS number: they are whole numbers from 1 to {max}."),
                value=repr(raw),
                max=MAX_ASN,
            ),
            example=f"/{command} target:AS9198",
        )
    dotted = _AS_DOT.match(raw)
    if dotted is not None:
        high, low = int(dotted[1]), int(dotted[2])
        if high > 0xFFFF or low > 0xFFFF:
            raise BadInput(
                Worded(N_("{value} is not an asdot AS number: both halves go up to 65535."), value=repr(raw)),
                example=f"/{command} target:AS9198",
            )
        asn = high << 16 | low
    else:
        match = _AS_NUMBER.match(raw)
        if match is None:
            return None
        asn = int(match[1])
    why = f"beyond the 32-bit range, at most {MAX_ASN}" if asn > MAX_ASN else reserved_reason(asn)
    if why is not None:
        raise BadInput(
            Worded(
                N_(
                    "AS{asn} is not a public network's AS number ({why}): it never appears on the public Internet."
                ),
                asn=asn,
                why=why,
            ),
            example=f"/{command} target:AS9198",
        )
    return asn


MAX_SITES = 10
DOMAIN_LENGTH = 253
"""The longest domain name (RFC 1035); also room for any AS, address, prefix or country name."""
URL_LENGTH = 2048
"""The longest URL browsers and servers reliably take; a site target is at most this long."""
NOTE_LENGTH = 200
REACH_EXAMPLE = '/reach target:"nur.kz kaspi.kz https://egov.kz/cms/ru"'


def parse_site(text: str, example: str = REACH_EXAMPLE) -> Site:
    """One http(s) site (domain, URL or address with a port); BadInput with the command's `example`."""
    try:
        return parse_site_url(text)
    except InvalidInput as exc:
        raise BadInput(exc.message, example=example) from None


def parse_sites(text: str) -> list[Site]:
    """`/reach`'s list: split on spaces and commas, at most ten sites, duplicates removed, order kept."""
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    if not tokens:
        raise BadInput(Worded(N_("Give a domain, URL or IP address to check.")), example=REACH_EXAMPLE)
    if len(tokens) > MAX_SITES:
        raise BadInput(
            Worded(
                N_("At most {limit} targets at once ({count} given)."), limit=MAX_SITES, count=len(tokens)
            ),
            example=REACH_EXAMPLE,
        )
    sites: list[Site] = []
    for token in tokens:
        site = parse_site(token)
        if site.url not in {s.url for s in sites}:
            sites.append(site)
    return sites


@dataclass(frozen=True, slots=True)
class AsTarget:
    asn: int


@dataclass(frozen=True, slots=True)
class NetworkTarget:
    """An address or a prefix; `as_prefix` says the user wrote a /length (a bare address is a /32 or /128)."""

    network: Network
    as_prefix: bool

    @property
    def address(self) -> str:
        return str(self.network.network_address)


@dataclass(frozen=True, slots=True)
class CountryTarget:
    code: str


@dataclass(frozen=True, slots=True)
class DomainTarget:
    name: str


UserTarget = AsTarget | NetworkTarget | CountryTarget | DomainTarget


def parse_target(
    text: str, command: str, *, countries: bool = False, special_space: bool = False
) -> UserTarget | None:
    """Classify a target as AS, address or prefix, country (when `countries`), or domain/URL — in that order.

    None when the text is none of them, so each command says what it accepts; BadInput when it is meant as
    one kind but malformed or unusable. A URL naming an address is that address.
    """
    raw = text.strip()
    asn = parse_asn(raw, command)
    if asn is not None:
        return AsTarget(asn)
    network = parse_network(raw, command, special_space=special_space)
    if network is not None:
        return NetworkTarget(network, "/" in raw)
    country = find_country(raw) if countries else None
    if country is not None:
        return CountryTarget(country.code)
    host = parse_host(raw, command)
    if isinstance(host, str):
        return DomainTarget(host)
    return None if host is None else NetworkTarget(host, as_prefix=False)
