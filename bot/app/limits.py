"""Fair use: per-member and per-server quotas for commands that cost something, and one probe cap per process.

Active probing turns members' requests into traffic toward the world, RIPE Atlas spends the team's credits and a
cold country-wide computation holds a core for seconds; so each has a quota (a sliding window, settings in
`LimitSettings`). A refused use is not recorded. The console and `ask` have no member or server, so only the
process-wide probe cap applies to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bot.app.answer import CommandError, ErrorKind
from bot.core.settings import LimitSettings, parse_quota
from bot.core.values import Section, Table


class Cost(enum.StrEnum):
    """What a use spends."""

    REACH = "reach"
    ATLAS_RESULTS = "atlas results"
    COLD_COMPUTE = "cold computation"
    WATCH_ADD = "watch add"


class Scope(enum.StrEnum):
    MEMBER = "member"
    SERVER = "server"


class SlowDown(CommandError):
    """A fair-use limit was reached; the message says which and when to try again."""

    kind = ErrorKind.LIMITED

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Quota:
    cost: Cost
    scope: Scope
    uses: int
    window: float
    managers_exempt: bool

    def describe(self) -> str:
        return f"{self.uses} {self.cost} per {self.scope} per {_duration(self.window)}"


def _duration(seconds: float) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''}"
    return f"{math.ceil(seconds)} s"


def quotas_from(settings: LimitSettings) -> list[Quota]:
    def quota(cost: Cost, scope: Scope, text: str, exempt: bool) -> Quota:
        uses, window = parse_quota(text)
        return Quota(cost, scope, uses, window, exempt)

    return [
        quota(Cost.REACH, Scope.MEMBER, settings.silkroute_limit_reach_user, True),
        quota(Cost.REACH, Scope.SERVER, settings.silkroute_limit_reach_server, False),
        quota(Cost.ATLAS_RESULTS, Scope.SERVER, settings.silkroute_limit_atlas_results_server, False),
        quota(Cost.COLD_COMPUTE, Scope.MEMBER, settings.silkroute_limit_cold_user, True),
        quota(Cost.WATCH_ADD, Scope.MEMBER, settings.silkroute_limit_watch_add_user, True),
    ]


class FairUse:
    """Component "limits": quota windows in memory (a restart forgives), and the process-wide probe cap."""

    name = "limits"

    def __init__(self, settings: LimitSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.quotas = quotas_from(settings)
        self.clock = clock
        self.max_probes = settings.silkroute_max_concurrent_probes
        self._probes = asyncio.Semaphore(self.max_probes)
        self.probes_running = 0
        self._uses: dict[tuple[Quota, int], deque[tuple[float, int]]] = {}
        self.refused = 0

    @contextlib.asynccontextmanager
    async def probe_slot(self) -> AsyncIterator[None]:
        """Held around each active probe; a probe beyond the process-wide cap waits instead of being refused."""
        async with self._probes:
            self.probes_running += 1
            try:
                yield
            finally:
                self.probes_running -= 1

    def charge(
        self, cost: Cost, *, user_id: int | None, guild_id: int | None, can_manage: bool, amount: int = 1
    ) -> None:
        """Record `amount` uses, or raise SlowDown (recording nothing) when any quota that applies is full."""
        now = self.clock()
        applying: list[tuple[Quota, deque[tuple[float, int]]]] = []
        for quota in self.quotas:
            owner = user_id if quota.scope is Scope.MEMBER else guild_id
            if quota.cost is not cost or owner is None or (quota.managers_exempt and can_manage):
                continue
            uses = self._uses.setdefault((quota, owner), deque())
            while uses and uses[0][0] <= now - quota.window:
                uses.popleft()
            spent = sum(n for _, n in uses)
            if spent + amount > quota.uses:
                self.refused += 1
                raise SlowDown(
                    self._refusal(quota, uses, spent, amount, now), self._retry_after(quota, uses, now)
                )
            applying.append((quota, uses))
        for _, uses in applying:
            uses.append((now, amount))

    def _retry_after(self, quota: Quota, uses: deque[tuple[float, int]], now: float) -> float:
        return max(1.0, uses[0][0] + quota.window - now) if uses else quota.window

    def _refusal(
        self, quota: Quota, uses: deque[tuple[float, int]], spent: int, amount: int, now: float
    ) -> str:
        if quota.uses == 0:
            return f"{str(quota.cost).capitalize()} is switched off for each {quota.scope} on this bot."
        wait = _duration(math.ceil(self._retry_after(quota, uses, now)))
        asked = f" ({amount} asked)" if amount > 1 else ""
        return (
            f"Slow down: this {quota.scope} has used {spent} of {quota.describe()}{asked}. "
            f"Try again in {wait}."
        )

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def status(self) -> Section:
        now = self.clock()
        rows = []
        for quota in self.quotas:
            busy = [
                sum(n for t, n in uses if t > now - quota.window)
                for (q, _), uses in self._uses.items()
                if q == quota
            ]
            rows.append([quota.describe(), str(sum(1 for b in busy if b)), str(max(busy, default=0))])
        return Section(
            "Fair use",
            f"Probes running: {self.probes_running} of {self.max_probes}; uses refused since start: {self.refused}.",
            Table(["quota", "users/servers active", "most used"], rows),
        )
