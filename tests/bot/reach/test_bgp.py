"""The snapshot stage: how many vantage points see a prefix comes from the snapshot, not a sum per origin."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from bot.core.values import Source
from bot.reach.bgp import network_of
from bot.routing.snapshot import IpMatch, OriginSeen
from tests.fixtures.reach_lab import Provenance


@dataclass
class MoasSnapshot:
    """185.12.0.0/24 announced by two origins; 50 vantage points see it, most of them both origins."""

    provenance: Provenance = field(default_factory=Provenance)

    def lookup_ip(self, ip: str) -> IpMatch | None:
        return IpMatch(ip, "185.12.0.0/24", [OriginSeen(43727, 30), OriginSeen(20764, 45)], vantage_points=50)

    def as_name(self, asn: int) -> str | None:
        return {20764: "RASCOM-AS"}.get(asn)

    def country_of_ip(self, ip: str) -> str | None:
        return "RU"

    def data_sources(self) -> list[Source]:
        return []


def test_several_origins_are_not_counted_twice() -> None:
    network = network_of(ipaddress.ip_address("185.12.0.1"), MoasSnapshot())
    assert network.origins == [20764, 43727]  # the most widely seen origin first
    assert network.as_name == "RASCOM-AS"
    assert network.seen_by == 50
