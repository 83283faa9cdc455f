"""The bot's own active signal: a panel of long-lived Kazakh hosts checked with TCP connect + TLS handshake.

bot.outage does not run checks itself: the composition root hands in a `HostCheck` built on `/reach`'s
stages and safety rules. The panel keeps the fraction answering per round; a fresh install has no history,
so the signal is shown without a baseline until a day of rounds exists.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.values import Source
from bot.outage.model import ACTIVE, Entity, Point, SignalData

MAX_ROUNDS = 4000
NAME = "own probe panel"


class HostCheck(Protocol):
    """Does `host` complete a TCP connect and a TLS handshake on 443 within the time cap?"""

    async def __call__(self, host: str) -> bool: ...


class ProbePanel:
    """Rounds of checks over the configured hosts; a signal only for Kazakhstan, whose hosts they are."""

    name = NAME
    family = ACTIVE

    def __init__(
        self, hosts: Sequence[str], check: HostCheck, step_seconds: int, country: str = "KZ"
    ) -> None:
        self.hosts = tuple(hosts)
        self.check = check
        self.step_seconds = step_seconds
        self.country = country
        self.rounds: deque[Point] = deque(maxlen=MAX_ROUNDS)
        self.last_failed: tuple[str, ...] = ()

    def applies(self, entity: Entity) -> bool:
        return entity.kind == "country" and entity.code == self.country and bool(self.hosts)

    async def run_round(self, now: datetime) -> float:
        """Check every host at once and record the fraction that answered."""
        results = await asyncio.gather(*(self.check(host) for host in self.hosts))
        self.last_failed = tuple(h for h, ok in zip(self.hosts, results, strict=True) if not ok)
        fraction = sum(results) / len(self.hosts) if self.hosts else 0.0
        self.rounds.append((now, fraction))
        return fraction

    async def fetch(self, entity: Entity, start: datetime, end: datetime) -> SignalData:
        points = tuple(p for p in self.rounds if start <= p[0] <= end)
        failed = f"; not answering: {', '.join(self.last_failed)}" if self.last_failed else ""
        detail = f"{len(self.hosts)} hosts, TCP+TLS on 443, every {self.step_seconds // 60} min{failed}"
        date = points[-1][0] if points else None
        return SignalData(points, self.step_seconds, Source(NAME, date, detail), unit="share answering")
