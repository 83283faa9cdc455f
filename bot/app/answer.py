"""The structured answer every command returns, and the errors a command may raise.

One answer type for all commands lets the same logic be rendered as Discord embeds, console text
or JSON without the logic knowing which; renderers live in `bot.app.render` and `bot.frontends.discord.embeds`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class Severity(enum.StrEnum):
    """How an answer should be coloured: an answer may report bad news without being an error."""

    INFO = "info"
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


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


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that goes with an answer (a chart, a CSV); Discord attaches it, the console writes it."""

    filename: str
    content: bytes
    description: str = ""


@dataclass(slots=True)
class Answer:
    """What a command returns: readable parts for people and `data` for scripts."""

    command: str
    title: str
    summary: str
    severity: Severity = Severity.INFO
    sections: list[Section] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


class ErrorKind(enum.StrEnum):
    """Why a command could not answer; each kind maps to one CLI exit code."""

    BAD_INPUT = "bad_input"
    UNAVAILABLE = "unavailable"
    FORBIDDEN = "forbidden"
    INTERNAL = "internal"


EXIT_CODES = {
    ErrorKind.BAD_INPUT: 2,
    ErrorKind.FORBIDDEN: 2,
    ErrorKind.UNAVAILABLE: 3,
    ErrorKind.INTERNAL: 1,
}


class CommandError(Exception):
    """An expected failure with a message fit to show a user as it is."""

    kind = ErrorKind.INTERNAL

    def __init__(self, message: str, *, example: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.example = example

    def user_text(self) -> str:
        """One line for the user: what was wrong and, where it helps, an example that works."""
        if self.example:
            return f"{self.message} Example: {self.example}"
        return self.message

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "message": self.user_text()}


class BadInput(CommandError):
    """The user's input cannot be answered as given."""

    kind = ErrorKind.BAD_INPUT


class Unavailable(CommandError):
    """The data or upstream service the answer needs is missing or failing."""

    kind = ErrorKind.UNAVAILABLE


class Forbidden(CommandError):
    """The caller lacks the permission the command needs."""

    kind = ErrorKind.FORBIDDEN
