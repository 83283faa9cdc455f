"""A dated series of numbers as the outage sources return them, shared by their clients.

IODA, RIPEstat and the reconstructed Atlas counts all come down to "value at time t" with a step; one
small result type lets the outage capability judge them the same way, whatever the upstream's shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.live.results import LiveResult

Point = tuple[datetime, float | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeSeries(LiveResult):
    """Points oldest first; a None value means the source had no data for that step (not zero)."""

    name: str
    step_seconds: int
    points: tuple[Point, ...]
