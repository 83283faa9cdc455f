"""What changed between consecutive history points: the `/history` timeline and, later, drift alerts.

An AS's upstreams and a prefix's origins (exact, and of its covering prefix) are compared as sets of ASes;
counts as values; exit shares against a threshold.

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

    def gained_and_lost(field: str, gained: str, lost: str, via: str | None = None) -> None:
        """ASes (listed `[asn, vantage points]`) that appeared in or left the view's `field`; an origin of
        the covering prefix is `{"asn": …, "via": prefix}`, so readers word the "via" in their language."""
        before = {asn for asn, _ in old.get(field, [])}
        after = {asn for asn, _ in new[field]}

        def value(asn: int) -> str | dict[str, str]:
            return f"AS{asn}" if via is None else {"asn": f"AS{asn}", "via": via}

        out.extend(Change(date, collectors, gained, None, value(a)) for a in sorted(after - before))
        out.extend(Change(date, collectors, lost, value(a), None) for a in sorted(before - after))

    if "upstreams" in new:
        gained_and_lost("upstreams", "upstream_gained", "upstream_lost")
    if new.get("kind") == "prefix":
        gained_and_lost("origins", "origin_added", "origin_removed")
        if old.get("covering") != new["covering"]:
            out.append(Change(date, collectors, "covering_prefix", old.get("covering"), new["covering"]))
        elif new["covering"] is not None:
            gained_and_lost(
                "covering_origins", "covering_origin_added", "covering_origin_removed", new["covering"]
            )
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
