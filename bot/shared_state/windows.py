"""Sliding windows of uses, the store behind fair-use quotas: the types every store shares and the in-memory one.

The quotas themselves (what costs what, the wording of a refusal) belong to the application; a store only
counts uses per (quota, owner) within a window, atomically across all the windows one use counts in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Claim:
    """One window a use would count in: a quota's key and owner (member or server id), its size and limit."""

    quota: str
    owner: str
    limit: int
    window: float


@dataclass(frozen=True, slots=True)
class Refusal:
    """Which claim is full, what it has spent, and when its oldest use in the window was made."""

    index: int
    spent: int
    oldest: float | None


class Windows(Protocol):
    """Where the sliding windows live: this process (`LocalWindows`) or Redis, shared by all processes."""

    async def spend(self, claims: list[Claim], amount: int, now: float) -> Refusal | None:
        """Record `amount` in every claim's window, atomically, or nothing and the first full one."""
        ...

    def busy(self, quota: str, now: float) -> list[int]:
        """Uses in the window per owner with any, as far as this process knows (for `/status`)."""
        ...


class LocalWindows:
    """Windows in memory: a restart forgives, and each process counts only its own uses.

    Every `sweep_every` spends the windows of owners with no use left in them are dropped, so a bot that
    meets many members over months holds only the recently active ones.
    """

    def __init__(self, sweep_every: int = 1000) -> None:
        self._uses: dict[tuple[str, str], deque[tuple[float, int]]] = {}
        self._windows: dict[str, float] = {}
        self._sweep_every = sweep_every
        self._since_sweep = 0

    def owners(self) -> int:
        """How many (quota, owner) windows are held: what the sweep keeps bounded."""
        return len(self._uses)

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        for key in [
            k for k, uses in self._uses.items() if not uses or uses[-1][0] <= now - self._windows[k[0]]
        ]:
            del self._uses[key]

    async def spend(self, claims: list[Claim], amount: int, now: float) -> Refusal | None:
        self._since_sweep += 1
        if self._since_sweep >= self._sweep_every:
            self._sweep(now)
        applying: list[deque[tuple[float, int]]] = []
        for index, claim in enumerate(claims):
            self._windows[claim.quota] = claim.window
            uses = self._uses.setdefault((claim.quota, claim.owner), deque())
            while uses and uses[0][0] <= now - claim.window:
                uses.popleft()
            spent = sum(n for _, n in uses)
            if spent + amount > claim.limit:
                return Refusal(index, spent, uses[0][0] if uses else None)
            applying.append(uses)
        for uses in applying:
            uses.append((now, amount))
        return None

    def busy(self, quota: str, now: float) -> list[int]:
        window = self._windows.get(quota, 0.0)
        return [
            sum(n for t, n in uses if t > now - window) for (q, _), uses in self._uses.items() if q == quota
        ]
