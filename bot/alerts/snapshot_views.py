"""Exit-country and upstream changes of watched ASes between routing snapshots.

RIS Live shows paths as they change, but "KZ traffic now leaves via Azerbaijan" is a statement about the whole
table, so it is judged between snapshots: each watched AS's exit-country shares (the `/transit` definition,
`TransitIndex.origin`) and its upstreams (the AS before it on every path) are compared with what the previous
snapshot said. The last view per target is kept in the state file, so a restart compares with the last
snapshot seen instead of starting blind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.alerts.index import upstream_of
from bot.alerts.model import AlertKind, Finding, upstream_news
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


class SnapshotMonitor:
    """Compares two views of a watched AS: exit shares moving by more than `threshold`, and new upstreams."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def compare(self, target: str, before: AsView, after: AsView) -> list[Finding]:
        if before.snapshot_id == after.snapshot_id:
            return []
        findings = self._exit_shift(target, before, after)
        if before.upstreams:
            findings += [
                self._new_upstream(target, before, after, upstream)
                for upstream in sorted(set(after.upstreams) - set(before.upstreams))
            ]
        return findings

    def _exit_shift(self, target: str, before: AsView, after: AsView) -> list[Finding]:
        if not before.exits or not after.exits:
            return []  # no leaving routes on one side: nothing to compare shares of
        countries = sorted(
            set(before.exits) | set(after.exits), key=lambda cc: (-after.exits.get(cc, 0.0), cc)
        )
        table = [(cc, before.exits.get(cc, 0.0), after.exits.get(cc, 0.0)) for cc in countries]
        moved = [row for row in table if abs(row[2] - row[1]) > self.threshold]  # where it leaves now first
        if not moved:
            return []
        changes = ", ".join(f"{cc} {old:.0%} → {new:.0%}" for cc, old, new in moved)
        asn = after.asn
        return [
            Finding(
                kind=AlertKind.EXIT,
                target=target,
                key=f"AS{asn}:{before.snapshot_id}>{after.snapshot_id}",
                active=True,
                severity="warning",
                title=f"Exit countries of AS{asn} changed: {changes}",
                summary=f"Between snapshot {before.snapshot_id} (data of {before.data_date}) and "
                f"{after.snapshot_id} (data of {after.data_date}), the share of AS{asn}'s IPv4 routes leaving "
                f"its country through {', '.join(cc for cc, _, _ in moved)} moved by more than "
                f"{self.threshold:.0%}.",
                evidence={
                    "asn": asn,
                    "exit_shares": [list(row) for row in table],
                    "threshold": self.threshold,
                    **_snapshots(before, after),
                    "paths": _samples(after.upstreams.values()),
                },
            )
        ]

    @staticmethod
    def _new_upstream(target: str, before: AsView, after: AsView, upstream: int) -> Finding:
        asn = after.asn
        known = sorted(before.upstreams)
        key, title = upstream_news(asn, upstream)
        return Finding(
            kind=AlertKind.UPSTREAM,
            target=target,
            key=key,
            active=True,
            severity="info",
            title=title,
            summary=f"Snapshot {after.snapshot_id} (data of {after.data_date}) has paths through AS{upstream} "
            f"to AS{asn}; snapshot {before.snapshot_id} had none. Known upstreams: "
            f"{', '.join(f'AS{a}' for a in known)}.",
            evidence={
                "asn": asn,
                "new_upstream": upstream,
                "known_upstreams": known,
                **_snapshots(before, after),
                "paths": _samples([after.upstreams[upstream]]),
            },
        )


def _snapshots(before: AsView, after: AsView) -> dict[str, str]:
    return {
        "snapshot_before": before.snapshot_id,
        "snapshot_after": after.snapshot_id,
        "data_date_before": before.data_date,
        "data_date_after": after.data_date,
    }


def _samples(samples: Iterable[list[str]]) -> list[list[str]]:
    return [list(sample) for sample in list(samples)[:MAX_SAMPLE_PATHS]]
