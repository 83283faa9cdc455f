"""How alert messages leave: the `AlertSink` protocol and the outbox sender that hands it `Delivery`s.

Sinks (the console's in the application layer, Discord's in the front end) render a delivery their own
way; nothing here knows what a message looks like.

One sender task drains the SQLite outbox (RoboDanny's single queue + sender habit): a row is marked sent
only after the sink accepted it, so an outage or a restart delays delivery but loses nothing; rows for
the same guild and watch due together go out as one message, so a storm stays one message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.alerts.model import AlertState, Clock, OutboxEvent
from bot.alerts.repository import AlertRecord, AlertRepository, OutboxItem

log = logging.getLogger(__name__)
_MENTION = re.compile(r"^<#(\d+)>$")


class DeliveryError(Exception):
    """The sink could not deliver now (outage, rate limit, missing channel); the rows stay pending."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One alert in a message; `event` is the newest pending event, `also_opened` when its opening was never told."""

    alert: AlertRecord
    event: OutboxEvent
    also_opened: bool = False


@dataclass(slots=True)
class Delivery:
    guild_id: int
    channel_id: int | None
    entries: list[Entry] = field(default_factory=list)

    @property
    def alert_ids(self) -> list[int]:
        return [e.alert.id for e in self.entries]

    @property
    def wants_oncall(self) -> bool:
        """Ping the on-call role for news of a problem, never for a recovery or a test."""
        return any(
            e.event in (OutboxEvent.OPENED, OutboxEvent.RENOTIFY) and e.alert.state is AlertState.OPEN
            for e in self.entries
        )


@dataclass(frozen=True, slots=True)
class ChannelRef:
    id: int
    label: str


class AlertSink(Protocol):
    """A place alerts are posted: Discord channels, or the console."""

    async def deliver(self, delivery: Delivery) -> str: ...

    async def resolve_channel(self, guild_id: int, raw: str) -> ChannelRef: ...

    def holds(self, guild_id: int) -> bool:
        """Whether this sink posts for the guild: a Discord process holds only its shards' guilds."""
        ...


def channel_id_of(raw: str) -> int | None:
    """`<#123>` (what Discord puts in a string option for a channel mention) or a bare id → 123."""
    text = raw.strip()
    if match := _MENTION.match(text):
        return int(match.group(1))
    return int(text) if text.isdigit() else None


ChannelOf = Callable[[int], Awaitable[int | None]]


class OutboxSender:
    """Drains the outbox into a sink; retries failed deliveries with capped exponential backoff."""

    def __init__(
        self,
        repository: AlertRepository,
        sink: AlertSink,
        channel_of: ChannelOf,
        clock: Clock,
        *,
        batch_window: float = 2.0,
        retry_base: float = 5.0,
        retry_max: float = 300.0,
    ) -> None:
        self.repository = repository
        self.sink = sink
        self.channel_of = channel_of
        self.clock = clock
        self.batch_window = batch_window
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.wake = asyncio.Event()
        self._lock = asyncio.Lock()  # a drain must never overlap another: both would send the same rows
        self.delivered = 0
        self.failures = 0
        self.stopped = False

    async def drain_once(self) -> int:
        """Send every due row once; returns the number of messages delivered."""
        async with self._lock:
            return 0 if self.stopped else await self._drain()

    async def stop(self) -> None:
        """Let a drain in progress mark its rows sent, then start no other (the state file is closing)."""
        async with self._lock:
            self.stopped = True

    async def _drain(self) -> int:
        # another process holds the other guilds' shards and delivers their rows; here they stay pending
        items = [i for i in await self.repository.pending(self.clock()) if self.sink.holds(i.alert.guild_id)]
        sent = 0
        for delivery, outbox_ids, attempts in await self._batches(items):
            try:
                ref = await self.sink.deliver(delivery)
            except DeliveryError as exc:
                self.failures += 1
                delay = min(self.retry_max, self.retry_base * 2 ** min(attempts, 10))
                log.warning(
                    "alert delivery to guild %s failed (%s); retry in %.0f s", delivery.guild_id, exc, delay
                )
                await self.repository.mark_failed(outbox_ids, str(exc), self.clock() + delay)
                continue
            await self.repository.mark_sent(outbox_ids, self.clock(), ref)
            self.delivered += 1
            sent += 1
        return sent

    async def _batches(self, items: list[OutboxItem]) -> list[tuple[Delivery, list[int], int]]:
        """Newest pending event per alert, then one delivery per (guild, watch target)."""
        per_alert: dict[int, list[OutboxItem]] = {}
        for item in items:
            per_alert.setdefault(item.alert.id, []).append(item)
        groups: dict[tuple[int, str], tuple[Delivery, list[int], int]] = {}
        for rows in per_alert.values():
            newest = rows[-1]
            alert = newest.alert
            group_key = (alert.guild_id, alert.target or alert.kind)
            if group_key not in groups:
                groups[group_key] = (Delivery(alert.guild_id, await self.channel_of(alert.guild_id)), [], 0)
            delivery, ids, attempts = groups[group_key]
            also_opened = newest.event is OutboxEvent.RESOLVED and any(
                r.event is OutboxEvent.OPENED for r in rows
            )
            delivery.entries.append(Entry(alert, newest.event, also_opened))
            ids.extend(r.id for r in rows)
            groups[group_key] = (delivery, ids, max(attempts, *(r.attempts for r in rows)))
        return list(groups.values())

    async def run(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, idle: float = 5.0) -> None:
        """Forever: wait to be woken (or `idle` seconds, for retries), let a storm gather, drain."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=idle)
            self.wake.clear()
            if self.batch_window:
                await sleep(self.batch_window)
            try:
                await self.drain_once()
            except Exception:
                log.exception("alert sender failed; retrying")
