"""A local RIS Live WebSocket server that replays real BGP updates, for the live and alert tests.

Real updates come from the MRT files in ../shared/data/mrt/ (read with `bot.routing.mrt.MrtReader` and
converted to `ris_message` JSON, one message per peer/time/path like RIS Live groups them) or from the
recorded lines in ../shared/data/rislive/. The server applies subscription filters with its own, simpler
matcher (independent of the client's), can ignore them (`honour_filters = False`) to prove the client
checks them too, can drop every socket (`drop_clients`) and can go quiet (just publish nothing).
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from bot.core.settings import CoreSettings, LiveSettings, Settings
from bot.live.http_client import HttpLayer
from bot.routing.mrt import MrtReader, RouteEvent
from tests.bot.live.fake_upstreams import serving


def ris_messages_from_events(events: Iterable[RouteEvent], host: str = "rrc00") -> Iterator[dict[str, Any]]:
    """Group consecutive MRT events of one peer, second and path into `ris_message` data, as RIS Live does."""
    batch: list[RouteEvent] = []
    serial = itertools.count()

    def flush() -> dict[str, Any]:
        first = batch[0]
        path = [sorted(hop) if isinstance(hop, frozenset) else hop for hop in first.as_path]
        data: dict[str, Any] = {
            "timestamp": float(first.timestamp),
            "peer": first.peer_ip,
            "peer_asn": str(first.peer_asn),
            "id": f"{first.peer_ip}-{first.timestamp}-{next(serial)}",
            "host": host,
            "type": "UPDATE",
            "path": path,
            "community": [],
            "origin": "igp",
        }
        announced = [e.prefix for e in batch if e.kind == "A"]
        withdrawn = [e.prefix for e in batch if e.kind == "W"]
        if announced:
            data["announcements"] = [{"next_hop": first.peer_ip, "prefixes": announced}]
        if withdrawn:
            data["withdrawals"] = withdrawn
        return data

    for event in events:
        if event.kind not in ("A", "W"):
            continue
        if batch and (event.peer_ip, event.timestamp, event.as_path, event.kind) != (
            batch[0].peer_ip,
            batch[0].timestamp,
            batch[0].as_path,
            batch[0].kind,
        ):
            yield flush()
            batch = []
        batch.append(event)
    if batch:
        yield flush()


def ris_messages_from_mrt(path: Path, limit: int, host: str = "rrc00") -> list[dict[str, Any]]:
    """The first `limit` `ris_message` data objects of a real MRT update file."""
    messages = []
    for message in ris_messages_from_events(MrtReader(path), host):
        messages.append(message)
        if len(messages) >= limit:
            break
    return messages


def ris_messages_from_recording(path: Path) -> list[dict[str, Any]]:
    """`data` of every parseable `ris_message` line in a recorded RIS Live JSONL file."""
    messages = []
    for line in path.read_text().splitlines():
        try:
            envelope = json.loads(line)
        except ValueError:
            continue  # the recording ends with a deliberately cut line
        if envelope.get("type") == "ris_message":
            messages.append(envelope["data"])
    return messages


def _server_side_match(sub: dict[str, Any], data: dict[str, Any]) -> bool:
    """The fake server's own filter: prefix (+more/less specific), path regex, host, peer, type, require."""
    if sub.get("type") and data.get("type") != sub["type"]:
        return False
    if sub.get("host") and str(data.get("host", "")).lower() != str(sub["host"]).lower():
        return False
    if sub.get("peer") and data.get("peer") != sub["peer"]:
        return False
    announced = [p for a in data.get("announcements") or () for p in a.get("prefixes") or ()]
    withdrawn = list(data.get("withdrawals") or ())
    if sub.get("require") == "announcements" and not announced:
        return False
    if sub.get("require") == "withdrawals" and not withdrawn:
        return False
    if sub.get("path"):
        flat = " ".join(
            str(h) for hop in data.get("path") or () for h in (hop if isinstance(hop, list) else [hop])
        )
        pattern = str(sub["path"])
        negate = pattern.startswith("!")
        body = pattern.lstrip("!").replace(",", " ")
        regex = (
            ("^" if body.startswith("^") else r"(^|\s)")
            + re.escape(body.strip("^$"))
            + ("$" if body.endswith("$") else r"(\s|$)")
        )
        if bool(re.search(regex, flat)) == negate:
            return False
    if sub.get("prefix"):
        wanted = ipaddress.ip_network(sub["prefix"], strict=False)
        more = sub.get("moreSpecific", True)
        less = sub.get("lessSpecific", False)
        for text in announced + withdrawn:
            net = ipaddress.ip_network(text, strict=False)
            if net.version != wanted.version:
                continue
            if net == wanted or (more and net.subnet_of(wanted)) or (less and wanted.subnet_of(net)):  # type: ignore[arg-type]
                return True
        return False
    return True


@dataclass
class _Client:
    ws: web.WebSocketResponse
    name: str
    subscriptions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeRisLive:
    """Start with the `fake_rislive` fixture; `url` goes into `RISLIVE_URL`."""

    honour_filters: bool = True
    clients: list[_Client] = field(default_factory=list)
    connections: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    server: TestServer | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1/ws/")).replace("http://", "ws://")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/ws/", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        client = _Client(ws, request.query.get("client", ""))
        self.clients.append(client)
        self.connections += 1
        self._notify()
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                self.received.append(message)
                if message.get("type") == "ris_subscribe":
                    client.subscriptions.append(message["data"])
                elif message.get("type") == "ris_unsubscribe":
                    client.subscriptions = [s for s in client.subscriptions if s != message["data"]]
                self._notify()
        finally:
            self.clients.remove(client)
            self._notify()
        return ws

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, *, subscriptions: int, connections: int = 1, within: float = 5.0) -> None:
        """Until `connections` sockets have been opened and the live ones hold `subscriptions` filters."""
        async with asyncio.timeout(within):
            while not (
                self.connections >= connections
                and self.clients
                and all(len(c.subscriptions) >= subscriptions for c in self.clients)
            ):
                await self._changed.wait()

    async def publish(self, data: dict[str, Any]) -> int:
        """Send one `ris_message` to every client whose filters match; returns how many got it."""
        text = json.dumps({"type": "ris_message", "data": data})
        sent = 0
        for client in list(self.clients):
            subs = client.subscriptions
            if self.honour_filters and subs and not any(_server_side_match(s, data) for s in subs):
                continue
            if not client.ws.closed:
                await client.ws.send_str(text)
                sent += 1
        return sent

    async def send_raw(self, text: str) -> None:
        for client in list(self.clients):
            await client.ws.send_str(text)

    async def drop_clients(self) -> None:
        """Close every socket abruptly, as RIS Live does in practice (the client sees the socket end)."""
        for client in list(self.clients):
            transport = client.ws._req.transport if client.ws._req is not None else None
            if transport is not None:
                transport.abort()


@pytest.fixture
async def fake_rislive() -> AsyncIterator[FakeRisLive]:
    fake = FakeRisLive()
    async with serving(fake.app()) as fake.server:
        try:
            yield fake
        finally:
            for client in list(fake.clients):
                await client.ws.close()


@pytest.fixture
async def rislive_http(fake_rislive: FakeRisLive) -> AsyncIterator[HttpLayer]:
    """An online HTTP layer whose RIS Live URL is the fake's."""
    settings = Settings(
        core=CoreSettings(silkroute_offline=False), live=LiveSettings(rislive_url=fake_rislive.url)
    )
    layer = HttpLayer(settings)
    yield layer
    await layer.close()
