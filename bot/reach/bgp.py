"""Stage 2: which prefix and origin AS cover each address, from the routing snapshot when one is loaded.

Announced in BGP is reported apart from reachable: during the January 2022 shutdown Kazakh prefixes
stayed visible while no packets passed. The snapshot is another area's component; reach reads it
through the small `RoutingView` protocol and works (saying so) without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.answer import Source
from bot.reach.safety import IPAddress


class OriginView(Protocol):
    """One origin AS of a prefix and how many of the snapshot's vantage points saw it."""

    @property
    def asn(self) -> int: ...

    @property
    def vantage_points(self) -> int: ...


class IpMatchView(Protocol):
    """What reach reads from the snapshot's `IpMatch`: the covering prefix and its origin ASes."""

    @property
    def prefix(self) -> str: ...

    @property
    def origins(self) -> Sequence[OriginView]: ...


class RoutingView(Protocol):
    """The part of `bot.routing.snapshot.Snapshot` that reach uses."""

    def lookup_ip(self, ip: str) -> IpMatchView | None: ...

    def as_name(self, asn: int) -> str | None: ...

    def country_of_ip(self, ip: str) -> str | None: ...

    def data_sources(self) -> list[Source]: ...


@dataclass(slots=True)
class Network:
    """Where an address sits in the routing table: prefix, origin AS(es), AS name and country."""

    prefix: str | None = None
    origins: list[int] = field(default_factory=list)
    seen_by: int = 0
    as_name: str | None = None
    country: str | None = None
    known: bool = False

    @property
    def asn(self) -> int | None:
        return self.origins[0] if self.origins else None

    @property
    def announced(self) -> bool | None:
        """True/False from the snapshot; None when there is no snapshot to ask."""
        return bool(self.prefix and self.origins) if self.known else None

    def label(self) -> str:
        """`AS9198 (KAZTELECOM, KZ)` or why the network is not known, for one-line reasons."""
        if not self.known:
            return "network unknown: no routing snapshot loaded"
        if self.asn is None:
            return "no announced prefix in the routing snapshot"
        details = ", ".join(x for x in (self.as_name, self.country) if x)
        return f"AS{self.asn}" + (f" ({details})" if details else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "asn": self.asn,
            "origins": self.origins,
            "as_name": self.as_name,
            "prefix": self.prefix,
            "country": self.country,
            "announced": self.announced,
            "seen_by_vantage_points": self.seen_by,
        }


def network_of(address: IPAddress, snapshot: RoutingView | None) -> Network:
    """Annotate one address from the snapshot (prefix, origins, AS name, country)."""
    if snapshot is None:
        return Network()
    match = snapshot.lookup_ip(str(address))
    country = snapshot.country_of_ip(str(address))
    if match is None:
        return Network(country=country, known=True)
    origins = sorted(match.origins, key=lambda o: -o.vantage_points)
    asns = [o.asn for o in origins]
    name = snapshot.as_name(asns[0]) if asns else None
    seen = sum(o.vantage_points for o in origins)
    return Network(match.prefix, asns, seen, name, country, known=True)
