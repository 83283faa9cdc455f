"""The structured answer every command returns, and the errors a command may raise.

One answer type for all commands lets the same logic be rendered as Discord embeds, console text
or JSON without the logic knowing which; renderers live in `bot.app.render` and `bot.frontends.discord.embeds`.
Capabilities raise the plain errors of `bot.core.errors`; `as_command_error` is the one place that turns
them into what a user is shown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import DataUnavailable, DomainError, InvalidInput
from bot.core.values import Section, Source
from bot.i18n import ENGLISH, Language, Translator


class Severity(enum.StrEnum):
    """How an answer should be coloured: an answer may report bad news without being an error."""

    INFO = "info"
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


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
    language: Language = Language.EN
    """The language the human text is written in; renderers word their own labels (sources, ages) in it."""


class ErrorKind(enum.StrEnum):
    """Why a command could not answer; each kind maps to one CLI exit code."""

    BAD_INPUT = "bad_input"
    UNAVAILABLE = "unavailable"
    FORBIDDEN = "forbidden"
    LIMITED = "limited"
    INTERNAL = "internal"


EXIT_CODES = {
    ErrorKind.BAD_INPUT: 2,
    ErrorKind.FORBIDDEN: 2,
    ErrorKind.UNAVAILABLE: 3,
    ErrorKind.LIMITED: 3,
    ErrorKind.INTERNAL: 1,
}


class CommandError(DomainError):
    """An expected failure with a message fit to show a user as it is."""

    kind = ErrorKind.INTERNAL

    def user_text(self, tr: Translator = ENGLISH) -> str:
        """One line for the user: what was wrong and, where it helps, an example that works."""
        message = tr.word(self.message)
        if self.example:
            return tr.gettext("{message} Example: {example}").format(message=message, example=self.example)
        return message

    def to_json(self, tr: Translator = ENGLISH) -> dict[str, str]:
        return {"kind": self.kind.value, "message": self.user_text(tr)}


class BadInput(CommandError, InvalidInput):
    """The user's input cannot be answered as given."""

    kind = ErrorKind.BAD_INPUT


class Unavailable(CommandError, DataUnavailable):
    """The data or upstream service the answer needs is missing or failing."""

    kind = ErrorKind.UNAVAILABLE


class Forbidden(CommandError):
    """The caller lacks the permission the command needs."""

    kind = ErrorKind.FORBIDDEN


def as_command_error(error: DomainError, example: str | None = None) -> CommandError:
    """The one place a capability's plain error becomes what the user is shown.

    Bad input keeps the capability's example of a value that works, else takes the command's own
    (`example`); anything else a capability raises means the data or an upstream is unavailable.
    """
    if isinstance(error, CommandError):
        return error
    if isinstance(error, InvalidInput):
        return BadInput(error.message, example=error.example or example)
    return Unavailable(error.message, example=error.example)
