"""A separate bot process for the cross-process tests: `python -m tests.bot.shared_state.worker <mode> …`.

Each worker builds its own components on the shared Redis, as a replica would, waits until the test says go
(a line on stdin) so all workers start together, does its part and prints one JSON line with what it saw.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import yarl

from bot.alerts.model import AlertKind, AlertSeverity, OutboxEvent
from bot.alerts.repository import AlertRepository, NewAlert
from bot.app.limits import Cost, FairUse, SlowDown
from bot.app.wiring import build_services
from bot.core.settings import (
    CoreSettings,
    DiscordSettings,
    HistorySettings,
    LimitSettings,
    LiveSettings,
    RedisSettings,
    Settings,
    ShardSettings,
)
from bot.core.state_db import StateDB
from bot.frontends.discord.client import run_discord
from bot.live.cache import LiveCache
from bot.live.http_client import HttpLayer
from bot.live.ripestat import RipestatClient
from bot.live.shared_cache import SharedLiveCache
from bot.shared_state.events import RIS_MESSAGES, SNAPSHOT_SWITCHED, RedisBus
from bot.shared_state.redis_link import RedisLink
from bot.shared_state.redis_windows import RedisWindows

PREFIX = "140.78.0.0/16"
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.fake-token.do-not-leak-0123456789abcdef"  # the fake Discord's FAKE_TOKEN


async def ready_and_wait(link: RedisLink, name: str) -> None:
    """Say "ready" once connected, then wait for the test's "go" on stdin, so the workers' requests overlap."""
    await link.client.ping()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)


async def lookups(link: RedisLink, name: str, ripestat_url: str, total: str, workers: str) -> dict[str, Any]:
    """This worker's share of `total` concurrent identical looking-glass lookups, through its shared cache."""
    index, spread = int(name[1:]), int(workers)
    count = int(total) // spread + (index < int(total) % spread)
    settings = Settings(
        core=CoreSettings(silkroute_offline=False),
        live=LiveSettings(
            ripestat_url=ripestat_url, silkroute_http_read_timeout=5.0, silkroute_http_retries=0
        ),
    )
    http = HttpLayer(settings)
    client = RipestatClient(http, SharedLiveCache(link, lock_seconds=10))
    try:
        await ready_and_wait(link, name)
        results = await asyncio.gather(*(client.looking_glass(PREFIX) for _ in range(count)))
    finally:
        await http.close()
    return {"origins": sorted({o for r in results for o in r.origins}), "answers": len(results)}


async def charges(link: RedisLink, name: str, quota: str, count: str, _workers: str) -> dict[str, Any]:
    """`count` /reach charges for member 1 against `quota`, shared through Redis windows."""
    limits = FairUse(LimitSettings(silkroute_limit_reach_user=quota), time.time, RedisWindows(link))
    await ready_and_wait(link, name)
    accepted = 0
    for _ in range(int(count)):
        try:
            await limits.charge(Cost.REACH, user_id=1, guild_id=10, can_manage=False)
            accepted += 1
        except SlowDown:
            pass
    return {"accepted": accepted, "refused": limits.refused}


async def fanout(link: RedisLink, name: str, total: str, _workers: str) -> dict[str, Any]:
    """Worker w0 publishes `total` events (as the leader's consumer would); every other worker subscribes
    before saying ready and returns what it received."""
    bus = RedisBus(link, block_ms=100)
    if name == "w0":
        await ready_and_wait(link, name)
        for n in range(int(total)):
            await bus.publish(RIS_MESSAGES, {"n": n, "from": name})
        return {"published": int(total)}
    subscription = await bus.subscribe(RIS_MESSAGES, SNAPSHOT_SWITCHED)
    await ready_and_wait(link, name)
    received: list[int] = []
    async with asyncio.timeout(30):
        async for event in subscription:
            received.append(event.data["n"])
            if len(received) == int(total):
                break
    return {"received": received}


async def outbox(state_db: Path, guild_channels: dict[int, int], now: float) -> AlertRepository:
    """The state file every replica would share: an alert channel and one test alert per guild."""
    db = StateDB(state_db)
    await db.open()
    repository = AlertRepository(db)
    for guild_id, channel_id in guild_channels.items():
        await repository.set_alert_channel(guild_id, channel_id)
        new = NewAlert(guild_id, f"test:{guild_id}", AlertKind.TEST, "", AlertSeverity.INFO, "Test", "", {})
        await repository.create_alert(new, now, muted=False, event=OutboxEvent.TEST, resolution="test")
    return repository


async def shard(
    link: RedisLink, name: str, api: str, gateway: str, shard_id: str, count: str, folder: str, guilds: str
) -> dict[str, Any]:
    """The real bot holding one shard of `count`, on the fake Discord at `api`/`gateway`, until SIGTERM;
    returns which guilds' alerts it delivered and which it left pending (another shard's)."""
    discord.http.Route.BASE = api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    state = Path(folder) / "state.sqlite3"
    guild_channels = {int(g): int(c) for g, c in (pair.split(":") for pair in guilds.split(","))}
    repository = await outbox(state, guild_channels, time.time())
    await repository.db.close()
    settings = Settings(
        discord=DiscordSettings(discord_token=TOKEN),
        core=CoreSettings(silkroute_state_db=state, silkroute_data_dir=Path(folder), silkroute_offline=True),
        history=HistorySettings(silkroute_history_db=Path(folder) / "history.sqlite3"),
        redis=RedisSettings(silkroute_redis_url=link.url),
        shards=ShardSettings(silkroute_shard_count=int(count), silkroute_shard_ids=shard_id),
    )
    print("ready", flush=True)
    code = await run_discord(settings, build_services(settings, long_running=False))
    db = StateDB(state)
    await db.open()
    try:
        delivered = {g: len(await AlertRepository(db).sent_messages(g)) for g in guild_channels}
        pending = await AlertRepository(db).pending(time.time() + 3600)
    finally:
        await db.close()
    return {"code": code, "delivered": delivered, "pending": sorted(i.alert.guild_id for i in pending)}


async def throughput(
    link: RedisLink, name: str, ripestat_url: str, total: str, distinct: str, shared: str, workers: str
) -> dict[str, Any]:
    """For the cluster bench: this worker's share of `total` lookups over `distinct` prefixes, 50 at a time,
    through the shared cache (`shared` = 1) or an in-process one; seconds from the go to the last answer."""
    index, spread = int(name[1:]), int(workers)
    settings = Settings(
        core=CoreSettings(silkroute_offline=False),
        live=LiveSettings(
            ripestat_url=ripestat_url, silkroute_http_read_timeout=30.0, silkroute_http_retries=0
        ),
    )
    http = HttpLayer(settings)
    cache = SharedLiveCache(link) if shared == "1" else LiveCache()
    client = RipestatClient(http, cache)
    mine = [(n // spread) % int(distinct) for n in range(index, int(total), spread)]  # every process asks all
    slots = asyncio.Semaphore(50)

    async def lookup(n: int) -> None:
        async with slots:
            await client.looking_glass(f"10.{n // 256}.{n % 256}.0/24")

    try:
        await ready_and_wait(link, name)
        started = time.perf_counter()
        await asyncio.gather(*(lookup(n) for n in mine))
        elapsed = time.perf_counter() - started
    finally:
        await http.close()
    return {"answers": len(mine), "seconds": elapsed}


MODES: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
    "lookups": lookups,
    "charges": charges,
    "fanout": fanout,
    "shard": shard,
    "throughput": throughput,
}


async def main(mode: str, redis_url: str, name: str, *args: str) -> None:
    link = RedisLink(redis_url)
    try:
        result = await MODES[mode](link, name, *args)
    finally:
        await link.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
