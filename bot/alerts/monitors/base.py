"""What the monitors share: the snapshot baseline they start from, peers and AS paths as evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bot.alerts.repository import AlertRecord
from bot.live.rislive import RisMessage
from bot.routing.transit import clean_path

MAX_EVIDENCE_PATHS = 5


class Baseline(Protocol):
    """What the routing snapshot knows before the feed says anything (empty answers mean 'learn')."""

    def origins_of(self, prefix: str) -> set[int]: ...

    def upstreams_of(self, asn: int) -> set[int]: ...


class Restorable(Protocol):
    """A monitor that can rebuild, from an open alert of its kind, the state that alert implies."""

    def restore(self, alert: AlertRecord) -> None: ...


def peer_key(message: RisMessage) -> str:
    """A peer is one session at one collector: the same router seen at two collectors counts twice."""
    return f"{message.host}/{message.peer}"


def path_text(path: tuple[int, ...]) -> str:
    """Evidence reads as hops (prepending collapsed); a path clean_path drops is shown as received."""
    cleaned = clean_path(path)
    return " ".join(str(hop) for hop in (path if isinstance(cleaned, str) else cleaned))


def sample_paths(paths: Mapping[str, tuple[int, ...]]) -> list[list[str]]:
    """A few (peer, path) pairs for a message: enough to judge, short enough to read."""
    return [[peer, path_text(path)] for peer, path in sorted(paths.items())[:MAX_EVIDENCE_PATHS] if path]
