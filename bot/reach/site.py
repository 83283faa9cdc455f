"""One site to check, from what a user typed (`nur.kz`, `https://kaspi.kz/shop`, `95.56.0.1:443`).

Splitting a list of them and wording errors for chat is the application's (`bot.app.targets.parse_sites`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from bot.core.errors import InvalidInput
from bot.net.address_safety import IPAddress
from bot.net.hosts import normalise_host

EXAMPLE = "https://kaspi.kz/shop"  # a value `parse_target` accepts, for error messages
DEFAULT_PORTS = {"http": 80, "https": 443}
_BRACKETED = re.compile(r"\[[^\]]*\](:[0-9]*)?")
# `name:` not followed by a port: a URL scheme (`javascript:`, `data:`, `http:/x`), not `host:port`.
_SCHEME_WITHOUT_SLASHES = re.compile(r"^([a-z][a-z0-9+-]*):(?![0-9]+(?:[/?#]|$))", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Target:
    """One site to check: scheme, host (name or address literal), port and the URL to fetch."""

    text: str
    scheme: str
    host: str
    port: int
    url: str

    @property
    def ip(self) -> IPAddress | None:
        """The address when the user gave a literal, so DNS is skipped."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None

    @property
    def uses_tls(self) -> bool:
        return self.scheme == "https"


def parse_target(token: str) -> Target:
    """Parse one domain, URL or IP (with optional port); only http and https are checked."""
    raw = token.strip()
    if _is_bare_ipv6(raw):
        raw = f"[{raw}]"
    scheme_only = _SCHEME_WITHOUT_SLASHES.match(raw) if "://" not in raw else None
    if scheme_only is not None:
        name = scheme_only[1].lower()
        if name in DEFAULT_PORTS:
            fixed = f"{name}://{raw[len(name) + 1 :].lstrip('/')}"
            raise InvalidInput(
                f"{token!r} is missing a slash after {name}: (write {fixed}).", example=EXAMPLE
            )
        raise InvalidInput(f"Only http and https can be checked, not {name}: ({token}).", example=EXAMPLE)
    if "://" not in raw:
        raw = _guess_scheme(raw) + raw
    try:
        parts = urlsplit(raw)
    except ValueError:
        raise InvalidInput(
            f"{token!r} is not a valid URL (check the [ ] around an IPv6 address).", example=EXAMPLE
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidInput(
            f"Only http and https can be checked, not {parts.scheme}:// ({token}).", example=EXAMPLE
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(f"User names and passwords in URLs are not accepted ({token}).", example=EXAMPLE)
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(
            f"{token!r} has an invalid port; ports are whole numbers 1–65535.", example=EXAMPLE
        ) from None
    if not parts.hostname:
        raise InvalidInput(f"{token!r} has no host name.", example=EXAMPLE)
    if parts.netloc.startswith("[") and not _BRACKETED.fullmatch(parts.netloc):
        raise InvalidInput(f"{token!r} is not a valid URL: nothing but a port may follow ].", example=EXAMPLE)
    host = normalise_host(f"[{parts.hostname}]" if "[" in parts.netloc else parts.hostname, example=EXAMPLE)
    if port == 0:
        raise InvalidInput(
            f"{token!r} has an invalid port; ports are whole numbers 1–65535.", example=EXAMPLE
        )
    port = port or DEFAULT_PORTS[scheme]
    netloc = f"[{host}]" if ":" in host else host
    if port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    url = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(text=token, scheme=scheme, host=host, port=port, url=url)


def _guess_scheme(raw: str) -> str:
    """Without a scheme, https is assumed unless the port says plain HTTP (80, 8080)."""
    try:
        port = urlsplit("//" + raw).port
    except ValueError:
        port = None
    return "http://" if port in {80, 8080} else "https://"


def _is_bare_ipv6(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False
