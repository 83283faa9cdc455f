"""AS numbers that never belong on the public Internet (IANA special-purpose registry, RFC 6996/7300/5398)."""

from __future__ import annotations

from bot.routing.snapshot import AsPath

MAX_ASN = 4_294_967_295
_RESERVED = (
    (0, 0, "reserved (RFC 7607)"),
    (23456, 23456, "AS_TRANS (RFC 6793)"),
    (64496, 64511, "reserved for documentation"),
    (64512, 65534, "private use"),
    (65535, 65535, "reserved"),
    (65536, 65551, "reserved for documentation"),
    (65552, 131071, "reserved"),
    (4_200_000_000, 4_294_967_294, "private use"),
    (4_294_967_295, 4_294_967_295, "reserved"),
)


def reserved_reason(asn: int) -> str | None:
    """Why an ASN is not a public network's, or None for an ordinary ASN."""
    for low, high, why in _RESERVED:
        if low <= asn <= high:
            return why
    return None


def is_public(asn: int) -> bool:
    """Fast check of the same ranges, for the per-path hot loop of the importer."""
    return (0 < asn < 64496 and asn != 23456) or 131071 < asn < 4_200_000_000


def address_origin(path: AsPath) -> int:
    """The AS an address belongs to, as pyasn reads it: the last public AS (a leaked private AS at the end is
    skipped), or an AS_SET's only public member; 0 when it cannot be told (a set of several)."""
    for hop in reversed(path):
        if isinstance(hop, frozenset):
            public = [asn for asn in hop if is_public(asn)]
            if len(public) == 1:
                return public[0]
            if public:
                return 0
        elif is_public(hop):
            return hop
    return 0
