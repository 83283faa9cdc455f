"""Shared pieces of the alert tests: a hand-moved clock, a recording sink, a local RIPEstat RPKI server."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.alerts.delivery import ChannelRef, Delivery, DeliveryError, Posted
from bot.app.answer import BadInput
from bot.app.features.alerts.presentation import render_delivery
from bot.core.settings import AlertSettings, CoreSettings, DiscordSettings, LiveSettings, Settings
from tests import helpers

START = 1_546_300_800.0  # 2019-01-01 00:00 UTC, the time of the replayed RIS file


class ManualClock(helpers.ManualClock):
    """The shared manual clock, starting at the alert tests' START."""

    def __init__(self, now: float = START) -> None:
        super().__init__(now)


class RecordingSink:
    """An alert channel that keeps what it got; `down = True` simulates a Discord outage."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.down = False
        self.elsewhere: set[int] = set()
        """Guilds another process's shards hold: their alerts are not this sink's to deliver."""

    async def deliver(self, delivery: Delivery) -> str:
        if self.down:
            raise DeliveryError("503 Service Unavailable")
        self.deliveries.append(delivery)
        return f"msg-{len(self.deliveries)}"

    def holds(self, guild_id: int) -> bool:
        return guild_id not in self.elsewhere

    async def find_sent(self, delivery: Delivery) -> Posted | None:
        """Like a channel's history: the message an earlier delivery with this nonce became."""
        for number, earlier in enumerate(self.deliveries, 1):
            if delivery.nonce is not None and earlier.nonce == delivery.nonce:
                return Posted(f"msg-{number}", frozenset(earlier.alert_ids))
        return None

    async def resolve_channel(self, guild_id: int, raw: str) -> ChannelRef:
        if raw.strip() in ("<#555>", "555", "#noc"):
            return ChannelRef(555, "#noc")
        raise BadInput(f"Unknown channel {raw!r}.")

    @property
    def titles(self) -> list[str]:
        return [render_delivery(d).title for d in self.deliveries]


def settings_for(tmp: Path, **alerts: Any) -> Settings:
    values: dict[str, Any] = {
        "silkroute_visibility_min_peers": 10,
        "silkroute_visibility_confirm_seconds": 360,
        "silkroute_renotify_hours": 24,
        "silkroute_feed_silence_seconds": 300,
    }
    values.update(alerts)
    return Settings(
        core=CoreSettings(silkroute_state_db=tmp / "state.sqlite3", silkroute_offline=True),
        alerts=AlertSettings(**values),
        discord=DiscordSettings(alert_channel_id=777),
    )


class RpkiServer:
    """RIPEstat's rpki-validation answering from a table; the envelope is the real recorded one."""

    def __init__(self, recorded: Path) -> None:
        self.envelope = json.loads(recorded.read_text())
        self.answers: dict[tuple[str, str], str] = {}
        self.asked: list[tuple[str, str]] = []
        self.broken = False
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def handle(self, request: web.Request) -> web.Response:
        key = (request.query["resource"], request.query["prefix"])
        self.asked.append(key)
        if self.broken:
            return web.Response(status=500, text="internal error")
        body = copy.deepcopy(self.envelope)
        body["data"].update(
            {
                "status": self.answers.get(key, "unknown"),
                "resource": key[0],
                "prefix": key[1],
                "validating_roas": [],
            }
        )
        return web.Response(body=json.dumps(body), content_type="application/json")

    async def run(self) -> AsyncIterator[RpkiServer]:
        app = web.Application()
        app.router.add_get("/data/rpki-validation/data.json", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        try:
            yield self
        finally:
            await self.server.close()


def live_settings(base: Settings, rislive_url: str, ripestat_url: str) -> Settings:
    base.core = CoreSettings(silkroute_state_db=base.core.silkroute_state_db, silkroute_offline=False)
    base.live = LiveSettings(
        rislive_url=rislive_url,
        ripestat_url=ripestat_url,
        silkroute_http_read_timeout=1.0,
        silkroute_http_retries=0,
    )
    return base
