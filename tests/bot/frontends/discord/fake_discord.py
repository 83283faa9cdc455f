"""A small local Discord (REST + gateway) on 127.0.0.1 for wire-level tests of the real discord.py client.

It speaks just enough of Discord's API for login, READY, command sync, interactions (callback, follow-ups,
edits of @original) and channel messages, records every request and gateway frame, and lets a test
inject interactions, drop the gateway, and make the next request to a route answer 429. It checks our
wiring and the wire format; Discord's rules (permissions, limits) are SimCord's job.
Facts it relies on: ../shared/notes/discord-testing.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gw"
EVERYONE_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, use_application_commands=True
)
MAX_FILE_BYTES = 10 * 1024 * 1024

Json = dict[str, Any]
RouteHandler = Callable[["RecordedRequest", re.Match[str]], "web.StreamResponse | Json | list[Any] | None"]


@dataclass
class RecordedRequest:
    """One REST request as it reached the fake, body decoded (JSON, or `payload_json` + files)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    json: Any = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    status: int = 200


@dataclass
class Interaction:
    """An interaction the fake sent, so its callback and follow-ups can be found again."""

    id: int
    token: str
    channel_id: int
    created_at: float = 0.0
    user_id: int = 0
    revoked: bool = False

    @property
    def callback_path(self) -> str:
        return f"/interactions/{self.id}/{self.token}/callback"


def _json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly `application/json`: with `; charset=utf-8` discord.py reads the body as text and login fails.
    return web.Response(
        body=json.dumps(body).encode(), status=status, content_type="application/json", headers=headers
    )


class FakeDiscord:
    """Discord's REST API under `/api/v10` and its gateway at `/gw`, on one local aiohttp server."""

    def __init__(
        self,
        token: str,
        *,
        guild_id: int = 1_100_000_000_000_000_001,
        channel_ids: tuple[int, ...] = (1_100_000_000_000_000_010, 1_100_000_000_000_000_011),
        more_guilds: dict[int, tuple[int, ...]] | None = None,
    ) -> None:
        self.token = token
        self.clock: Callable[[], float] = time.monotonic
        """Interaction tokens expire INTERACTION_TOKEN_SECONDS after the interaction, on this clock."""
        self.dm_channels: dict[int, int] = {}
        self.guild_id = guild_id
        self.channel_ids = channel_ids
        self.guild_channels = {guild_id: channel_ids, **(more_guilds or {})}
        """Every guild the bot is in, with its text channels; the first is the one most tests use."""
        self.shards: dict[web.WebSocketResponse, tuple[int, int]] = {}
        """Each gateway connection's [shard id, shard count] from its IDENTIFY (absent: unsharded)."""
        self._ids = itertools.count(1_200_000_000_000_000_000)
        self.application_id = next(self._ids)
        self.bot_user: Json = {
            "id": str(next(self._ids)),
            "username": "silkroute",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
        }
        self.requests: list[RecordedRequest] = []
        self.gateway_frames: list[Json] = []  # what the client sent over the gateway
        self.commands: dict[int | None, list[Json]] = {}  # synced commands by guild id (None: global)
        self.interactions: list[Interaction] = []
        self.channel_messages: dict[int, list[Json]] = {}
        """Every message created per channel, oldest first: a repeat under an enforced nonce creates none."""
        self.connections = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = 0
        self._session_id = "fake-session-1"
        self._rate_limits: list[tuple[str, re.Pattern[str], float]] = []
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], RouteHandler]] = [
            ("GET", re.compile(r"/users/@me"), self._me),
            ("GET", re.compile(r"/oauth2/applications/@me"), self._application),
            ("GET", re.compile(r"/gateway(/bot)?"), self._gateway_info),
            ("PUT", re.compile(r"/applications/(\d+)(?:/guilds/(\d+))?/commands"), self._sync),
            ("POST", re.compile(r"/interactions/(\d+)/([^/]+)/callback"), self._callback),
            ("POST", re.compile(r"/webhooks/(\d+)/([^/]+)"), self._followup),
            ("PATCH", re.compile(r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)"), self._edit),
            ("DELETE", re.compile(r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)"), self._delete),
            ("POST", re.compile(r"/channels/(\d+)/messages"), self._channel_message),
            ("GET", re.compile(r"/channels/(\d+)/messages"), self._channel_history),
            ("POST", re.compile(r"/users/@me/channels"), self._open_dm),
        ]

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_FILE_BYTES)
        app.router.add_get(GATEWAY_PATH, self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ test controls

    def rate_limit_next(self, method: str, path_pattern: str, retry_after: float = 0.05) -> None:
        """The next request matching `method` and the path regex answers 429 (with `Via`, as Discord does)."""
        self._rate_limits.append((method, re.compile(path_pattern), retry_after))

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection from the server side, as a Discord restart or network cut does."""
        for socket in list(self._sockets):
            await socket.close(code=code, message=b"dropped by test")

    async def inject_interaction(
        self,
        name: str,
        options: dict[str, str | int | bool] | None = None,
        *,
        channel_id: int | None = None,
        user_id: int = 1_300_000_000_000_000_001,
        permissions: discord.Permissions = EVERYONE_PERMISSIONS,
        roles: tuple[int, ...] = (),
        token_dies_after_defer: bool = False,
        guild_id: int | None = None,
        locale: str = "en-US",
    ) -> Interaction:
        """Send INTERACTION_CREATE for a slash command ("status", or "watch add") with typed options, from a
        user whose Discord is in `locale`, over the connection holding the guild's shard (as Discord does)."""
        guild_id = guild_id or self.guild_id
        channel_id = channel_id or self.guild_channels[guild_id][0]
        interaction = Interaction(
            next(self._ids),
            f"interaction-token-{len(self.interactions)}",
            channel_id,
            self.clock(),
            user_id,
            revoked=token_dies_after_defer,
        )
        self.interactions.append(interaction)
        parts = name.split()
        leaf_options: list[Json] = [
            {"name": key, "type": _option_type(value), "value": value}
            for key, value in (options or {}).items()
        ]
        command_options = leaf_options
        if len(parts) == 2:
            command_options = [{"name": parts[1], "type": 1, "options": leaf_options}]
        data = {
            "id": str(self._command_id(parts[0])),
            "name": parts[0],
            "type": 1,
            "options": command_options,
            "guild_id": str(guild_id),
        }
        user = {
            "id": str(user_id),
            "username": f"user{user_id % 1000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }
        payload = {
            "id": str(interaction.id),
            "application_id": str(self.application_id),
            "type": 2,
            "token": interaction.token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": {**self._channel(channel_id), "guild_id": str(guild_id)},
            "guild_id": str(guild_id),
            "member": {
                "user": user,
                "roles": [str(r) for r in roles],
                "permissions": str(permissions.value),
                "joined_at": _now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
            },
            "app_permissions": str(discord.Permissions.text().value),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": MAX_FILE_BYTES,
            "data": data,
        }
        holders = self.holding(guild_id)
        if not holders:
            raise RuntimeError(f"no gateway connection holds the shard of guild {guild_id}")
        await self._dispatch("INTERACTION_CREATE", payload, *holders)
        return interaction

    def holding(self, guild_id: int) -> list[web.WebSocketResponse]:
        """The gateway connections whose shard holds `guild_id` (Discord's `(guild_id >> 22) % count`)."""
        return [
            s
            for s in self._sockets
            if (shard := self.shards.get(s)) is None or (guild_id >> 22) % shard[1] == shard[0]
        ]

    async def until(self, predicate: Callable[[], Any], seconds: float = 5.0) -> Any:
        """Wait (without sleeping blindly) until a request or frame makes `predicate` true; return its value."""
        async with asyncio.timeout(seconds):
            while not (result := predicate()):
                self._changed.clear()
                await self._changed.wait()
            return result

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        pattern = re.compile(path_pattern)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def channel_posts(self, channel_id: int) -> list[RecordedRequest]:
        """What the bot posted to `/channels/{id}/messages` (accepted ones, in order)."""
        return [r for r in self.requests_to("POST", f"/channels/{channel_id}/messages") if r.status == 200]

    def replies(self, interaction: Interaction) -> list[RecordedRequest]:
        """The callback and every webhook request made with this interaction's token, in order."""
        return [
            r
            for r in self.requests
            if r.path == interaction.callback_path
            or f"/webhooks/{self.application_id}/{interaction.token}" in r.path
        ]

    def frames(self, op: int) -> list[Json]:
        return [f for f in self.gateway_frames if f.get("op") == op]

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.connections += 1
        self._sockets.append(socket)
        try:
            await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
            async for message in socket:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                self.gateway_frames.append(frame)
                self._notify()
                await self._on_frame(socket, frame)
        finally:
            self._sockets.remove(socket)
            self.shards.pop(socket, None)
        return socket

    async def _on_frame(self, socket: web.WebSocketResponse, frame: Json) -> None:
        op = frame.get("op")
        if op == 1:
            await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            if frame["d"].get("token") != self.token:
                await socket.close(code=4004, message=b"Authentication failed.")
                return
            self._sequence = 0
            if shard := frame["d"].get("shard"):
                self.shards[socket] = (int(shard[0]), int(shard[1]))
            guilds = [g for g in self.guild_channels if socket in self.holding(g)]
            await self._dispatch("READY", self._ready(guilds, shard), socket)
            for guild_id in guilds:
                await self._dispatch("GUILD_CREATE", self._guild(guild_id), socket)
        elif op == 6:
            await self._dispatch("RESUMED", {}, socket)

    async def _dispatch(self, event: str, data: Json, *sockets: web.WebSocketResponse) -> None:
        self._sequence += 1
        frame = {"op": 0, "t": event, "s": self._sequence, "d": data}
        targets = list(sockets or self._sockets)
        if not targets:
            raise RuntimeError(f"no gateway connection to send {event} to")
        for target in targets:
            await target.send_json(frame)

    def _ready(self, guilds: list[int], shard: list[int] | None) -> Json:
        return {
            **({"shard": shard} if shard else {}),
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "session_id": self._session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
        }

    def _channel(self, channel_id: int) -> Json:
        guild = next(g for g, channels in self.guild_channels.items() if channel_id in channels)
        position = self.guild_channels[guild].index(channel_id)
        return {
            "id": str(channel_id),
            "type": 0,
            "name": f"channel-{position}",
            "position": position,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
        }

    def _guild(self, guild_id: int) -> Json:
        everyone = {
            "id": str(guild_id),
            "name": "@everyone",
            "permissions": str(EVERYONE_PERMISSIONS.value),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        me = {
            "user": self.bot_user,
            "roles": [],
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
        return {
            "id": str(guild_id),
            "name": "Fake guild",
            "icon": None,
            "owner_id": "1",
            "roles": [everyone],
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": [self._channel(c) for c in self.guild_channels[guild_id]],
            "threads": [],
            "members": [me],
            "member_count": 1,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "mfa_level": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "joined_at": _now(),
        }

    # ------------------------------------------------------------------ REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        recorded = RecordedRequest(request.method, path, dict(request.query), dict(request.headers), raw)
        _decode_body(request.headers.get("Content-Type", ""), raw, recorded)
        self.requests.append(recorded)
        self._notify()
        for index, (method, pattern, retry_after) in enumerate(self._rate_limits):
            if method == request.method and pattern.fullmatch(path):
                del self._rate_limits[index]
                recorded.status = 429
                body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
                return _json_response(body, 429, {"Via": "1.1 google", "Retry-After": "1"})
        expired = self._expired_token(path)
        if expired is not None:
            recorded.status = 401
            return expired
        too_big = _over_discord_limits(recorded.json)
        if too_big is not None and request.method in {"POST", "PATCH"}:
            recorded.status = 400
            return _json_response({"message": f"Invalid Form Body: {too_big}", "code": 50035}, 400)
        bot_route = not path.startswith(("/webhooks/", "/interactions/"))
        if bot_route and request.headers.get("Authorization") != f"Bot {self.token}":
            recorded.status = 401
            return _json_response({"message": "401: Unauthorized", "code": 0}, 401)
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if method == request.method and match:
                result = handler(recorded, match)
                if isinstance(result, web.StreamResponse):
                    recorded.status = result.status
                    return result
                return _json_response(result) if result is not None else web.Response(status=204)
        recorded.status = 404
        return _json_response(
            {"message": f"fake Discord has no route {request.method} {path}", "code": 0}, 404
        )

    def _me(self, request: RecordedRequest, match: re.Match[str]) -> Json:
        return self.bot_user

    def _application(self, request: RecordedRequest, match: re.Match[str]) -> Json:
        return {
            "id": str(self.application_id),
            "name": "silkroute",
            "icon": None,
            "description": "",
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": self.bot_user,
            "verify_key": "00",
            "flags": 0,
            "interactions_endpoint_url": None,
        }

    def _gateway_info(self, request: RecordedRequest, match: re.Match[str]) -> Json:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    def _sync(self, request: RecordedRequest, match: re.Match[str]) -> list[Any]:
        guild_id = int(match[2]) if match[2] else None
        synced = [
            {
                **command,
                "id": str(self._command_id(command["name"], guild_id)),
                "application_id": match[1],
                "version": "1",
                **({"guild_id": str(guild_id)} if guild_id else {}),
            }
            for command in request.json
        ]
        self.commands[guild_id] = synced
        return synced

    def _command_id(self, name: str, guild_id: int | None = None) -> int:
        for scope in (guild_id, self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return int(command["id"])
        return next(self._ids)

    def _interaction(self, token: str) -> Interaction:
        return next(i for i in self.interactions if i.token == token)

    def _callback(self, request: RecordedRequest, match: re.Match[str]) -> Json:
        interaction = self._interaction(match[2])
        kind = request.json["type"]
        data = request.json.get("data") or {}
        response: Json = {"type": kind}
        if kind == 4:
            response["message"] = self._message(interaction.channel_id, request)
        return {
            "interaction": {
                "id": str(interaction.id),
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & 64),
            },
            "resource": response,
        }

    def _followup(self, request: RecordedRequest, match: re.Match[str]) -> Json:
        return self._message(self._interaction(match[2]).channel_id, request)

    def _edit(self, request: RecordedRequest, match: re.Match[str]) -> Json:
        return self._message(self._interaction(match[2]).channel_id, request)

    def _delete(self, request: RecordedRequest, match: re.Match[str]) -> None:
        return None

    def _expired_token(self, path: str) -> web.Response | None:
        """Discord refuses webhook calls (edits, follow-ups) with an interaction token older than 15 minutes."""
        parts = path.split("/")
        if len(parts) < 4 or parts[1] != "webhooks":
            return None
        for interaction in self.interactions:
            age = self.clock() - interaction.created_at
            if parts[3] == interaction.token and (interaction.revoked or age > INTERACTION_TOKEN_SECONDS):
                return _json_response({"message": "Invalid Webhook Token", "code": 50027}, 401)
        return None

    def _open_dm(self, request: RecordedRequest, match: re.Match[str]) -> Json:
        user_id = int((request.json or {})["recipient_id"])
        channel_id = self.dm_channels.setdefault(user_id, next(self._ids))
        recipient = {
            "id": str(user_id),
            "username": f"user{user_id % 1000}",
            "discriminator": "0",
            "avatar": None,
        }
        return {"id": str(channel_id), "type": 1, "recipients": [recipient], "last_message_id": None}

    def dm_posts(self, user_id: int) -> list[RecordedRequest]:
        channel_id = self.dm_channels.get(user_id)
        return [] if channel_id is None else self.channel_posts(channel_id)

    def _channel_message(self, request: RecordedRequest, match: re.Match[str]) -> web.StreamResponse | Json:
        channel_id = int(match[1])
        in_guild = any(channel_id in channels for channels in self.guild_channels.values())
        if not in_guild and channel_id not in self.dm_channels.values():
            return _json_response({"message": "Unknown Channel", "code": 10003}, 404)
        body = request.json or {}
        nonce = str(body["nonce"]) if body.get("nonce") is not None else None
        kept = self.channel_messages.setdefault(channel_id, [])
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: a recent message by the same author with this nonce is returned, no new one is made.
            for earlier in kept:
                if earlier.get("nonce") == nonce and self.clock() - earlier["_at"] < NONCE_SECONDS:
                    return {k: v for k, v in earlier.items() if k != "_at"}
        message = self._message(channel_id, request)
        message["nonce"] = nonce
        kept.append({**message, "_at": self.clock()})
        return message

    def _channel_history(self, request: RecordedRequest, match: re.Match[str]) -> web.StreamResponse | Json:
        """The newest `limit` messages, newest first, with the nonce each was created with."""
        channel_id = int(match[1])
        if not any(channel_id in channels for channels in self.guild_channels.values()):
            return _json_response({"message": "Unknown Channel", "code": 10003}, 404)
        limit = int(request.query.get("limit", "50"))
        kept = self.channel_messages.get(channel_id, [])
        return _json_response([{k: v for k, v in m.items() if k != "_at"} for m in reversed(kept[-limit:])])

    def _message(self, channel_id: int, request: RecordedRequest) -> Json:
        body = request.json or {}
        attachments = [
            {
                "id": str(next(self._ids)),
                "filename": name,
                "size": len(content),
                "url": f"{self.api_base}/attachments/{name}",
                "proxy_url": f"{self.api_base}/attachments/{name}",
            }
            for name, content in request.files
        ]
        return {
            "id": str(next(self._ids)),
            "channel_id": str(channel_id),
            "guild_id": str(
                next((g for g, c in self.guild_channels.items() if channel_id in c), self.guild_id)
            ),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags") or 0,
        }

    def _notify(self) -> None:
        self._changed.set()


INTERACTION_TOKEN_SECONDS = 15 * 60
NONCE_SECONDS = 5 * 60
"""How long Discord refuses a second message with an enforced nonce ("the past few minutes")."""


def _over_discord_limits(body: Any) -> str | None:
    """What Discord would refuse in a message body (content, embeds), as its 50035 error names it; None if fine."""
    if not isinstance(body, dict):
        return None
    if len(body.get("content") or "") > 2000:
        return "content: Must be 2000 or fewer in length."
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        return "embeds: Must be 10 or fewer in length."
    total = 0
    for embed in embeds:
        fields = embed.get("fields") or []
        if (
            len(fields) > 25
            or len(embed.get("title") or "") > 256
            or len(embed.get("description") or "") > 4096
        ):
            return "embeds: an embed is over its field, title or description limit."
        for f in fields:
            if len(f.get("name") or "") > 256 or len(f.get("value") or "") > 1024:
                return "embeds.fields: a field's name or value is too long."
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > 6000:
        return "embeds: Embed size exceeds maximum size of 6000"
    return None


def _option_type(value: str | int | bool) -> int:
    if isinstance(value, bool):
        return 5
    return 4 if isinstance(value, int) else 3


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _decode_body(content_type: str, raw: bytes, recorded: RecordedRequest) -> None:
    """JSON bodies as-is; multipart (files) as `payload_json` plus (filename, bytes) pairs."""
    if content_type.startswith("application/json") and raw:
        recorded.json = json.loads(raw)
        return
    boundary = re.search(r"boundary=([^;]+)", content_type)
    if not content_type.startswith("multipart/") or boundary is None:
        return
    for part in raw.split(b"--" + boundary[1].strip('"').encode()):
        head, _, content = part.partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        name = re.search(rb'name="([^"]+)"', head)
        filename = re.search(rb'filename="([^"]+)"', head)
        if filename is not None:
            recorded.files.append((filename[1].decode(), content))
        elif name is not None and name[1] == b"payload_json":
            recorded.json = json.loads(content)


@contextlib.asynccontextmanager
async def fake_discord_running(token: str, **options: Any) -> AsyncIterator[FakeDiscord]:
    """Start a fake Discord (options as `FakeDiscord` takes them) and point discord.py at it; restore
    discord.py's URLs afterwards."""
    fake = FakeDiscord(token, **options)
    await fake.start()
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield fake
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
        await fake.close()


@contextlib.asynccontextmanager
async def connected(
    client: discord.Client, token: str, seconds: float = 5.0
) -> AsyncIterator[asyncio.Task[None]]:
    """Log in and connect (what `start` does) until READY; on exit close the client and its connection."""
    task: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(seconds):
            await client.login(token)
            task = asyncio.create_task(client.connect())
            ready = asyncio.ensure_future(client.wait_until_ready())
            await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                ready.cancel()
                task.result()
                raise RuntimeError("the gateway connection ended before READY")
        yield task
    finally:
        await client.close()
        if task is not None:
            async with asyncio.timeout(seconds):
                await task
