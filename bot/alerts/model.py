"""The values monitors, the lifecycle engine and the sinks pass to each other.

Every closed set of words the alert code compares (kinds, severities, states, outbox events, watch kinds,
site states) is an enum here; they are `StrEnum`s so the state file keeps its plain text columns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import Worded

Clock = Callable[[], float]
"""Seconds since the epoch; injected so tests move time instead of sleeping."""

CONSOLE_GUILD = 0
"""The console has no guild; its watches and alerts live under this id."""


WORDING = "wording"
"""Evidence key of an alert's title and summary templates, so each channel can word them in its language."""


def wording(title: str, summary: str) -> dict[str, Any]:
    """The evidence entry recording which of an alert's texts are `Worded` (none for plain text)."""
    texts = {
        name: text.to_json()
        for name, text in (("title", title), ("summary", summary))
        if isinstance(text, Worded)
    }
    return {WORDING: texts} if texts else {}


class AlertKind(enum.StrEnum):
    ORIGIN = "origin"
    VISIBILITY = "visibility"
    UPSTREAM = "upstream"
    EXIT = "exit"
    SITE = "site"
    FEED = "feed"
    OUTAGE = "outage"
    TEST = "test"


class AlertSeverity(enum.StrEnum):
    """Ordered from least to most urgent: `rank` picks the worst of a batched message."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(AlertSeverity).index(self)


class AlertState(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class OutboxEvent(enum.StrEnum):
    """Why a message about an alert is queued."""

    OPENED = "opened"
    RENOTIFY = "renotify"
    RESOLVED = "resolved"
    TEST = "test"


class WatchKind(enum.StrEnum):
    ASN = "asn"
    PREFIX = "prefix"
    SITE = "site"
    COUNTRY = "country"


class SiteState(enum.StrEnum):
    """What a watched site's reach verdict means for alerting: only `reachable` is up."""

    UP = "up"
    DOWN = "down"


NEWS_RESOLUTION = "news"
"""The resolution of one-shot alerts, stored resolved at once: told once, nothing to recover from."""
ALL_KINDS = "all"
"""A mute of every kind of alert; with the target `ANY_TARGET`, of every target."""
ANY_TARGET = "*"
MUTABLE_KINDS = (*(k.value for k in AlertKind if k is not AlertKind.TEST), ALL_KINDS)


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
    severity: AlertSeverity = AlertSeverity.WARNING
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind.value}:{self.key}"
