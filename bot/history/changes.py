"""What changed between consecutive history points: the `/history` timeline and, later, drift alerts.

Points are compared with the previous point of the same collector set where there is one: two collectors see
different vantage points, so a difference between them is not simply a change in the network, and a change
across collector sets says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bot.history.store import StoredPoint
from bot.history.views import View

COUNTS = ("prefixes_v4", "prefixes_v6", "space_v4", "space_v6", "origin_ases", "address_space")


@dataclass(frozen=True, slots=True)
class Change:
    date: str
    collectors: str
    kind: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def exit_shares(view: View) -> dict[str, float]:
    return {cc: share for cc, share in view.get("exit_countries", [])}


def _between(old: View, new: View, date: str, collectors: str, threshold: float) -> list[Change]:
    out: list[Change] = []
    for name in COUNTS:
        if name in new and old.get(name) != new[name]:
            out.append(Change(date, collectors, name, old.get(name), new[name]))
    if "upstreams" in new:
        before = {asn: n for asn, n in old.get("upstreams", [])}
        after = {asn: n for asn, n in new["upstreams"]}
        out += [
            Change(date, collectors, "upstream_gained", None, f"AS{asn}")
            for asn in sorted(after.keys() - before.keys())
        ]
        out += [
            Change(date, collectors, "upstream_lost", f"AS{asn}", None)
            for asn in sorted(before.keys() - after.keys())
        ]
    old_exits, new_exits = exit_shares(old), exit_shares(new)
    for cc in sorted(old_exits.keys() | new_exits.keys()):
        was, now = old_exits.get(cc, 0.0), new_exits.get(cc, 0.0)
        if abs(now - was) > threshold:
            out.append(
                Change(
                    date,
                    collectors,
                    "exit_shift",
                    {"country": cc, "share": was},
                    {"country": cc, "share": now},
                )
            )
    return out


def changes(points: Sequence[StoredPoint], threshold: float) -> list[Change]:
    """Every change between consecutive points, newest first.

    A point is compared with the previous point of its own collector set; the first point of a collector set
    is compared with the point just before it, and the change names both sets (`routeviews2 -> rrc00`) so a
    reader sees the vantage changed too.
    """
    out: list[Change] = []
    last: dict[str, StoredPoint] = {}
    previous: StoredPoint | None = None
    for point in sorted(points, key=lambda p: (p.date, p.collectors)):
        own = last.get(point.collectors)
        base = own or previous
        if base is not None:
            label = point.collectors if own else f"{base.collectors} -> {point.collectors}"
            out += _between(base.view, point.view, point.date, label, threshold)
        last[point.collectors] = previous = point
    return sorted(out, key=lambda c: (c.date, c.collectors), reverse=True)
