"""What the alert service needs from the rest of the bot, as small Protocols the wiring satisfies.

The alert package imports no other capability's objects: the composition root (`bot.app.wiring`) hands it
a snapshot provider, a RIS Live feed factory, an RPKI checker and a site probe that fit these shapes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.alerts.model import SiteState
from bot.live.rislive import RisEvent, RisMessage, RisSubscription
from bot.outage.model import Entity, Verdict
from bot.routing.snapshot import Snapshot


class SnapshotProvider(Protocol):
    """The routing snapshot being served right now, or None before the first import."""

    @property
    def current(self) -> Snapshot | None: ...


class RpkiResult(Protocol):
    @property
    def status(self) -> str: ...


class RpkiChecker(Protocol):
    """RIPEstat's rpki-validation call, as `bot.live.ripestat.RipestatClient` offers it."""

    async def rpki_validation(self, asn: int | str, prefix: str) -> RpkiResult: ...


class Feed(Protocol):
    """A RIS Live feed as `bot.live.rislive.RisLiveClient` offers it."""

    def events(self) -> AsyncIterator[RisEvent]: ...

    async def subscribe(self, subscription: RisSubscription) -> None: ...

    async def unsubscribe(self, subscription: RisSubscription) -> None: ...


ExitPoint = tuple[str, dict[str, float]]
"""One history point of an AS: its date (YYYY-MM-DD) and IPv4 exit-country shares."""

ExitHistory = Callable[[str, str], Awaitable[list[ExitPoint]]]
"""The history points of a target ("AS9198") from a day (YYYY-MM-DD) on, for the drift monitor."""

FeedFactory = Callable[[tuple[RisSubscription, ...]], Feed]
"""Opens a RIS Live feed with these subscriptions; called once something is watched."""


@dataclass(frozen=True, slots=True)
class SiteCheck:
    """One check of a watched site: up or down, with the check's own verdict word and one sentence of why."""

    state: SiteState
    verdict: str
    reason: str


SiteProbe = Callable[[str], Awaitable[SiteCheck]]
"""Checks one site URL the way `/reach` does."""


class OutageWatch(Protocol):
    """The outage component as `bot.outage.service.OutageService` offers it: verdicts on demand, and its own
    BGP signal fed from the alert service's RIS Live socket (one socket for every consumer)."""

    async def verdict(self, entity: Entity) -> Verdict: ...

    def follow(self, entities: Sequence[Entity]) -> tuple[RisSubscription, ...]: ...

    def observe(self, message: RisMessage, now: datetime) -> None: ...

    def feed_state(self, connected: bool, now: datetime) -> None: ...
