"""Alert delivery latency through three replicas, without and with a failover.

Three real `silkroute run` processes share a throwaway PostgreSQL server (started here from the machine's server
binaries, on 127.0.0.1) and post to the local fake Discord; hijacks are published on the local RIS Live server.
Latency of one alert = from publishing its hijack announcements to its message being in the channel.
Baseline: a storm of 30 hijacks with the leader alive. Measured: the same storm with the leader SIGKILLed after
the 10th hijack (the rest are published once the new leader's feed is subscribed, as RIS Live does not replay).
The ratio says what a failover adds to the alerts caught in it. Prints the failover time too.
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

from bot.alerts.model import WatchKind
from bot.alerts.repository import AlertRepository
from bot.core.state_db import StateDB
from bot.routing.importer import import_files
from tests.bot.cluster.harness import (
    HIJACKERS,
    PREFIX,
    hijack_alerts,
    kill_leader,
    leader_after,
    publish,
    replica_env,
    replicas,
)
from tests.bot.frontends.discord.fake_discord import FakeDiscord, fake_discord_running
from tests.bot.frontends.discord.support import FAKE_TOKEN
from tests.bot.live.fake_rislive import FakeRisLive
from tests.bot.live.fake_upstreams import serving
from tests.fixtures.postgres import PostgresServer, server_binaries, start_postgres
from tests.fixtures.real_snapshot import REAL_FILES

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
KILL_AFTER = 10


async def posted_at(fake: FakeDiscord, db: StateDB, wanted: int, within: float) -> dict[int, float]:
    """Hijacker → monotonic time its alert's message reached the channel, once `wanted` are there."""
    channel = fake.channel_ids[0]
    seen: dict[int, float] = {}
    async with asyncio.timeout(within):
        while len(seen) < wanted:
            by_id = {alert: origin for origin, alert in (await hijack_alerts(db)).items()}
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
) -> tuple[list[float], float, float]:
    """One run on a fresh schema: per-alert latencies (s), the failover time and the feed gap (0 without one)."""
    url = server.url(server.new_schema())
    db = StateDB(url=url.replace("postgresql://", "postgresql+psycopg://"))
    await db.open()
    fake_rislive = FakeRisLive()
    published: dict[int, float] = {}
    took = gap = 0.0
    async with fake_discord_running(FAKE_TOKEN) as fake, serving(fake_rislive.app()) as fake_rislive.server:
        await AlertRepository(db).add_watch(fake.guild_id, WatchKind.PREFIX, PREFIX, "", "bench", time.time())
        with replicas(3, replica_env(fake, fake_rislive, url, data_dir, tmp), tmp) as running:
            first = await leader_after(db, 0, within=60)
            await fake_rislive.wait_for(subscriptions=1, within=60)
            for index, origin in enumerate(HIJACKERS):
                if failover and index == KILL_AFTER:
                    killed = time.monotonic()
                    kill_leader(first, running)
                    await leader_after(db, first.term, within=60)
                    took = time.monotonic() - killed
                    await fake_rislive.wait_for(subscriptions=1, connections=2, within=60)
                    gap = time.monotonic() - killed  # RIS Live messages in this window reach no replica
                published[origin] = time.monotonic()
                await publish(fake_rislive, [origin])
                await asyncio.sleep(0.1)  # a storm, not one burst
            posted = await posted_at(fake, db, len(HIJACKERS), within=120)
    await db.close()
    return [posted[o] - published[o] for o in HIJACKERS], took, gap


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
    print(f"alerts per run: {len(HIJACKERS)} hijacks, 3 replicas, leader killed after hijack {KILL_AFTER}")
    print(f"baseline (no failover):  {describe(base)}")
    print(f"with failover:           {describe(with_failover)}")
    print(f"failover: new leader after {took:.2f} s, its RIS Live feed subscribed after {gap:.2f} s")
    caught = with_failover[KILL_AFTER - 3 : KILL_AFTER]
    print(f"alerts published just before the kill: {', '.join(f'{x:.2f}' for x in caught)} s")
    print(
        f"ratio of medians (failover / baseline): {statistics.median(with_failover) / statistics.median(base):.2f}"
    )
    print(f"ratio of maxima (failover / baseline):  {max(with_failover) / max(base):.2f}")


if __name__ == "__main__":
    asyncio.run(main())
