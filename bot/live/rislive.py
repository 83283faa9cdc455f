"""RIS Live WebSocket client: subscriptions, reconnect with resubscription, and a silence detector.

RIS Live sockets go silent or drop (close code 1006) in practice, and a monitor that silently stops
hearing BGP is worse than none. So the feed's own health is part of the stream: the consumer iterates
`RisLiveClient.events()` and sees `RisMessage`s interleaved with `FeedStatus` changes (connected,
disconnected, silent, resumed, error). Filters are applied by the server and checked again here, so a
server that ignores a filter cannot flood the monitors with unrelated prefixes.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import ipaddress
import json
import logging
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import aiohttp

from bot.live.http_client import RISLIVE, HttpLayer, UpstreamError

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=65536)
def _network(text: str) -> Network | None:
    """Parsed once per prefix text: every subscription checks every prefix of a message against its own
    (a country's outage watch holds hundreds of filters), and parsing dominated that check."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class PathPattern:
    """RIS Live's AS path pattern: comma-separated ASNs, `^` anchors the first hop, `$` the origin, `!` negates."""

    asns: tuple[int, ...]
    start: bool = False
    end: bool = False
    negate: bool = False

    @classmethod
    def parse(cls, text: str) -> PathPattern:
        body = text.strip()
        negate = body.startswith("!")
        body = body.removeprefix("!")
        start, end = body.startswith("^"), body.endswith("$")
        body = body.removeprefix("^").removesuffix("$")
        try:
            asns = tuple(int(part) for part in body.replace(" ", ",").split(",") if part)
        except ValueError:
            raise ValueError(f"bad AS path pattern {text!r}; use e.g. '9198$' or '^3216,9198'") from None
        if not asns:
            raise ValueError(f"empty AS path pattern {text!r}")
        return cls(asns, start, end, negate)

    def matches(self, path: tuple[int, ...]) -> bool:
        width = len(self.asns)
        found = False
        for offset in range(len(path) - width + 1):
            if path[offset : offset + width] != self.asns:
                continue
            if self.start and offset != 0:
                continue
            if self.end and offset + width != len(path):
                continue
            found = True
            break
        return found != self.negate


@dataclass(frozen=True, slots=True)
class RisAnnouncement:
    next_hop: str
    prefixes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RisMessage:
    """One `ris_message`; `path` is the AS path with AS-set members flattened in order."""

    type: str
    timestamp: float
    host: str
    peer: str
    peer_asn: int
    path: tuple[int, ...] = ()
    origin_is_set: bool = False
    announcements: tuple[RisAnnouncement, ...] = ()
    withdrawals: tuple[str, ...] = ()
    community: tuple[tuple[int, int], ...] = ()
    state: str = ""
    id: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RisMessage:
        raw_path = data.get("path") or []
        path: list[int] = []
        for hop in raw_path:
            path.extend(int(h) for h in hop) if isinstance(hop, list) else path.append(int(hop))
        return cls(
            type=str(data.get("type", "")),
            timestamp=float(data.get("timestamp", 0.0)),
            host=str(data.get("host", "")),
            peer=str(data.get("peer", "")),
            peer_asn=int(data.get("peer_asn") or 0),
            path=tuple(path),
            origin_is_set=bool(raw_path) and isinstance(raw_path[-1], list),
            announcements=tuple(
                RisAnnouncement(str(a.get("next_hop", "")), tuple(str(p) for p in a.get("prefixes") or ()))
                for a in data.get("announcements") or ()
            ),
            withdrawals=tuple(str(p) for p in data.get("withdrawals") or ()),
            community=tuple((int(c[0]), int(c[1])) for c in data.get("community") or () if len(c) == 2),
            state=str(data.get("state", "")),
            id=str(data.get("id", "")),
        )

    @property
    def origin_asn(self) -> int | None:
        """The originating AS, or None when the path is empty or ends in an AS set (origin ambiguous)."""
        return None if not self.path or self.origin_is_set else self.path[-1]

    @property
    def announced(self) -> tuple[str, ...]:
        return tuple(p for a in self.announcements for p in a.prefixes)


@dataclass(frozen=True)
class RisSubscription:
    """A `ris_subscribe` filter. RIS Live's own default for `moreSpecific` is true; we mirror it."""

    prefix: str | None = None
    more_specific: bool = True
    less_specific: bool = False
    path: str | None = None
    host: str | None = None
    peer: str | None = None
    require: str | None = None
    type: str | None = "UPDATE"

    def __post_init__(self) -> None:
        if self.prefix is not None and _network(self.prefix) is None:
            raise ValueError(f"bad prefix {self.prefix!r}")
        if self.path is not None:
            PathPattern.parse(self.path)
        if self.require not in (None, "announcements", "withdrawals"):
            raise ValueError("require must be 'announcements' or 'withdrawals'")

    def to_json(self) -> dict[str, Any]:
        """The `data` of a ris_subscribe / ris_unsubscribe message."""
        data: dict[str, Any] = {"socketOptions": {"includeRaw": False}}
        if self.type:
            data["type"] = self.type
        if self.prefix:
            data["prefix"] = self.prefix
            data["moreSpecific"] = self.more_specific
            data["lessSpecific"] = self.less_specific
        for key in ("path", "host", "peer", "require"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    @cached_property
    def _pattern(self) -> PathPattern | None:
        return PathPattern.parse(self.path) if self.path else None

    @cached_property
    def _net(self) -> Network | None:
        return _network(self.prefix) if self.prefix else None

    def matches(self, message: RisMessage) -> bool:
        """Client-side check of the same filter the server applies."""
        if self.type and message.type != self.type:
            return False
        if self.host and message.host.lower() != self.host.lower():
            return False
        if self.peer and message.peer != self.peer:
            return False
        if self.require == "announcements" and not message.announcements:
            return False
        if self.require == "withdrawals" and not message.withdrawals:
            return False
        if self._pattern is not None and not self._pattern.matches(message.path):
            return False
        return self._net is None or any(self._covers(p) for p in (*message.announced, *message.withdrawals))

    def _covers(self, prefix: str) -> bool:
        net, other = self._net, _network(prefix)
        if net is None or other is None or net.version != other.version:
            return False
        if other == net:
            return True
        if self.more_specific and other.subnet_of(net):  # type: ignore[arg-type]
            return True
        return self.less_specific and net.subnet_of(other)  # type: ignore[arg-type]


class FeedState(enum.StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    SILENT = "silent"
    RESUMED = "resumed"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """A change in the feed's health; `silent_for` is seconds since the last message (SILENT/RESUMED)."""

    state: FeedState
    detail: str = ""
    at: float = field(default_factory=time.time)
    attempt: int = 0
    silent_for: float = 0.0


RisEvent = RisMessage | FeedStatus


class RisLiveClient:
    """`async for event in client.events(): ...` — messages matching the subscriptions, plus feed status."""

    def __init__(
        self,
        http: HttpLayer,
        subscriptions: Iterable[RisSubscription] = (),
        *,
        silence_seconds: float | None = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        heartbeat: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._subs: list[RisSubscription] = list(dict.fromkeys(subscriptions))
        self.silence_seconds = silence_seconds or http.settings.live.silkroute_rislive_silence_seconds
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._heartbeat = heartbeat
        self._clock = clock
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.connects = 0
        self.messages = 0
        self.filtered_out = 0
        self.state = FeedState.DISCONNECTED

    @property
    def subscriptions(self) -> tuple[RisSubscription, ...]:
        return tuple(self._subs)

    async def subscribe(self, subscription: RisSubscription) -> None:
        """Add a filter; sent at once when connected and again after every reconnect."""
        if subscription in self._subs:
            return
        self._subs.append(subscription)
        await self._send("ris_subscribe", subscription)

    async def unsubscribe(self, subscription: RisSubscription) -> None:
        if subscription not in self._subs:
            return
        self._subs.remove(subscription)
        await self._send("ris_unsubscribe", subscription)

    async def _send(self, kind: str, subscription: RisSubscription) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.send_json({"type": kind, "data": subscription.to_json()})

    def accepts(self, message: RisMessage) -> bool:
        return not self._subs or any(sub.matches(message) for sub in self._subs)

    async def events(self) -> AsyncGenerator[RisEvent, None]:
        """Run the feed forever: connect, subscribe, read; on any failure report it, back off and reconnect."""
        self._http.check_online(RISLIVE)
        attempt = 0
        while True:
            try:
                async with self._http.ws_connect(RISLIVE, heartbeat=self._heartbeat) as ws:
                    self._ws = ws
                    for sub in self._subs:
                        await ws.send_json({"type": "ris_subscribe", "data": sub.to_json()})
                    self.connects += 1
                    self.state = FeedState.CONNECTED
                    yield FeedStatus(FeedState.CONNECTED, "subscribed", attempt=attempt)
                    async for event in self._read(ws):
                        if isinstance(event, RisMessage):
                            attempt = 0
                        yield event
                    reason = f"socket closed (code {ws.close_code})"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                reason = f"connection failed ({type(exc).__name__}: {exc})"
            except UpstreamError:
                raise
            finally:
                self._ws = None
            self.state = FeedState.DISCONNECTED
            delay = min(self._backoff_max, self._backoff_initial * 2**attempt) * (0.5 + random.random() / 2)
            attempt += 1
            yield FeedStatus(
                FeedState.DISCONNECTED, f"{reason}; reconnecting in {delay:.1f} s", attempt=attempt
            )
            await asyncio.sleep(delay)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> AsyncIterator[RisEvent]:
        """Messages of one connection; silence is reported once, and a second silent period reconnects."""
        last = self._clock()
        silent_periods = 0
        while True:
            try:
                frame = await ws.receive(timeout=self.silence_seconds)
            except TimeoutError:
                silent_periods += 1
                if silent_periods > 1:
                    return  # still silent: a fresh socket is the only remedy that works in practice
                self.state = FeedState.SILENT
                yield FeedStatus(
                    FeedState.SILENT, "no message from RIS Live", silent_for=self._clock() - last
                )
                continue
            if frame.type != aiohttp.WSMsgType.TEXT:
                if frame.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    return
                continue
            if silent_periods:
                silent_periods = 0
                self.state = FeedState.CONNECTED
                yield FeedStatus(FeedState.RESUMED, "messages flowing again", silent_for=self._clock() - last)
            last = self._clock()
            event = self._decode(frame.data)
            if event is not None:
                yield event

    def _decode(self, text: str) -> RisEvent | None:
        try:
            envelope = json.loads(text)
            kind = envelope.get("type")
            data = envelope.get("data") or {}
            if kind == "ris_error":
                return FeedStatus(FeedState.ERROR, str(data.get("message", data)))
            if kind != "ris_message":
                return None  # ris_subscribe_ok, pong and future message types
            message = RisMessage.from_json(data)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            log.warning("RIS Live: unreadable message skipped (%s)", exc)
            return None
        self.messages += 1
        if not self.accepts(message):
            self.filtered_out += 1
            return None
        return message
