"""Real `silkroute run` replicas for the failover test and bench: child processes on one PostgreSQL database,
pointed at the local fake Discord and the local RIS Live server, and a hijack storm to publish to them."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.alerts.model import WatchKind
from bot.alerts.repository import AlertRepository
from bot.cluster.lease import Leadership, current_leader
from bot.core.state_db import StateDB
from tests.bot.frontends.discord.fake_discord import FakeDiscord
from tests.bot.frontends.discord.support import FAKE_TOKEN
from tests.bot.live.fake_rislive import FakeRisLive, ris_messages_from_mrt

REPO = Path(__file__).resolve().parents[3]
PREFIX = "194.187.246.0/24"  # Kaspi Bank, AS35673: originated in the real snapshot
# One more-specific per hijack (the /25s, /26s, /27s and /28s of the /24: 30 of them), so no announcement
# replaces another's route and every alert stays open: each alert is then posted exactly once.
MORE_SPECIFICS = [
    str(net) for length in (25, 26, 27, 28) for net in ipaddress.ip_network(PREFIX).subnets(new_prefix=length)
]
# Peers that carry a hijack (real rrc00 peers of the 2019 updates) and the injected hijacker origins.
PEERS = [("195.66.224.175", 6939), ("80.249.208.34", 3257), ("195.66.225.222", 3216)]
HIJACKERS = list(range(64512, 64542))  # 30 private-use origins, one alert each
ACK_PREFIX = "silkroute:ack:"
LEASE_HEARTBEAT = 1.0
LEASE_TIMEOUT = 3.0


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    log: Path
    env: Mapping[str, str] = field(default_factory=dict)
    """What it was started with: a restart (what its supervisor does after a kill) starts the same."""


def announcement(origin: int, peer: tuple[str, int], ts: float) -> dict[str, Any]:
    address, asn = peer
    prefix = MORE_SPECIFICS[HIJACKERS.index(origin)]
    return {
        "timestamp": ts,
        "peer": address,
        "peer_asn": str(asn),
        "host": "rrc00",
        "type": "UPDATE",
        "path": [asn, 3216, origin],
        "announcements": [{"next_hop": address, "prefixes": [prefix]}],
        "id": f"{address}-{origin}",
    }


def add_replica(running: list[Replica], env: Mapping[str, str], tmp: Path) -> Replica:
    """Start one more replica (its own folder and log, `replica-<n>`) into `running`, which `replicas` stops."""
    folder = tmp / f"replica-{len(running)}"
    folder.mkdir()
    log = folder / "log.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bot.cluster.replica_main"],
        cwd=folder,
        env=dict(env),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    running.append(Replica(process, log, env))
    return running[-1]


@contextmanager
def replicas(count: int, env: Mapping[str, str], tmp: Path) -> Iterator[list[Replica]]:
    """`count` replicas started with `env`; more may be added (`add_replica`); all are stopped at the end."""
    started: list[Replica] = []
    try:
        for _ in range(count):
            add_replica(started, env, tmp)
        yield started
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in started:
            try:
                replica.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait()


async def leader_after(db: StateDB, term: int, within: float) -> Leadership:
    """The leadership row once its term is past `term` (polled: it is another process's write)."""
    async with asyncio.timeout(within):
        while True:
            leader = await current_leader(db)
            if leader is not None and leader.term > term:
                return leader
            await asyncio.sleep(0.1)


def posted_alert_ids(fake: FakeDiscord, channel: int) -> list[int]:
    """The alert ids of every message in the channel, read from its Acknowledge button (one id per alert shown),
    so an alert posted twice appears twice."""
    ids: list[int] = []
    for message in fake.channel_messages.get(channel, []):
        for row in message.get("components") or []:
            for component in row.get("components", []):
                custom_id = str(component.get("custom_id", ""))
                if custom_id.startswith(ACK_PREFIX):
                    ids += [int(i) for i in custom_id.removeprefix(ACK_PREFIX).split(",")]
    return ids


async def hijack_alerts(db: StateDB, guild_id: int | None = None) -> dict[int, int]:
    """Hijacker AS → its alert id, for the hijacks alerted so far (in one guild, or in the only one)."""
    where = "" if guild_id is None else " AND guild_id = :guild"
    rows = await db.rows(
        f"SELECT id, dedupe_key FROM alerts WHERE kind = 'origin'{where}", {"guild": guild_id}
    )
    return {int(str(row["dedupe_key"]).rsplit(":AS", 1)[1]): int(row["id"]) for row in rows}


REAL_UPDATES = Path("mrt") / "ris-rrc00-updates.20190101.0000.gz"  # in the shared data folder


@contextlib.asynccontextmanager
async def real_traffic(
    fake_rislive: FakeRisLive, shared_data: Path, per_second: float = 400.0
) -> AsyncIterator[list[int]]:
    """The real 2019 rrc00 updates, replayed (timestamps moved to now) unfiltered to whichever replica leads
    while the storm is published: the hijacks arrive inside a real feed the leader must sift. Yields a
    one-item list counting the messages sent."""
    messages = ris_messages_from_mrt(shared_data / REAL_UPDATES, 20_000)
    fake_rislive.honour_filters = False  # every message reaches the feed; its own filters must hold
    sent = [0]

    async def replay() -> None:
        for message in itertools.cycle(messages):
            with contextlib.suppress(ConnectionError):  # a killed leader's socket, until the server notices
                await fake_rislive.publish({**message, "timestamp": time.time()})
            sent[0] += 1
            if sent[0] % 40 == 0:
                await asyncio.sleep(40 / per_second)

    task = asyncio.create_task(replay())
    try:
        yield sent
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def publish(fake_rislive: FakeRisLive, origins: list[int]) -> None:
    for origin in origins:
        for peer in PEERS:
            assert await fake_rislive.publish(announcement(origin, peer, time.time())) == 1


def print_logs(tmp: Path) -> None:
    """What each replica logged, for a failure's report."""
    for log in sorted(tmp.glob("replica-*/log.txt")):
        print(f"--- {log.parent.name}\n{log.read_text(errors='replace')[-3000:]}")


def replica_env(
    fake_discord: FakeDiscord, fake_rislive: FakeRisLive, database_url: str, data_dir: Path, tmp: Path
) -> dict[str, str]:
    """What each replica runs with: the shared database, the fakes, the snapshot, and every other live
    source pointed at a closed local port so nothing leaves the machine."""
    closed = "http://127.0.0.1:9"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SILKROUTE_", "DISCORD_", "ALERT_"))},
        "PYTHONPATH": str(REPO),
        "FAKE_DISCORD_API": fake_discord.api_base,
        "FAKE_DISCORD_GATEWAY": fake_discord.gateway_url,
        "DISCORD_TOKEN": FAKE_TOKEN,
        "ALERT_CHANNEL_ID": str(fake_discord.channel_ids[0]),
        "SILKROUTE_DATABASE_URL": database_url,
        "SILKROUTE_OFFLINE": "0",
        "SILKROUTE_DATA_DIR": str(data_dir),
        "SILKROUTE_HISTORY_DB": str(tmp / "history.sqlite3"),
        "SILKROUTE_UPDATE_INTERVAL_HOURS": "0",
        "SILKROUTE_OUTAGE_PANEL": "",
        "SILKROUTE_HTTP_RETRIES": "0",
        "SILKROUTE_LEASE_HEARTBEAT_SECONDS": str(LEASE_HEARTBEAT),
        "SILKROUTE_LEASE_TIMEOUT_SECONDS": str(LEASE_TIMEOUT),
        "RISLIVE_URL": fake_rislive.url,
        **{name: closed for name in ("RIPESTAT_URL", "IHR_URL", "IODA_URL", "RIPE_ATLAS_URL")},
    }


def kill_leader(leader: Leadership, running: list[Replica]) -> Replica:
    """SIGKILL the replica holding the lease (its id is host:pid:tag); returns it."""
    killed = holder_of(leader, running)
    killed.process.send_signal(signal.SIGKILL)
    return killed


def holder_of(leader: Leadership, running: list[Replica]) -> Replica:
    pid = int(leader.holder.split(":")[1])
    return next(r for r in running if r.process.pid == pid)


# The layout: two shards and a standby, and a guild on each shard watching the same network.
GUILD_1 = 1_100_000_000_000_000_001  # shard 1 of 2 (the fake Discord's first guild)
GUILD_0 = GUILD_1 + (1 << 22)  # shard 0 of 2
CHANNEL_0 = 1_100_000_000_000_000_020
TWO_GUILDS: dict[str, Any] = {"guild_id": GUILD_1, "more_guilds": {GUILD_0: (CHANNEL_0,)}}
"""`fake_discord_running` options: Discord with both guilds, each routed to its shard's gateway connection."""
STALE = 5.0
"""SILKROUTE_REPLICA_STALE_SECONDS: five heartbeats, so a busy live replica on a shared machine is not taken for
dead, while a killed one's claimed alerts wait seconds, not minutes."""


def sharded(env: Mapping[str, str]) -> dict[str, str]:
    return {**env, "SILKROUTE_SHARD_COUNT": "2", "SILKROUTE_REPLICA_STALE_SECONDS": str(STALE)}


async def watched_in_both_guilds(db: StateDB, fake: FakeDiscord) -> dict[int, int]:
    """Both guilds watch PREFIX, each with its own alert channel; guild → channel."""
    channels = {GUILD_0: CHANNEL_0, GUILD_1: fake.channel_ids[0]}
    repo = AlertRepository(db)
    for guild, channel in channels.items():
        await repo.add_watch(guild, WatchKind.PREFIX, PREFIX, "Kaspi Bank", "alice", time.time())
        await repo.set_alert_channel(guild, channel)
    return channels


async def two_shards_and_a_standby(
    running: list[Replica], env: Mapping[str, str], tmp: Path, db: StateDB, fake: FakeDiscord
) -> Leadership:
    """Start shard 0 alone (so it leads), then shard 1 and the standby; once all three beat and both shards'
    gateway connections are up, the leadership."""
    add_replica(running, {**env, "SILKROUTE_SHARD_IDS": "0"}, tmp)
    first = await leader_after(db, 0, within=60)
    add_replica(running, {**env, "SILKROUTE_SHARD_IDS": "1"}, tmp)
    add_replica(running, {**env, "SILKROUTE_SHARD_IDS": "none"}, tmp)
    async with asyncio.timeout(60):
        while True:
            since = time.time() - STALE
            beating = await db.rows("SELECT id FROM replicas WHERE last_seen >= :since", {"since": since})
            if len(fake.shards) == 2 and len(beating) == 3:
                return first
            await asyncio.sleep(0.2)


async def alerts_stored(
    db: StateDB, guilds: Iterable[int], origins: Iterable[int], within: float = 60
) -> None:
    """Until the leader has stored the alerts of `origins` in every guild. RIS Live does not replay what a killed
    consumer had not read yet, so a kill before that loses those hijacks: the feed's loss, not delivery's."""
    async with asyncio.timeout(within):
        while True:
            stored = [set(await hijack_alerts(db, guild)) for guild in guilds]
            if all(alerted >= set(origins) for alerted in stored):
                return
            await asyncio.sleep(0.05)
