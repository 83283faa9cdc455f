"""The values monitors, the lifecycle engine and the sinks pass to each other."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]
"""Seconds since the epoch; injected so tests move time instead of sleeping."""

CONSOLE_GUILD = 0
"""The console has no guild; its watches and alerts live under this id."""


class AlertKind(enum.StrEnum):
    ORIGIN = "origin"
    VISIBILITY = "visibility"
    UPSTREAM = "upstream"
    EXIT = "exit"
    SITE = "site"
    FEED = "feed"
    TEST = "test"


MUTABLE_KINDS = (*(k.value for k in AlertKind if k is not AlertKind.TEST), "all")


@dataclass(frozen=True, slots=True)
class Finding:
    """A monitor's verdict about one watched target: open (or keep open) or resolve the alert `key`.

    `target` is the watch target it concerns ("" for feed health, which concerns every guild).
    """

    kind: AlertKind
    target: str
    key: str
    active: bool
    title: str
    summary: str
    severity: str = "warning"
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind.value}:{self.key}"


def upstream_news(asn: int, upstream: int) -> tuple[str, str]:
    """Key and title of a new-upstream alert: live and snapshot detection must agree for the news to dedupe."""
    return f"AS{asn}:AS{upstream}", f"New upstream: AS{asn} reached through AS{upstream}"
