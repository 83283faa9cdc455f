"""A small in-memory routing table with the read API `/transit` uses, for hand-worked tests."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.values import Source
from bot.routing.snapshot import IpMatch, OriginSeen, Route, Vantage


@dataclass
class FakeData:
    """Routes, registrations and names held in plain lists and dicts; lookups are linear scans."""

    vantages: list[Vantage] = field(default_factory=list)
    table: list[Route] = field(default_factory=list)
    registry: dict[int, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    date: datetime = datetime(2019, 1, 1, tzinfo=UTC)

    def vantage(self, peer_asn: int, collector: str = "rrc00") -> int:
        self.vantages.append(Vantage(collector, f"192.0.2.{len(self.vantages) + 1}", peer_asn))
        return len(self.vantages) - 1

    def add(self, vantage: int, prefix: str, *path: int | frozenset[int]) -> None:
        self.table.append(Route(vantage, prefix, tuple(path)))

    def routes_of_origin(self, asn: int, family: int | None = None) -> Sequence[Route]:
        return [
            r
            for r in self.table
            if r.path and r.path[-1] == asn and (family is None or (6 if ":" in r.prefix else 4) == family)
        ]

    def origin_asns(self) -> frozenset[int]:
        return frozenset(r.path[-1] for r in self.table if r.path and isinstance(r.path[-1], int))

    def has_routes(self, family: int) -> bool:
        return any((6 if ":" in r.prefix else 4) == family for r in self.table)

    def country_of_asn(self, asn: int) -> str | None:
        return self.registry.get(asn)

    def asns_in_country(self, cc: str) -> Sequence[int]:
        return sorted(a for a, c in self.registry.items() if c == cc.upper())

    def as_name(self, asn: int) -> str | None:
        return self.names.get(asn)

    def lookup_ip(self, ip: str) -> IpMatch | None:
        address = ipaddress.ip_address(ip)
        covering = [
            r for r in self.table if address in ipaddress.ip_network(r.prefix) and isinstance(r.path[-1], int)
        ]
        if not covering:
            return None
        best = max(ipaddress.ip_network(r.prefix).prefixlen for r in covering)
        routes = [r for r in covering if ipaddress.ip_network(r.prefix).prefixlen == best]
        counts: dict[int, set[int]] = {}
        for r in routes:
            counts.setdefault(int(r.path[-1]), set()).add(r.vantage)  # type: ignore[arg-type]
        origins = sorted((OriginSeen(a, len(v)) for a, v in counts.items()), key=lambda s: -s.vantage_points)
        return IpMatch(ip, routes[0].prefix, origins)

    def data_sources(self) -> list[Source]:
        return [Source("BGP collector rrc00", self.date, "hand-built test routes")]
