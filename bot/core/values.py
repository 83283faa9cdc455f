"""Value types every layer shares: where data came from and how old it is, and titled text/table blocks.

They sit at the bottom so that a capability can say "this came from RouteViews, dated …" or describe its
health for `/status` without knowing how an answer is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Source:
    """A data source an answer rests on, with the date the data describes (not when it was fetched)."""

    name: str
    date: datetime | None
    detail: str = ""
    stale: bool = False

    def age_text(self, now: datetime | None = None) -> str:
        """Human age of the data, e.g. '3 h old', so every answer says how old its data is."""
        if self.date is None:
            return "date unknown"
        return humanize_age((now or datetime.now(UTC)) - self.date)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "date": self.date.isoformat() if self.date else None,
            "detail": self.detail,
            "stale": self.stale,
        }


def humanize_age(delta: Any) -> str:
    """Render a timedelta as the coarsest unit that still tells the reader something."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} old"
    return f"{seconds} s old"


@dataclass(slots=True)
class Table:
    """Rows of cells; renderers align them (console) or put them in a code block (Discord)."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class Section:
    """One titled part of an answer: free text, a table, or both."""

    title: str
    text: str = ""
    table: Table | None = None
