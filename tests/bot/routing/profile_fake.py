"""A hand-worked route set for `/country`: FakeData plus registry totals and exchanges."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.values import Source
from bot.routing.ixps import Ixp
from tests.bot.routing.transit_fake import FakeData


@dataclass
class FakeProfileData(FakeData):
    """FakeData plus the registry totals and exchanges `/country` reads."""

    space: dict[tuple[str, int], int] = field(default_factory=dict)
    exchanges: list[Ixp] = field(default_factory=list)

    def registered_asns(self, cc: str) -> int:
        return len(self.asns_in_country(cc))

    def registered_space(self, cc: str, family: int) -> int:
        return self.space.get((cc, family), 0)

    def ixps(self) -> list[Ixp]:
        return self.exchanges

    def ixp_source(self) -> Source | None:
        return Source("PeeringDB exchanges", self.date, "hand-built") if self.exchanges else None


A, B, C, D = 100, 200, 300, 400  # KZ: three origins and one domestic transit network
RU1, RU2, CN1 = 12389, 20485, 4134


def worked_example() -> FakeProfileData:
    """A /16 (A), a /17 (B) and a /18 (C), each seen by two US peers:

    A: 701 RU1 D A   and 702 CN1 D A      (one path avoids RU)
    B: 701 RU1 B     and 702 RU1 B        (every path through RU1)
    C: 701 RU2 C C   and 702 CN1 C        (prepending collapsed; one path avoids RU)
    """
    data = FakeProfileData(
        registry={A: "KZ", B: "KZ", C: "KZ", D: "KZ", RU1: "RU", RU2: "RU", CN1: "CN", 701: "US", 702: "US"},
        space={("KZ", 4): 262_144},
    )
    v1, v2 = data.vantage(701), data.vantage(702)
    data.add(v1, "10.0.0.0/16", 701, RU1, D, A)
    data.add(v2, "10.0.0.0/16", 702, CN1, D, A)
    data.add(v1, "10.1.0.0/17", 701, RU1, B)
    data.add(v2, "10.1.0.0/17", 702, RU1, B)
    data.add(v1, "10.2.0.0/18", 701, RU2, C, C)
    data.add(v2, "10.2.0.0/18", 702, CN1, C)
    return data
