"""Exit-country shifts of a watched AS between two routing snapshots (the `/transit` exit-share definition)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import AlertKind, AlertSeverity, Finding
from bot.alerts.snapshot_views import AsView, sample_routes, snapshot_evidence
from bot.i18n import N_, Worded


class ExitShiftMonitor:
    """A country's share of the AS's IPv4 routes leaving through it moving by more than `threshold` is news."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def compare(self, target: str, before: AsView, after: AsView) -> list[Finding]:
        if before.snapshot_id == after.snapshot_id or not before.exits or not after.exits:
            return []  # the same table, or no leaving routes on one side: nothing to compare shares of
        table, moved = shares_moved(before.exits, after.exits, self.threshold)
        if not moved:
            return []
        asn = after.asn
        return [
            exit_finding(
                target,
                after,
                key=f"AS{asn}:{before.snapshot_id}>{after.snapshot_id}",
                title=Worded(
                    N_("Exit countries of AS{asn} changed: {moved}"), asn=asn, moved=moved_text(moved)
                ),
                summary=Worded(
                    N_(
                        "Between snapshot {before} (data of {before_date}) and {after} (data of {after_date}), the "
                        "share of AS{asn}'s IPv4 routes leaving its country through {countries} moved by more "
                        "than {threshold}."
                    ),
                    before=before.snapshot_id,
                    before_date=before.data_date,
                    after=after.snapshot_id,
                    after_date=after.data_date,
                    asn=asn,
                    countries=", ".join(cc for cc, _, _ in moved),
                    threshold=f"{self.threshold:.0%}",
                ),
                evidence={"exit_shares": [list(row) for row in table], "threshold": self.threshold}
                | snapshot_evidence(before, after),
            )
        ]


Share = tuple[str, float, float]


def shares_moved(
    before: Mapping[str, float], after: Mapping[str, float], threshold: float
) -> tuple[list[Share], list[Share]]:
    """Every country's (before, after) exit share, where it leaves now first, and those moving over `threshold`."""
    countries = sorted(set(before) | set(after), key=lambda cc: (-after.get(cc, 0.0), cc))
    table = [(cc, before.get(cc, 0.0), after.get(cc, 0.0)) for cc in countries]
    return table, [row for row in table if abs(row[2] - row[1]) > threshold]


def moved_text(moved: list[Share]) -> str:
    return ", ".join(f"{cc} {old:.0%} → {new:.0%}" for cc, old, new in moved)


def exit_finding(
    target: str, after: AsView, *, key: str, title: str, summary: str, evidence: dict[str, Any]
) -> Finding:
    """An exit-share news finding about `after`, with the AS and sample paths added to its evidence."""
    return Finding(
        kind=AlertKind.EXIT,
        target=target,
        key=key,
        active=True,
        severity=AlertSeverity.WARNING,
        title=title,
        summary=summary,
        evidence={"asn": after.asn, **evidence, "paths": sample_routes(after.upstreams.values())},
    )
