"""What the snapshot says about an AS, an address or a prefix: the facts `/lookup` shows, without wording.

Kept apart from the answer so the question ("which prefixes does AS9198 originate, through which
neighbours?") can be asked and tested on its own, and the presentation only arranges what it is given.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TypeVar

from bot.routing.snapshot import IpMatch, OriginSeen, Snapshot
from bot.routing.transit import address_space, clean_path

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
K = TypeVar("K", str, int)


@dataclass(frozen=True, slots=True)
class AsFacts:
    """An AS's registration and routes: prefixes and upstream neighbours, each with its vantage-point count."""

    asn: int
    name: str | None
    country: str | None
    prefixes: list[tuple[str, int]]  # most-seen first
    neighbours: list[tuple[int, int]]  # the next AS towards the collectors, most-seen first
    vantage_points: int
    ipv4_addresses: int

    @property
    def known(self) -> bool:
        return bool(self.prefixes) or self.name is not None or self.country is not None


def as_facts(snapshot: Snapshot, asn: int) -> AsFacts:
    """One pass over the AS's routes (up to ~100k on a full table: call it off the event loop)."""
    routes = snapshot.routes_of_origin(asn)
    per_prefix: dict[str, set[int]] = {}
    upstreams: dict[int, set[int]] = {}
    for route in routes:
        per_prefix.setdefault(route.prefix, set()).add(route.vantage)
        path = clean_path(route.path)  # a path with an AS_SET or a loop names no clear neighbour
        if not isinstance(path, str) and len(path) >= 2:
            upstreams.setdefault(path[-2], set()).add(route.vantage)
    return AsFacts(
        asn=asn,
        name=snapshot.as_name(asn),
        country=snapshot.country_of_asn(asn),
        prefixes=_most_seen(per_prefix),
        neighbours=_most_seen(upstreams),
        vantage_points=len({r.vantage for r in routes}),
        ipv4_addresses=address_space((p for p in per_prefix if ":" not in p), 4),
    )


def _most_seen(seen: dict[K, set[int]]) -> list[tuple[K, int]]:
    return [(key, len(v)) for key, v in sorted(seen.items(), key=lambda item: (-len(item[1]), item[0]))]


@dataclass(frozen=True, slots=True)
class IpFacts:
    """The covering prefix and its origins (None when nothing covers the address) and its registration."""

    ip: str
    match: IpMatch | None
    address_country: str | None


def ip_facts(snapshot: Snapshot, ip: str) -> IpFacts:
    return IpFacts(ip, snapshot.lookup_ip(ip), snapshot.country_of_ip(ip))


@dataclass(frozen=True, slots=True)
class PrefixFacts:
    """The route for a prefix (itself or the closest covering one) and the announced prefixes inside it."""

    query: str
    covering: str | None
    origins: list[OriginSeen]
    vantage_points: int
    inside: list[tuple[str, list[int]]]  # (prefix, origin ASes), up to `max_inside`
    inside_total: int

    @property
    def exact(self) -> bool:
        return self.covering == self.query


def prefix_facts(snapshot: Snapshot, network: Network, max_inside: int) -> PrefixFacts:
    """Not down to /0: a default route leaked by one peer covers everything and says nothing."""
    query = str(network)
    covering, origins, vantages = None, [], 0
    found = covering_prefix(snapshot, network)
    if found is not None:
        covering, prefix_id = found
        origins, vantages = snapshot.origins_of_prefix(prefix_id), snapshot.vantage_count(prefix_id)
    inside = snapshot.more_specifics(query)
    listed = [
        (snapshot.prefix(i), [o.asn for o in snapshot.origins_of_prefix(i)]) for i in inside[:max_inside]
    ]
    return PrefixFacts(query, covering, origins, vantages, listed, len(inside))


def covering_prefix(snapshot: Snapshot, network: Network) -> tuple[str, int] | None:
    """The announced prefix itself or the closest one covering it, with its id; not down to /0 (see above)."""
    for length in range(network.prefixlen, 0, -1):
        candidate = str(network.supernet(new_prefix=length))
        prefix_id = snapshot.prefix_id(candidate)
        if prefix_id is not None:
            return candidate, prefix_id
    return None
