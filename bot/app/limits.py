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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bot.app.answer import CommandError, ErrorKind
from bot.core.settings import LimitSettings, parse_quota
from bot.core.values import Section, Table
from bot.i18n import N_, NP_, Worded
from bot.shared_state.windows import Claim, LocalWindows, Windows


class Cost(enum.StrEnum):
    """What a use spends."""

    REACH = "reach"
    ATLAS_RESULTS = "atlas results"
    COLD_COMPUTE = "cold computation"
    WATCH_ADD = "watch add"


class Scope(enum.StrEnum):
    MEMBER = "member"
    SERVER = "server"


# How many of a cost a quota allows, and the cost's name alone, worded in the reader's language.
_COUNTED: dict[Cost, tuple[str, str]] = {
    Cost.REACH: NP_("{count} reach check", "{count} reach checks"),
    Cost.ATLAS_RESULTS: NP_("{count} Atlas result", "{count} Atlas results"),
    Cost.COLD_COMPUTE: NP_("{count} cold computation", "{count} cold computations"),
    Cost.WATCH_ADD: NP_("{count} watch added", "{count} watches added"),
}
_NAMED = {
    Cost.REACH: N_("reach checks"),
    Cost.ATLAS_RESULTS: N_("Atlas results"),
    Cost.COLD_COMPUTE: N_("cold computations"),
    Cost.WATCH_ADD: N_("new watches"),
}
_SCOPES = {Scope.MEMBER: N_("member"), Scope.SERVER: N_("server")}
_PER_SCOPE = {Scope.MEMBER: N_("per member"), Scope.SERVER: N_("per server")}  # inflected apart in ru/kk


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

    @property
    def key(self) -> str:
        """Names the quota's windows, the same in every process."""
        return f"{self.cost}/{self.scope}".replace(" ", "-")

    def describe(self) -> Worded:
        return Worded(
            N_("{uses} {per_scope} per {duration}"),
            uses=Worded.counted(_COUNTED[self.cost], self.uses),
            per_scope=Worded(_PER_SCOPE[self.scope]),
            duration=_duration(self.window),
        )


def _duration(seconds: float) -> Worded:
    """A quota's window or a wait in its one exact unit ("1 day", "10 min"); the hour, minute and second
    abbreviations are the ones `Translator.duration` uses."""
    if seconds >= 86400 and seconds % 86400 == 0:
        return Worded.counted(NP_("{count} day", "{count} days"), int(seconds // 86400))
    for template, size in ((N_("{count} h"), 3600), (N_("{count} min"), 60)):
        if seconds >= size and seconds % size == 0:
            return Worded(template, count=int(seconds // size))
    return Worded(N_("{count} s"), count=math.ceil(seconds))


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
    """Component "limits": quota windows (in memory by default, in Redis when shared), and the process-wide
    probe cap (always per process: it protects this host's sockets). Shared windows need a clock all
    processes agree on, so the composition root hands a wall clock with them."""

    name = "limits"

    def __init__(
        self,
        settings: LimitSettings,
        clock: Callable[[], float] = time.monotonic,
        windows: Windows | None = None,
    ) -> None:
        self.quotas = quotas_from(settings)
        self.clock = clock
        self.windows = windows or LocalWindows()
        self.max_probes = settings.silkroute_max_concurrent_probes
        self._probes = asyncio.Semaphore(self.max_probes)
        self.probes_running = 0
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

    async def charge(
        self, cost: Cost, *, user_id: int | None, guild_id: int | None, can_manage: bool, amount: int = 1
    ) -> None:
        """Record `amount` uses, or raise SlowDown (recording nothing) when any quota that applies is full."""
        now = self.clock()
        applying: list[Quota] = []
        claims: list[Claim] = []
        for quota in self.quotas:
            owner = user_id if quota.scope is Scope.MEMBER else guild_id
            if quota.cost is not cost or owner is None or (quota.managers_exempt and can_manage):
                continue
            applying.append(quota)
            claims.append(Claim(quota.key, str(owner), quota.uses, quota.window))
        refusal = await self.windows.spend(claims, amount, now) if claims else None
        if refusal is not None:
            self.refused += 1
            quota = applying[refusal.index]
            retry_after = self._retry_after(quota, refusal.oldest, now)
            raise SlowDown(self._refusal(quota, refusal.spent, amount, retry_after), retry_after)

    def _retry_after(self, quota: Quota, oldest: float | None, now: float) -> float:
        return max(1.0, oldest + quota.window - now) if oldest is not None else quota.window

    def _refusal(self, quota: Quota, spent: int, amount: int, retry_after: float) -> Worded:
        scope = Worded(_SCOPES[quota.scope])
        if quota.uses == 0:
            return Worded(
                N_("This bot has switched off {what} for each {scope}."),
                what=Worded(_NAMED[quota.cost]),
                scope=scope,
            )
        return Worded(
            N_("Slow down: this {scope} has used {spent} of {quota}{asked}. Try again in {wait}."),
            scope=scope,
            spent=spent,
            quota=quota.describe(),
            asked=Worded(N_(" ({amount} asked)"), amount=amount) if amount > 1 else "",
            wait=_duration(math.ceil(retry_after)),
        )

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def status(self) -> Section:
        now = self.clock()
        rows = []
        for quota in self.quotas:
            busy = self.windows.busy(quota.key, now)
            rows.append([quota.describe(), str(sum(1 for b in busy if b)), str(max(busy, default=0))])
        return Section(
            Worded(N_("Fair use")),
            Worded(
                N_("Probes running: {running} of {most}; uses refused since start: {refused}."),
                running=self.probes_running,
                most=self.max_probes,
                refused=self.refused,
            ),
            Table([Worded(N_("quota")), Worded(N_("users/servers active")), Worded(N_("most used"))], rows),
        )
