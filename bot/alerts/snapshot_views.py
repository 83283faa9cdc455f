"""What a routing snapshot says about watched targets: per-AS views to compare, and the monitors' baseline.

RIS Live shows paths as they change, but "KZ traffic now leaves via Azerbaijan" is a statement about the whole
table, so it is judged between snapshots: each watched AS's exit-country shares (the `/transit` definition,
`TransitIndex.origin`) and its upstreams (the AS before it on every path) are kept as an `AsView`, which the
exit-shift and upstream monitors compare with the previous snapshot's. The last view per target is kept in
the state file, so a restart compares with the last snapshot seen instead of starting blind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.alerts.index import upstream_of
from bot.alerts.ports import SnapshotProvider
from bot.routing.snapshot import Snapshot
from bot.routing.transit import TransitIndex, clean_path

MAX_SAMPLE_PATHS = 5


@dataclass(frozen=True, slots=True)
class AsView:
    """What one snapshot says about one origin AS: IPv4 exit-country shares and upstreams with a sample path."""

    asn: int
    snapshot_id: str
    data_date: str
    exits: dict[str, float]
    upstreams: dict[int, list[str]]  # upstream ASN -> [vantage, AS path] of one route through it

    def to_json(self) -> dict[str, Any]:
        return {
            "asn": self.asn,
            "snapshot_id": self.snapshot_id,
            "data_date": self.data_date,
            "exits": self.exits,
            "upstreams": {str(k): v for k, v in self.upstreams.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AsView:
        return cls(
            asn=int(data["asn"]),
            snapshot_id=str(data["snapshot_id"]),
            data_date=str(data["data_date"]),
            exits={str(k): float(v) for k, v in data["exits"].items()},
            upstreams={int(k): list(v) for k, v in data["upstreams"].items()},
        )


def upstream_samples(snapshot: Snapshot, asn: int) -> dict[int, list[str]]:
    """Every AS seen just before `asn` on a usable path (AS_SETs and loops dropped), with the first such route."""
    found: dict[int, list[str]] = {}
    for route in snapshot.routes_of_origin(asn):
        path = clean_path(route.path)
        if isinstance(path, str):
            continue
        upstream = upstream_of(path, asn)
        if upstream is not None and upstream not in found:
            vantage = snapshot.vantages[route.vantage]
            found[upstream] = [f"{vantage.collector}/{vantage.peer_ip}", " ".join(map(str, path))]
    return found


def views_of(snapshot: Snapshot, asns: Iterable[int]) -> dict[int, AsView]:
    """Views of the ASes the snapshot has routes for (CPU work: run it off the event loop)."""
    index = TransitIndex(snapshot)
    date = snapshot.provenance.data_date
    data_date = date.strftime("%Y-%m-%d %H:%M UTC") if date else "unknown"
    views: dict[int, AsView] = {}
    for asn in asns:
        upstreams = upstream_samples(snapshot, asn)
        if not upstreams:
            continue  # not in this table: a visibility matter, not an exit change; keep the last view
        exits = dict(index.origin(asn, 4).exit_countries)
        views[asn] = AsView(asn, snapshot.snapshot_id, data_date, exits, upstreams)
    return views


class SnapshotBaseline:
    """Expected origins and upstreams from the snapshot being served, when one is loaded."""

    def __init__(self, snapshots: SnapshotProvider) -> None:
        self.snapshots = snapshots

    def origins_of(self, prefix: str) -> set[int]:
        snapshot = self.snapshots.current
        prefix_id = snapshot.prefix_id(prefix) if snapshot is not None else None
        if snapshot is None or prefix_id is None:
            return set()
        return {o.asn for o in snapshot.origins_of_prefix(prefix_id)}

    def upstreams_of(self, asn: int) -> set[int]:
        snapshot = self.snapshots.current
        return set(upstream_samples(snapshot, asn)) if snapshot is not None else set()


def snapshot_evidence(before: AsView, after: AsView) -> dict[str, str]:
    """Which two snapshots a comparison is between: the message cites them and the newer one's data date."""
    return {
        "snapshot_before": before.snapshot_id,
        "snapshot_after": after.snapshot_id,
        "data_date_before": before.data_date,
        "data_date_after": after.data_date,
    }


def sample_routes(samples: Iterable[list[str]]) -> list[list[str]]:
    return [list(sample) for sample in list(samples)[:MAX_SAMPLE_PATHS]]
