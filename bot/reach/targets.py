"""Turn what a user typed (`nur.kz`, `https://kaspi.kz/shop`, `95.56.0.1:443`) into checkable targets."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from bot.core.errors import InvalidInput
from bot.net.address_safety import IPAddress

MAX_TARGETS = 10
EXAMPLE = '/reach target:"nur.kz kaspi.kz https://egov.kz/cms/ru"'
DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_BRACKETED = re.compile(r"\[[^\]]*\](:[0-9]*)?")


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


def parse_targets(text: str) -> list[Target]:
    """Split on spaces and commas; up to ten targets, duplicates removed, order kept."""
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    if not tokens:
        raise InvalidInput("Give a domain, URL or IP address to check.", example=EXAMPLE)
    if len(tokens) > MAX_TARGETS:
        raise InvalidInput(f"At most {MAX_TARGETS} targets at once ({len(tokens)} given).", example=EXAMPLE)
    targets: list[Target] = []
    for token in tokens:
        target = parse_target(token)
        if target.url not in {t.url for t in targets}:
            targets.append(target)
    return targets


def parse_target(token: str) -> Target:
    """Parse one domain, URL or IP (with optional port); only http and https are checked."""
    raw = token.strip()
    if _is_bare_ipv6(raw):
        raw = f"[{raw}]"
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
    host = normalise_host(f"[{parts.hostname}]" if "[" in parts.netloc else parts.hostname)
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


def normalise_host(host: str, *, example: str = EXAMPLE) -> str:
    """The canonical form of a host name or address literal, or InvalidInput (with `example`) when invalid.

    Lower-cases and IDNA-encodes names (so қазақстан.kz works) and validates every label; an address
    keeps its compressed form, an IPv6 one may come in [brackets] but never with a %scope (a local
    interface). Shared by every command that takes a host, so they all accept the same names.
    """
    text = host.strip()
    if not text:
        raise InvalidInput("Give a host name or IP address.", example=example)
    bracketed = text.startswith("[") or text.endswith("]")
    inner = text[1:-1] if bracketed and text.startswith("[") and text.endswith("]") else text
    try:
        address = ipaddress.ip_address(inner)
    except ValueError:
        address = None
    if address is not None and not (isinstance(address, ipaddress.IPv6Address) and address.scope_id):
        if bracketed and address.version != 6:
            raise InvalidInput(f"{host!r}: only IPv6 addresses go in [brackets].", example=example)
        return str(address)
    if bracketed or "%" in inner:
        raise InvalidInput(f"{host!r} is not a valid IPv6 address.", example=example)
    try:
        ascii_host = inner.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidInput(f"{host!r} is not a valid host name.", example=example) from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput(f"{host!r} is not a valid host name.", example=example)
    return ascii_host
