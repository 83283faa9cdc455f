"""A prefix's origins in one snapshot, for the per-prefix history points of watched (and kept) prefixes.

A point holds the origins of the exact prefix when it is announced, and of the most specific announced prefix
covering it (a hijack or a de-aggregation shows in one, a withdrawn more-specific falls back to the other).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Protocol

from bot.history.views import View


class OriginCount(Protocol):
    """An origin AS with how many vantage points see it (the snapshot's `OriginSeen`)."""

    @property
    def asn(self) -> int: ...

    @property
    def vantage_points(self) -> int: ...


class PrefixTable(Protocol):
    """The announced prefixes and their origins: the served `Snapshot` and an import's tables both have it."""

    def prefix_id(self, prefix: str) -> int | None: ...

    def origins_of_prefix(self, prefix_id: int) -> Sequence[OriginCount]: ...


def covering(data: PrefixTable, prefix: str, *, strict: bool = False) -> tuple[str, int] | None:
    """The most specific announced prefix holding `prefix` (an address counts as its host prefix), itself
    included unless `strict`: (its text, its id), or None when nothing announced covers it."""
    network = ipaddress.ip_network(prefix, strict=False)
    for length in range(network.prefixlen - (1 if strict else 0), -1, -1):
        candidate = str(network.supernet(new_prefix=length))
        found = data.prefix_id(candidate)
        if found is not None:
            return candidate, found
    return None


def prefix_key(prefix: str) -> str:
    """The store's target for a prefix: its canonical text (host bits cleared, IPv6 compressed)."""
    return str(ipaddress.ip_network(prefix, strict=False))


def _origins(data: PrefixTable, prefix_id: int) -> list[list[int]]:
    return [[o.asn, o.vantage_points] for o in data.origins_of_prefix(prefix_id)]


def prefix_view(data: PrefixTable, prefix: str) -> View:
    """The origins (with vantage counts, most-seen first) of the exact prefix and of its covering prefix."""
    key = prefix_key(prefix)
    exact = data.prefix_id(key)
    cover = covering(data, key, strict=True)
    return {
        "kind": "prefix",
        "prefix": key,
        "origins": _origins(data, exact) if exact is not None else [],
        "covering": cover[0] if cover else None,
        "covering_origins": _origins(data, cover[1]) if cover else [],
    }
