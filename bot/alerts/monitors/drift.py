"""Slow exit-country drift of a watched AS: the newest snapshot against the history points of the last days.

Snapshot-to-snapshot comparison misses a shift that creeps a few percent a day; comparing with every recorded
point of the window catches it once the total movement crosses the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.alerts.model import Finding
from bot.alerts.monitors.exits import Share, exit_finding, moved_text, shares_moved
from bot.alerts.ports import ExitPoint
from bot.alerts.snapshot_views import AsView
from bot.i18n import N_, Worded


class ExitDriftMonitor:
    """A country's exit share now differing by more than `threshold` from a point of the last `days` is news."""

    def __init__(self, threshold: float, days: int) -> None:
        self.threshold = threshold
        self.days = days

    def since(self, after: AsView) -> str | None:
        """The first day of the window before the view's data date; None when drift is off or undated."""
        try:
            day = date.fromisoformat(after.data_date[:10])
        except ValueError:
            return None
        return (day - timedelta(days=self.days)).isoformat() if self.days else None

    def compare(self, target: str, after: AsView, points: Sequence[ExitPoint]) -> list[Finding]:
        """One finding against the window's point the shares moved most from (the oldest on a tie)."""
        today = after.data_date[:10]
        worst: tuple[float, str, list[Share]] | None = None
        for day, exits in sorted(points):
            if day >= today or not exits or not after.exits:
                continue
            _, moved = shares_moved(exits, after.exits, self.threshold)
            size = max((abs(new - old) for _, old, new in moved), default=0.0)
            if moved and (worst is None or size > worst[0]):
                worst = (size, day, moved)
        if worst is None:
            return []
        _, day, moved = worst
        asn = after.asn
        return [
            exit_finding(
                target,
                after,
                key=f"AS{asn}:drift:{day}>{after.snapshot_id}",
                title=Worded(
                    N_("Exit countries of AS{asn} drifted since {day}: {moved}"),
                    asn=asn,
                    day=day,
                    moved=moved_text(moved),
                ),
                summary=Worded(
                    N_(
                        "Compared with the history point of {day} (within the last {days} days), the share of "
                        "AS{asn}'s IPv4 routes leaving its country through {countries} in snapshot {after} (data of "
                        "{after_date}) moved by more than {threshold}, although no single snapshot-to-snapshot step "
                        "did."
                    ),
                    day=day,
                    days=self.days,
                    asn=asn,
                    countries=", ".join(cc for cc, _, _ in moved),
                    after=after.snapshot_id,
                    after_date=after.data_date,
                    threshold=f"{self.threshold:.0%}",
                ),
                evidence={
                    "exit_shares": [list(row) for row in moved],
                    "threshold": self.threshold,
                    "history_point": day,
                    "window_days": self.days,
                    "snapshot_before": f"the history point of {day}",
                    "data_date_before": day,
                    "snapshot_after": after.snapshot_id,
                    "data_date_after": after.data_date,
                },
            )
        ]
