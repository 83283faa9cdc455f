"""How alert messages leave: the `AlertSink` protocol and the outbox sender that hands it `Delivery`s.

Sinks (the console's in the application layer, Discord's in the front end) render a delivery their own
way; nothing here knows what a message looks like.

One sender task drains the outbox (RoboDanny's single queue + sender habit): a row is marked sent only after
the sink accepted it, so an outage or a restart delays delivery but loses nothing; rows for the same guild and
watch due together go out as one message, so a storm stays one message.

Exactly once across replicas and crashes: the sender claims its rows (no other sender takes them while the
claim lasts and its replica's heartbeat is fresh), stores the message nonce before sending, and a row that
comes back with a nonce (its sender died between Discord accepting the message and the row being marked
sent) is first looked for in the channel under that nonce; Discord itself also refuses a second message with
a recent nonce.
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
from bot.cluster.identity import new_replica_id

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
    nonce: str | None = None
    """Sent with the message (Discord: `nonce`, enforced), so a repeat of this delivery can be recognised."""

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
class Posted:
    """Messages found in a channel: their ref, and the alerts they show (a crash may have cut a storm's
    messages short: the alerts not shown are still to be sent)."""

    ref: str
    alert_ids: frozenset[int]


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

    async def find_sent(self, delivery: Delivery) -> Posted | None:
        """What an earlier attempt posted for `delivery` (same channel, same nonce), or None."""
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
        owner: str = "",
        claim_seconds: float = 300.0,
        stale_seconds: float | None = None,
    ) -> None:
        self.owner = owner or new_replica_id()
        """The replica id of this process (its `replicas` row): its claims are judged by that row's heartbeat."""
        self.claim_seconds = claim_seconds
        self.stale_seconds = stale_seconds
        """Take over claims of replicas not heard from for this long (None: only claims that ran out)."""
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

    def resume(self) -> None:
        """Drain again after `stop()`: this replica leads once more."""
        self.stopped = False

    async def _drain(self) -> int:
        # another process holds the other guilds' shards and delivers their rows; here they stay unclaimed
        now = self.clock()
        stale_before = None if self.stale_seconds is None else now - self.stale_seconds
        claimed = await self.repository.claim(
            now, self.owner, self.claim_seconds, self.sink.holds, stale_before
        )
        items = await self._not_posted(claimed)
        sent = 0
        for delivery, outbox_ids, attempts in await self._batches(items):
            try:
                # Unique per row set and attempt (an outbox id is never reused), stored before sending.
                delivery.nonce = f"sr{min(outbox_ids)}.{attempts}"
                await self.repository.set_nonce(outbox_ids, delivery.nonce)
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

    async def _not_posted(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Rows an earlier attempt sent under a nonce (it crashed, or the sink could not say whether the message
        arrived): those the channel has are marked sent; the others are sent afresh with the rest."""
        earlier: dict[str, list[OutboxItem]] = {}
        for item in items:
            if item.nonce is not None:
                earlier.setdefault(item.nonce, []).append(item)
        kept = [item for item in items if item.nonce is None]
        for nonce, rows in earlier.items():
            guild = rows[0].alert.guild_id
            probe = Delivery(guild, await self.channel_of(guild), nonce=nonce)
            try:
                found = await self.sink.find_sent(probe)
            except DeliveryError as exc:
                log.warning(
                    "cannot look for alert delivery %s in its channel (%s); retrying later", nonce, exc
                )
                await self.repository.mark_failed(
                    [r.id for r in rows], str(exc), self.clock() + self.retry_base
                )
                continue
            shown = found.alert_ids if found is not None else frozenset()
            done = [r.id for r in rows if r.alert.id in shown]
            if found is not None and done:
                log.info(
                    "alert delivery %s reached the channel before: %d rows not posted again", nonce, len(done)
                )
                await self.repository.mark_sent(done, self.clock(), found.ref)
            kept.extend(r for r in rows if r.alert.id not in shown)
        return sorted(kept, key=lambda item: item.id)

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
