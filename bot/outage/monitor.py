"""From verdicts to alert findings: opened, changed level, restored — never on missing data.

The monitor keeps one open episode per entity. `unknown` (too few sources) leaves an episode as it is, so
a source failing during an outage neither closes it nor opens a new one; `normal` closes it with its
duration. Re-notification, batching and delivery are the alert system's; this only says what changed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import N_, Worded
from bot.outage.model import Level, Verdict


class Change(enum.StrEnum):
    OPENED = "opened"
    LEVEL = "level changed"
    RESTORED = "restored"


@dataclass(frozen=True, slots=True)
class OutageFinding:
    """One change worth telling the team, with the verdict that shows the evidence."""

    change: Change
    verdict: Verdict
    started: datetime
    duration: timedelta | None = None

    @property
    def title(self) -> Worded:
        label = self.verdict.entity.label
        if self.change is Change.RESTORED:
            return Worded(N_("{target}: connectivity restored"), target=label)
        if self.verdict.level is Level.OUTAGE:
            if self.verdict.entity.kind == "country":
                return Worded(N_("{target}: possible national outage"), target=label)
            return Worded(N_("{target}: possible outage"), target=label)
        return Worded(N_("{target}: disruption"), target=label)


@dataclass(slots=True)
class Episode:
    level: Level
    started: datetime


class OutageMonitor:
    """Per entity key, the open episode (if any); `observe` returns the findings a verdict causes."""

    def __init__(self) -> None:
        self.open: dict[str, Episode] = {}

    def observe(self, verdict: Verdict) -> list[OutageFinding]:
        key = verdict.entity.key
        episode = self.open.get(key)
        level = verdict.level
        if level is Level.UNKNOWN:
            return []
        if level is Level.NORMAL:
            if episode is None:
                return []
            del self.open[key]
            return [OutageFinding(Change.RESTORED, verdict, episode.started, verdict.at - episode.started)]
        started = verdict.since or verdict.at
        if episode is None:
            self.open[key] = Episode(level, started)
            return [OutageFinding(Change.OPENED, verdict, started)]
        if episode.level is not level:
            episode.level = level
            return [OutageFinding(Change.LEVEL, verdict, episode.started)]
        return []
