"""Host names and address literals in one canonical form, so every command accepts the same names.

A foundation: `/reach`'s URL parser and the application's target parser both call it; the error carries a
plain example value, and the application layer words it for the command at hand.
"""

from __future__ import annotations

import ipaddress
import re

from bot.core.errors import InvalidInput

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_host(host: str, *, example: str = "nur.kz") -> str:
    """The canonical form of a host name or address literal, or InvalidInput (with `example`) when invalid.

    Lower-cases and IDNA-encodes names (so қазақстан.kz works) and validates every label; an address
    keeps its compressed form, an IPv6 one may come in [brackets] but never with a %scope (a local
    interface).
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
