"""What an outage judgment is made of: the entity, each signal's series, and the verdict with its evidence.

Kept free of any upstream's shape so that IODA, Atlas, RIPEstat, IHR and the bot's own BGP view and probe
panel are judged by the same rules, and a new source is one class producing a `SignalData`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.values import Source
from bot.i18n import N_, NP_, CountryName, Worded

Point = tuple[datetime, float | None]

# Signals of one family see the same thing (every BGP view sees the same routes); independent evidence
# means different families, so two BGP signals falling together count once.
ROUTING = "routing"
ACTIVE = "active probing"
TELESCOPE = "telescope"
ATLAS = "Atlas probes"


@dataclass(frozen=True, slots=True)
class Entity:
    """A country (`kind="country"`, two-letter `code`) or an AS (`kind="asn"`, digits in `code`)."""

    kind: str
    code: str
    name: str = ""

    @property
    def label(self) -> str:
        """How answers and alerts name it; a country's name is worded in the reader's language when shown."""
        if self.kind == "asn":
            return f"AS{self.code}" + (f" ({self.name})" if self.name else "")
        if not self.name:
            return self.code
        return Worded(N_("{country} ({code})"), country=CountryName(self.code, self.name), code=self.code)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"


@dataclass(frozen=True, slots=True)
class SignalData:
    """A signal's recent series; `baseline` is given when the signal has a fixed reference (the snapshot)."""

    points: tuple[Point, ...]
    step_seconds: int
    source: Source
    baseline: float | None = None
    unit: str = ""


class Status(enum.StrEnum):
    NORMAL = "normal"
    DOWN = "down"
    NO_BASELINE = "no baseline"
    NO_DATA = "no data"
    UNAVAILABLE = "unavailable"


class Level(enum.StrEnum):
    NORMAL = "normal"
    DISRUPTION = "disruption"
    OUTAGE = "outage"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SignalReading:
    """One signal judged at the verdict's time, with the series normalised to its baseline for the chart."""

    name: str
    family: str
    source: Source | None
    value: float | None
    baseline: float | None
    status: Status
    as_of: datetime | None
    error: str = ""
    unit: str = ""
    ratios: tuple[Point, ...] = ()

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def data_points(self) -> bool:
        return any(v is not None for _, v in self.ratios)

    @property
    def judged(self) -> bool:
        return self.status in (Status.NORMAL, Status.DOWN)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The entity's state at `at`, since when, each signal's reading, and the level over the chart window."""

    entity: Entity
    at: datetime
    level: Level
    since: datetime | None
    readings: tuple[SignalReading, ...]
    timeline: tuple[tuple[datetime, Level], ...] = field(default=())

    @property
    def down_families(self) -> tuple[str, ...]:
        return tuple(sorted({r.family for r in self.readings if r.status is Status.DOWN}))

    @property
    def missing(self) -> tuple[SignalReading, ...]:
        return tuple(r for r in self.readings if r.status is Status.UNAVAILABLE)

    def summary(self, emphasis: bool = True) -> Worded:
        """One line: the level (in bold with `emphasis`), since when, and which families drive it (or why it is
        unknown)."""
        label = self.entity.label
        level = f"**{self.level.value}**" if emphasis else self.level.value
        judged = sorted({r.family for r in self.readings if r.judged})
        if self.level is Level.UNKNOWN:
            return Worded.counted(
                NP_(
                    "{target}: {level} — {count} independent signal family available, at least 2 are needed "
                    "for a verdict.",
                    "{target}: {level} — {count} independent signal families available, at least 2 are "
                    "needed for a verdict.",
                ),
                len(judged),
                target=label,
                level=level,
            )
        down = self.down_families
        return Worded.counted(
            NP_(
                "{target}: {level}{since} — {down_count} of {count} signal family down{down}.",
                "{target}: {level}{since} — {down_count} of {count} signal families down{down}.",
            ),
            len(judged),
            target=label,
            level=level,
            since=Worded(N_(" since {time} UTC"), time=f"{self.since:%Y-%m-%d %H:%M}") if self.since else "",
            down=Worded(N_("; down: {families}"), families=", ".join(down)) if down else "",
            down_count=len(down),
        )
