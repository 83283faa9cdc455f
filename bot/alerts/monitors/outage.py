"""Possible national (or AS) outage, disruption and restoration, from the outage watch's verdicts.

The verdict rules live in `bot.outage`; this turns the changes `OutageMonitor` reports into alert findings
with every signal's evidence. Each level is its own alert key, so a disruption that becomes an outage is
told as such (the disruption alert resolves into it) and the final "restored" carries the duration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.alerts.model import AlertKind, AlertSeverity, Finding
from bot.alerts.repository import AlertRecord
from bot.i18n import N_, Worded
from bot.outage.model import Level, Verdict
from bot.outage.monitor import Change, Episode, OutageFinding, OutageMonitor

SEVERITY = {Level.OUTAGE: AlertSeverity.CRITICAL, Level.DISRUPTION: AlertSeverity.WARNING}


def evidence(verdict: Verdict, started: datetime) -> dict[str, Any]:
    """Every signal's value against its baseline, so the alert stands on its own."""
    return {
        "entity": verdict.entity.key,
        "verdict": verdict.level.value,
        "started": started.isoformat(),
        "down": list(verdict.down_families),
        "signals": [
            [
                r.name,
                r.status.value,
                f"{r.ratio:.0%}" if r.ratio is not None else "—",
                r.source.name if r.source else (r.error or "—"),
            ]
            for r in verdict.readings
        ],
    }


class OutageAlertMonitor:
    """One `OutageMonitor` for every watched country and AS; restorable from open alerts after a restart."""

    def __init__(self) -> None:
        self.monitor = OutageMonitor()
        self.targets: dict[str, str] = {}

    def observe(self, target: str, verdict: Verdict) -> list[Finding]:
        self.targets[verdict.entity.key] = target
        episode = self.monitor.open.get(verdict.entity.key)
        previous = episode.level if episode is not None else None
        findings: list[Finding] = []
        for change in self.monitor.observe(verdict):
            if previous is not None and change.change is not Change.OPENED:
                findings.append(self._closing(target, previous, change))
            if change.change is not Change.RESTORED:
                findings.append(self._opening(target, change))
        return findings

    def _opening(self, target: str, change: OutageFinding) -> Finding:
        verdict = change.verdict
        severity = SEVERITY.get(verdict.level, AlertSeverity.WARNING)
        return _finding(target, verdict.level, True, change, verdict.summary(emphasis=False), severity)

    def _closing(self, target: str, level: Level, change: OutageFinding) -> Finding:
        verdict = change.verdict
        if change.change is Change.RESTORED:
            minutes = int((change.duration.total_seconds() if change.duration else 0) // 60)
            summary = Worded(
                N_("Back to normal after {hours} h {minutes} min. {verdict}"),
                hours=minutes // 60,
                minutes=f"{minutes % 60:02d}",
                verdict=verdict.summary(emphasis=False),
            )
        else:
            summary = Worded(
                N_("Now {level}. {verdict}"),
                level=verdict.level.value,
                verdict=verdict.summary(emphasis=False),
            )
        return _finding(target, level, False, change, summary, AlertSeverity.OK)

    def restore(self, alert: AlertRecord) -> None:
        """An open outage alert after a restart: the episode goes on, so nothing is told twice."""
        entity = alert.evidence.get("entity")
        level = alert.evidence.get("verdict")
        started = alert.evidence.get("started")
        if not isinstance(entity, str) or level not in (Level.OUTAGE.value, Level.DISRUPTION.value):
            return
        when = datetime.fromisoformat(started) if isinstance(started, str) else datetime.now(UTC)
        self.monitor.open[entity] = Episode(Level(level), when)


def _finding(
    target: str, level: Level, active: bool, change: OutageFinding, summary: Worded, severity: AlertSeverity
) -> Finding:
    """Opening or closing the alert of one level (`<target>:<level>`) with every signal as evidence."""
    return Finding(
        kind=AlertKind.OUTAGE,
        target=target,
        key=f"{target}:{level.value}",
        active=active,
        title=change.title,
        summary=summary,
        severity=severity,
        evidence=evidence(change.verdict, change.started),
    )
