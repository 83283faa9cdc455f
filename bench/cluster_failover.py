"""Alert delivery latency through the issue's three processes, without and with a failover.

Shard 0, shard 1 and a standby (SILKROUTE_SHARD_IDS=none) share a throwaway PostgreSQL server (started here from
the machine's server binaries, on 127.0.0.1) and post to the local fake Discord, which has a guild on each shard,
both watching the same prefix; hijacks are published on the local RIS Live server. Latency of one alert = from
publishing its hijack announcements to its message being in its guild's channel. Baseline: a storm of 30 hijacks
with the leader (the shard-0 process) alive. Measured: the same storm with the leader SIGKILLed after the 10th
hijack's alerts are stored, then restarted as its supervisor would (the rest are published once the new leader's
feed is subscribed, as RIS Live does not replay). The shard-0 guild's alerts wait for the restart and the stale
bound; the shard-1 guild's only for the new leader. The ratios say what a failover adds; the failover time is
printed too.
Run: .venv/bin/python bench/cluster_failover.py   (needs ../shared/data and PostgreSQL server binaries)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.state_db import StateDB
from bot.routing.importer import import_files
from tests.bot.cluster.harness import (
    GUILD_0,
    GUILD_1,
    HIJACKERS,
    TWO_GUILDS,
    add_replica,
    alerts_stored,
    hijack_alerts,
    kill_leader,
    leader_after,
    publish,
    replica_env,
    replicas,
    sharded,
    two_shards_and_a_standby,
    watched_in_both_guilds,
)
from tests.bot.frontends.discord.fake_discord import FakeDiscord, fake_discord_running
from tests.bot.frontends.discord.support import FAKE_TOKEN
from tests.bot.live.fake_rislive import FakeRisLive
from tests.bot.live.fake_upstreams import serving
from tests.fixtures.postgres import PostgresServer, server_binaries, start_postgres
from tests.fixtures.real_snapshot import REAL_FILES

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
KILL_AFTER = 10


async def posted_at(
    fake: FakeDiscord, db: StateDB, guild: int, channel: int, wanted: int, within: float
) -> dict[int, float]:
    """Hijacker → monotonic time its alert's message reached the guild's channel, once `wanted` are there."""
    seen: dict[int, float] = {}
    async with asyncio.timeout(within):
        while len(seen) < wanted:
            by_id = {alert: origin for origin, alert in (await hijack_alerts(db, guild)).items()}
            for message in fake.channel_messages.get(channel, []):
                for row in message.get("components") or []:
                    for component in row.get("components", []):
                        custom_id = str(component.get("custom_id", ""))
                        if custom_id.startswith("silkroute:ack:"):
                            for alert in custom_id.split(":")[2].split(","):
                                if int(alert) in by_id:
                                    seen.setdefault(by_id[int(alert)], message["_at"])
            await asyncio.sleep(0.05)
    return seen


async def storm(
    server: PostgresServer, data_dir: Path, tmp: Path, *, failover: bool
) -> tuple[dict[int, list[float]], float, float]:
    """One run on a fresh schema: per guild, per-alert latencies (s); the failover time and the feed gap (0
    without one)."""
    url = server.url(server.new_schema())
    db = StateDB(url=url.replace("postgresql://", "postgresql+psycopg://"))
    await db.open()
    fake_rislive = FakeRisLive()
    published: dict[int, float] = {}
    took = gap = 0.0
    async with (
        fake_discord_running(FAKE_TOKEN, **TWO_GUILDS) as fake,
        serving(fake_rislive.app()) as fake_rislive.server,
    ):
        channels = await watched_in_both_guilds(db, fake)
        env = sharded(replica_env(fake, fake_rislive, url, data_dir, tmp))
        with replicas(0, env, tmp) as running:
            first = await two_shards_and_a_standby(running, env, tmp, db, fake)
            await fake_rislive.wait_for(subscriptions=1, within=60)
            for index, origin in enumerate(HIJACKERS):
                if failover and index == KILL_AFTER:
                    await alerts_stored(db, channels, HIJACKERS[:KILL_AFTER])
                    killed = time.monotonic()
                    restart = kill_leader(first, running)
                    await leader_after(db, first.term, within=60)
                    took = time.monotonic() - killed
                    add_replica(running, restart.env, tmp)  # its supervisor restarts it
                    await fake_rislive.wait_for(subscriptions=1, connections=2, within=60)
                    gap = time.monotonic() - killed  # RIS Live messages in this window reach no replica
                published[origin] = time.monotonic()
                await publish(fake_rislive, [origin])
                await asyncio.sleep(0.1)  # a storm, not one burst
            posted = {
                guild: await posted_at(fake, db, guild, channel, len(HIJACKERS), within=120)
                for guild, channel in channels.items()
            }
    await db.close()
    return {guild: [seen[o] - published[o] for o in HIJACKERS] for guild, seen in posted.items()}, took, gap


def describe(latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=20)
    return f"median {statistics.median(latencies):.2f} s, p95 {q[18]:.2f} s, max {max(latencies):.2f} s"


async def main() -> None:
    bin_dir = server_binaries()
    if bin_dir is None or not SHARED.is_dir():
        sys.exit("needs PostgreSQL server binaries and ../shared/data")
    server = start_postgres(bin_dir)
    try:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            import_files([SHARED / name for name in REAL_FILES], tmp / "data")
            (tmp / "a").mkdir()
            (tmp / "b").mkdir()
            base, _, _ = await storm(server, tmp / "data", tmp / "a", failover=False)
            with_failover, took, gap = await storm(server, tmp / "data", tmp / "b", failover=True)
    finally:
        server.stop()
    print(
        f"alerts per run: {len(HIJACKERS)} hijacks in each of 2 guilds; shard 0, shard 1 and a standby; the leader"
        f" (shard 0) killed after hijack {KILL_AFTER} and restarted"
    )
    for guild, name in ((GUILD_0, "guild on shard 0 (the killed leader's)"), (GUILD_1, "guild on shard 1")):
        print(name)
        print(f"  baseline (no failover):  {describe(base[guild])}")
        print(f"  with failover:           {describe(with_failover[guild])}")
        caught = with_failover[guild][KILL_AFTER - 3 : KILL_AFTER]
        print(f"  alerts published just before the kill: {', '.join(f'{x:.2f}' for x in caught)} s")
        ratio = statistics.median(with_failover[guild]) / statistics.median(base[guild])
        print(f"  ratio of medians (failover / baseline): {ratio:.2f}")
        print(f"  ratio of maxima (failover / baseline):  {max(with_failover[guild]) / max(base[guild]):.2f}")
    print(f"failover: new leader after {took:.2f} s, its RIS Live feed subscribed after {gap:.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
