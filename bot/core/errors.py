"""Plain domain errors: what capabilities raise when they cannot do what was asked.

They carry a factual message and, for bad input, an example of a value that works ("AS9198"); they know
nothing of commands or chat. The application layer (`bot.app.answer.as_command_error`) words them for users.
"""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure a capability can describe in one sentence."""

    def __init__(self, message: str, *, example: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.example = example


class InvalidInput(DomainError):
    """The value given cannot be used (not an AS number, a refused address, an unreadable file)."""


class DataUnavailable(DomainError):
    """The data or the upstream service needed is missing or failing."""
