"""Exit-country shifts of a watched AS between two routing snapshots (the `/transit` exit-share definition)."""

from __future__ import annotations

from bot.alerts.model import AlertKind, AlertSeverity, Finding
from bot.alerts.snapshot_views import AsView, sample_routes, snapshot_evidence


class ExitShiftMonitor:
    """A country's share of the AS's IPv4 routes leaving through it moving by more than `threshold` is news."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def compare(self, target: str, before: AsView, after: AsView) -> list[Finding]:
        if before.snapshot_id == after.snapshot_id or not before.exits or not after.exits:
            return []  # the same table, or no leaving routes on one side: nothing to compare shares of
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
                severity=AlertSeverity.WARNING,
                title=f"Exit countries of AS{asn} changed: {changes}",
                summary=f"Between snapshot {before.snapshot_id} (data of {before.data_date}) and "
                f"{after.snapshot_id} (data of {after.data_date}), the share of AS{asn}'s IPv4 routes leaving "
                f"its country through {', '.join(cc for cc, _, _ in moved)} moved by more than "
                f"{self.threshold:.0%}.",
                evidence={
                    "asn": asn,
                    "exit_shares": [list(row) for row in table],
                    "threshold": self.threshold,
                    **snapshot_evidence(before, after),
                    "paths": sample_routes(after.upstreams.values()),
                },
            )
        ]
