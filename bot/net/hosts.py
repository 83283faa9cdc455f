"""Host names and address literals in one canonical form, so every command accepts the same names.

A foundation: `/reach`'s URL parser and the application's target parser both call it; the error carries a
plain example value, and the application layer words it for the command at hand.
"""

from __future__ import annotations

import ipaddress
import re

from bot.core.errors import InvalidInput

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$", re.ASCII)
_LOOPBACK = "127.0.0.1"


def legacy_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """The address the C library's `inet_aton` (and so every resolver and browser) reads into `0x7f.1`,
    `2130706433`, `127.1` or `0177.0.0.1`; None when the text is not such a numeric form.

    No domain name is all numbers, so these are addresses, never names to look up: they must meet the
    address rules before any DNS query is sent.
    """
    parts = text.lower().split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.match(part) for part in parts):
        return None
    values = [_numeric_part(part) for part in parts]
    *head, last = values
    if any(value > 255 for value in head) or last >= 256 ** (5 - len(values)):
        return None
    number = 0
    for value in head:
        number = number << 8 | value
    return ipaddress.IPv4Address(number << 8 * (5 - len(values)) | last)


def _numeric_part(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    return int(part, 8) if part.startswith("0") else int(part)


def normalise_host(host: str, *, example: str = "nur.kz") -> str:
    """The canonical form of a host name or address literal, or InvalidInput (with `example`) when invalid.

    Lower-cases and IDNA-encodes names (so қазақстан.kz works) and validates every label; an address
    keeps its compressed form, an IPv6 one may come in [brackets] but never with a %scope (a local
    interface). Names that are addresses in disguise (`0x7f.1`, `localhost`) come back as the address, so
    every safety rule sees them before any DNS query could.
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
    numeric = legacy_ipv4(inner.rstrip("."))
    if numeric is not None:
        return str(numeric)
    try:
        ascii_host = inner.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidInput(f"{host!r} is not a valid host name.", example=example) from None
    if ascii_host == "localhost" or ascii_host.endswith(".localhost"):
        return _LOOPBACK  # RFC 6761: always the loopback address, whatever a resolver would say
    labels = ascii_host.split(".")
    if labels[-1].isdigit():  # no top-level domain is a number: a mistyped address, not a name to look up
        raise InvalidInput(f"{host!r} is not a valid IP address or host name.", example=example)
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput(f"{host!r} is not a valid host name.", example=example)
    return ascii_host
