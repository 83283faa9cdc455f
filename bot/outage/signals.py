"""The outage signals behind one interface: a new source is one class with `applies` and `fetch`.

Each class turns one upstream's answer into a `SignalData`; failures stay the upstream's typed errors
(`DataUnavailable`), which `collect` records as "unavailable" so a failing source never reads as a fall.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.errors import DomainError
from bot.live.atlas_probes import AtlasProbesClient
from bot.live.ihr import IhrClient
from bot.live.ioda import IodaClient
from bot.live.ripestat import RipestatClient
from bot.live.timeseries import TimeSeries
from bot.outage.model import ACTIVE, ATLAS, ROUTING, TELESCOPE, Entity, Point, SignalData
from bot.outage.verdict import GRID, SignalInput

# One slow source must not hold the answer: the HTTP layer's own retries fit well within this.
FETCH_SECONDS = 60.0


class Signal(Protocol):
    """One time series about an entity; `family` groups signals that are not independent evidence."""

    @property
    def name(self) -> str: ...

    @property
    def family(self) -> str: ...

    def applies(self, entity: Entity) -> bool: ...

    async def fetch(self, entity: Entity, start: datetime, end: datetime) -> SignalData: ...


def _data(series: TimeSeries, unit: str) -> SignalData:
    return SignalData(series.points, series.step_seconds, series.meta.to_source(), unit=unit)


@dataclass(frozen=True, slots=True)
class IodaSignal:
    """An IODA raw datasource for a country or an AS."""

    client: IodaClient
    datasource: str
    name: str
    family: str
    unit: str

    def applies(self, entity: Entity) -> bool:
        return True

    async def fetch(self, entity: Entity, start: datetime, end: datetime) -> SignalData:
        series = await self.client.raw_signal(entity.kind, entity.code, self.datasource, start, end)
        return _data(series, self.unit)


def ioda_signals(client: IodaClient) -> list[Signal]:
    return [
        IodaSignal(client, "bgp", "IODA BGP", ROUTING, "visible /24s"),
        IodaSignal(client, "ping-slash24", "IODA active probing", ACTIVE, "/24s answering"),
        IodaSignal(client, "merit-nt", "IODA telescope", TELESCOPE, "unique sources"),
    ]


@dataclass(frozen=True, slots=True)
class AtlasSignal:
    """RIPE Atlas probes connected in the country or AS, reconstructed over time from each probe's `since`."""

    client: AtlasProbesClient
    name: str = "RIPE Atlas probes"
    family: str = ATLAS

    def applies(self, entity: Entity) -> bool:
        return True

    async def fetch(self, entity: Entity, start: datetime, end: datetime) -> SignalData:
        if entity.kind == "asn":
            listing = await self.client.probes(asn=int(entity.code))
        else:
            listing = await self.client.probes(country=entity.code)
        return _data(listing.connected_over_time(start, end, GRID), "connected probes")


@dataclass(frozen=True, slots=True)
class IhrDiscoSignal:
    """IHR disconnection events as the share of Atlas probes still connected (1.0 when none is reported).

    Events with `avglevel` below 10 are IHR's own likely false positives and are ignored.
    """

    client: IhrClient
    name: str = "IHR disco"
    family: str = ATLAS

    def applies(self, entity: Entity) -> bool:
        return True

    async def fetch(self, entity: Entity, start: datetime, end: datetime) -> SignalData:
        result = await self.client.disco_events(entity.code, streamtype=entity.kind, start=start, end=end)
        events = [e for e in result.events if e.likely_real and e.totalprobes and e.starttime]
        points: list[Point] = []
        moment = start
        while moment <= end:
            lost = [
                e.nbdiscoprobes / e.totalprobes
                for e in events
                if e.starttime is not None
                and e.starttime <= moment
                and (e.endtime is None or moment < e.endtime)
            ]
            points.append((moment, 1.0 - max(lost, default=0.0)))
            moment += GRID
        source = result.meta.to_source()
        return SignalData(tuple(points), int(GRID.total_seconds()), source, unit="share of probes connected")


@dataclass(frozen=True, slots=True)
class RipestatPrefixesSignal:
    """The country's IPv4 prefixes seen in RIS, per hour (RIPEstat country-resource-stats)."""

    client: RipestatClient
    name: str = "RIPEstat routed prefixes"
    family: str = ROUTING

    def applies(self, entity: Entity) -> bool:
        return entity.kind == "country"

    async def fetch(self, entity: Entity, start: datetime, end: datetime) -> SignalData:
        series = await self.client.country_resource_stats(entity.code, start, end)
        return _data(series, "IPv4 prefixes")


async def collect(
    signals: Sequence[Signal], entity: Entity, start: datetime, end: datetime
) -> list[SignalInput]:
    """Every applicable signal at once; each failure becomes an unavailable input with its reason."""

    async def one(signal: Signal) -> SignalInput:
        try:
            async with asyncio.timeout(FETCH_SECONDS):
                data = await signal.fetch(entity, start, end)
        except DomainError as exc:
            return SignalInput(signal.name, signal.family, None, exc.message)
        except TimeoutError:
            return SignalInput(signal.name, signal.family, None, f"no answer within {FETCH_SECONDS:g} s")
        return SignalInput(signal.name, signal.family, data)

    return list(await asyncio.gather(*(one(s) for s in signals if s.applies(entity))))
