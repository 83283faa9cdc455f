"""Stage 2: which prefix and origin AS cover each address, from the routing snapshot when one is loaded.

Announced in BGP is reported apart from reachable: during the January 2022 shutdown Kazakh prefixes
stayed visible while no packets passed. The snapshot is another area's component; reach reads it
through the small `RoutingView` protocol and works (saying so) without it. When the live sources answer,
RIPEstat's routing status adds how the prefix is seen right now (`live_routing`; the application asks).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.values import Source
from bot.live.ripestat import RoutingStatus
from bot.net.address_safety import IPAddress


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

    @property
    def vantage_points(self) -> int: ...


class ProvenanceView(Protocol):
    """What reach reads from the snapshot's `Provenance`: which MRT files were cut short."""

    @property
    def truncated_files(self) -> list[str]: ...


class RoutingView(Protocol):
    """The part of `bot.routing.snapshot.Snapshot` that reach uses."""

    @property
    def provenance(self) -> ProvenanceView: ...

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
    gaps: str | None = None

    @property
    def asn(self) -> int | None:
        return self.origins[0] if self.origins else None

    @property
    def announced(self) -> bool | None:
        """True/False from the snapshot; None when there is no snapshot to ask."""
        return bool(self.prefix and self.origins) if self.known else None

    @property
    def proven_unannounced(self) -> bool:
        """Absent from a fresh, complete snapshot; absence from a stale or partial one proves nothing."""
        return self.announced is False and self.gaps is None

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


ROUTING_SOURCE_PREFIX = "BGP collector"  # how `Snapshot.data_sources` names its routing data


def snapshot_gaps(snapshot: RoutingView) -> str | None:
    """Why the snapshot may miss announced prefixes ("stale", "partial" or both), or None when it cannot."""
    routing = [s for s in snapshot.data_sources() if s.name.startswith(ROUTING_SOURCE_PREFIX)]
    gaps = []
    if not routing or any(s.stale for s in routing):
        gaps.append("stale")
    if snapshot.provenance.truncated_files:
        gaps.append("partial")
    return " and ".join(gaps) or None


def network_of(address: IPAddress, snapshot: RoutingView | None) -> Network:
    """Annotate one address from the snapshot (prefix, origins, AS name, country, the snapshot's gaps)."""
    if snapshot is None:
        return Network()
    gaps = snapshot_gaps(snapshot)
    match = snapshot.lookup_ip(str(address))
    country = snapshot.country_of_ip(str(address))
    if match is None:
        return Network(country=country, known=True, gaps=gaps)
    origins = sorted(match.origins, key=lambda o: -o.vantage_points)
    asns = [o.asn for o in origins]
    name = snapshot.as_name(asns[0]) if asns else None
    return Network(match.prefix, asns, match.vantage_points, name, country, known=True, gaps=gaps)


@dataclass(frozen=True, slots=True)
class LiveRouting:
    """RIPEstat's routing status right now for the prefix covering one address (the address if unknown)."""

    resource: str
    announced: bool
    origins: tuple[int, ...]
    peers_seeing: int
    peers_total: int
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "announced": self.announced,
            "origins": list(self.origins),
            "ris_peers_seeing": self.peers_seeing,
            "total_ris_peers": self.peers_total,
            "stale": bool(self.note),
        }


def live_resources(addresses: Iterable[tuple[IPAddress, Network]]) -> dict[str, str]:
    """What to ask RIPEstat about each address: its snapshot prefix, or the address itself when unknown."""
    return {str(address): network.prefix or str(address) for address, network in addresses}


def live_routing(resource: str, status: RoutingStatus, note: str) -> LiveRouting:
    """One resource's live status in the form the verdict reads; `note` says when the copy is stale."""
    seeing, total = status.peers_seeing(ipaddress.ip_network(resource, strict=False).version)
    return LiveRouting(resource, status.announced, status.origins, seeing, total, note)
