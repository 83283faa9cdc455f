"""The bot's own BGP signal: an entity's routed IPv4 space (as /24 equivalents), kept current from RIS Live.

The serving snapshot gives the baseline — every IPv4 prefix the entity's ASes originate — and RIS Live
withdrawals and announcements move it. All filters share one socket: one path filter per AS (`"<asn>$"`)
catches announcements, including prefixes new since the snapshot; withdrawals carry no path, so the
entity's prefixes, collapsed into their covering blocks, are subscribed with more-specifics as well. A prefix counts as gone once at least `min_peers`
peers withdrew it and no peer announces it, so one session flapping is not a country going dark.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.values import Source
from bot.live.rislive import RisMessage, RisSubscription
from bot.outage.model import ROUTING, Entity, Point, SignalData
from bot.outage.verdict import GRID
from bot.routing.snapshot import Snapshot

# Ten days of ten-minute samples: the chart window plus the baseline's week.
MAX_SAMPLES = 1440
NAME = "own BGP view"


def slash24s(prefix: str) -> float:
    """IPv4 address space of a prefix in /24 equivalents (a /25 is half of one)."""
    return ipaddress.IPv4Network(prefix, strict=False).num_addresses / 256


@dataclass
class _Prefix:
    size: float
    seen_by: set[str] = field(default_factory=set)
    withdrawn_by: set[str] = field(default_factory=set)


@dataclass
class EntityRoutes:
    """One entity's prefixes and its samples; `baseline` is the snapshot's routed space."""

    asns: frozenset[int]
    prefixes: dict[str, _Prefix]
    baseline: float
    snapshot_date: datetime | None
    routed: float = 0.0
    samples: deque[Point] = field(default_factory=lambda: deque(maxlen=MAX_SAMPLES))

    def __post_init__(self) -> None:
        self.routed = self.baseline


class BgpTracker:
    """Routed space per tracked entity, updated message by message; sampled on the ten-minute grid."""

    name = NAME
    family = ROUTING

    def __init__(self, min_peers: int) -> None:
        self.min_peers = min_peers
        self.entities: dict[str, EntityRoutes] = {}
        self._by_origin: dict[int, list[EntityRoutes]] = {}
        self.feed_since: datetime | None = None

    def track(self, entity: Entity, snapshot: Snapshot) -> EntityRoutes:
        """Start following an entity from the snapshot's view of it (again after a snapshot change)."""
        asns = (
            frozenset(snapshot.asns_in_country(entity.code))
            if entity.kind == "country"
            else frozenset({int(entity.code)})
        )
        prefixes: dict[str, _Prefix] = {}
        for asn in asns:
            for route in snapshot.routes_of_origin(asn, family=4):
                if route.prefix not in prefixes:
                    prefixes[route.prefix] = _Prefix(slash24s(route.prefix))
        baseline = sum(p.size for p in prefixes.values())
        routes = EntityRoutes(asns, prefixes, baseline, snapshot.provenance.data_date)
        self.entities[entity.key] = routes
        self._by_origin = {}
        for tracked in self.entities.values():
            for asn in tracked.asns:
                self._by_origin.setdefault(asn, []).append(tracked)
        return routes

    def subscriptions(self) -> tuple[RisSubscription, ...]:
        """Path filters per origin AS and prefix filters per covering block, all for one socket."""
        paths = [RisSubscription(path=f"{asn}$") for asn in sorted(self._by_origin)]
        networks = [
            ipaddress.IPv4Network(prefix) for routes in self.entities.values() for prefix in routes.prefixes
        ]
        blocks = [RisSubscription(prefix=str(block)) for block in ipaddress.collapse_addresses(networks)]
        return (*paths, *blocks)

    def connected(self, now: datetime) -> None:
        """The shared feed is up: from now on the signal has live values."""
        self.feed_since = self.feed_since or now

    def disconnected(self) -> None:
        self.feed_since = None

    def observe(self, message: RisMessage, now: datetime) -> None:
        """Apply one RIS Live UPDATE: withdrawals of tracked prefixes, announcements by tracked origins."""
        peer = f"{message.host}/{message.peer}"
        if message.withdrawals:
            for routes in self.entities.values():
                for prefix in message.withdrawals:
                    state = routes.prefixes.get(prefix)
                    if state is not None:
                        self._withdraw(routes, state, peer)
        origin = message.origin_asn
        if origin is not None and origin in self._by_origin:
            for routes in self._by_origin[origin]:
                for prefix in message.announced:
                    if ":" not in prefix:
                        self._announce(routes, prefix, peer)
        self._sample(now)

    def _withdraw(self, routes: EntityRoutes, state: _Prefix, peer: str) -> None:
        was_gone = self._gone(state)
        state.seen_by.discard(peer)
        state.withdrawn_by.add(peer)
        if not was_gone and self._gone(state):
            routes.routed -= state.size

    def _announce(self, routes: EntityRoutes, prefix: str, peer: str) -> None:
        state = routes.prefixes.get(prefix)
        if state is None:
            state = routes.prefixes[prefix] = _Prefix(slash24s(prefix))
            routes.routed += state.size
        was_gone = self._gone(state)
        state.seen_by.add(peer)
        state.withdrawn_by.discard(peer)
        if was_gone:
            routes.routed += state.size

    def _gone(self, state: _Prefix) -> bool:
        return not state.seen_by and len(state.withdrawn_by) >= self.min_peers

    def _sample(self, now: datetime) -> None:
        """Record each entity's routed space at `now`, keeping only the latest sample per grid step."""
        step = int(GRID.total_seconds())
        slot = int(now.timestamp()) // step
        for routes in self.entities.values():
            if routes.samples and int(routes.samples[-1][0].timestamp()) // step == slot:
                routes.samples.pop()
            routes.samples.append((now, routes.routed))

    def data(self, entity: Entity, snapshot: Snapshot, now: datetime) -> SignalData:
        """The entity's samples against the snapshot baseline; with no live feed only the snapshot's own
        point exists, so the signal shows as "no data" instead of claiming the snapshot is the present."""
        routes = self.entities.get(entity.key) or self.track(entity, snapshot)
        if self.feed_since is not None:
            self._sample(now)
            detail = f"snapshot baseline + RIS Live since {self.feed_since:%Y-%m-%d %H:%M} UTC"
            points = tuple(routes.samples)
            date = points[-1][0] if points else now
        else:
            detail = "snapshot only: RIS Live is not connected"
            date = routes.snapshot_date or now
            points = ((date, routes.baseline),)
        source = Source(
            NAME, date, f"{len(routes.prefixes)} IPv4 prefixes of {len(routes.asns)} ASes; {detail}"
        )
        return SignalData(
            points, int(GRID.total_seconds()), source, baseline=routes.baseline, unit="routed /24s"
        )
