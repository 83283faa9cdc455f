"""A silent network partition: the leader reaches PostgreSQL only through a local TCP proxy the test controls,
and in the middle of a hijack storm the proxy stops forwarding without closing anything (as a cut link or a
dropped route does: no FIN, no RST, and the kernel on both ends still acknowledges, so TCP keepalives see
nothing). The standby (which reaches the database directly) must lead within the stated bound, every alert must
reach the channel exactly once, and the cut-off leader must stop its singletons (its RIS Live feed closes)
within heartbeat + timeout. The measured times are printed.

That last part is a known gap for now, reported as an expected failure: the lease stands down in time, but the
alert service's `stand_by` first waits for the outbox drain in progress, which hangs on the cut database."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest

from bot.alerts.model import WatchKind
from bot.alerts.repository import AlertRepository
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from bot.routing.snapshot import Snapshot
from tests.bot.cluster.harness import (
    HIJACKERS,
    LEASE_HEARTBEAT,
    LEASE_TIMEOUT,
    PEERS,
    PREFIX,
    announcement,
    hijack_alerts,
    leader_after,
    posted_alert_ids,
    print_logs,
    publish,
    replica_env,
    replicas,
)
from tests.bot.frontends.discord.fake_discord import FakeDiscord, fake_discord_running
from tests.bot.frontends.discord.support import FAKE_TOKEN
from tests.bot.live.fake_rislive import FakeRisLive

STATED_FAILOVER = 30.0  # README "Running more than one": a partitioned leader is replaced within 30 s
# The old leader stops after failing to prove the lease for the timeout, counted from its next heartbeat;
# one more heartbeat of room for a child interpreter on a shared 2-core machine.
STOP_BOUND = 2 * LEASE_HEARTBEAT + LEASE_TIMEOUT
STALE = 5.0


class SilentProxy:
    """Forwards TCP between a client and `upstream` on 127.0.0.1 until `cut()`: from then on nothing is read
    or written on either side, and no socket is closed, so neither end hears of it."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.forwarding = asyncio.Event()
        self.forwarding.set()
        self.closed = asyncio.Event()
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        await _first(self.forwarding, self.closed)  # opened during the cut: hangs like one into a dead link
        if self.closed.is_set():
            client_writer.transport.abort()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers += [client_writer, upstream_writer]
        await asyncio.gather(
            self._pump(client_reader, upstream_writer), self._pump(upstream_reader, client_writer)
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if not self.forwarding.is_set():
                    await self.closed.wait()  # dropped, and this direction stays silent to the end
                    return
                writer.write(data)
                await writer.drain()
            writer.close()

    def cut(self) -> None:
        self.forwarding.clear()

    async def close(self) -> None:
        """End the partition the hard way (every socket reset), so the cut-off replica can shut down."""
        self.closed.set()
        for writer in self.writers:
            writer.transport.abort()
        if self.server is not None:
            self.server.close()


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for wait in waits:
        wait.cancel()


async def all_posted(db: StateDB, fake_discord: FakeDiscord, channel: int) -> list[int]:
    """The ids of the hijack alerts once there is one per hijacker and the channel shows each (polled: other
    processes write both); the channel's ids, an alert posted twice appearing twice."""
    async with asyncio.timeout(90):
        while True:
            alerts = set((await hijack_alerts(db)).values())
            posted = posted_alert_ids(fake_discord, channel)
            if len(alerts) == len(HIJACKERS) and alerts == set(posted):
                return posted
            await asyncio.sleep(0.2)


async def seconds_until_gone(fake_rislive: FakeRisLive, client: object, within: float) -> float | None:
    """How long until `client` (a process's RIS Live socket: the leader's feed is one of its singletons)
    closed, or None when it was still open after `within` seconds."""
    start = time.monotonic()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while client in fake_rislive.clients:  # noqa: ASYNC110 - another process closes it
                await asyncio.sleep(0.05)
            return round(time.monotonic() - start, 1)
    return None


@pytest.mark.timeout(240)
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_silently_partitioned_leader_stands_down_and_a_standby_takes_over(
    real_snapshot: Snapshot, fake_rislive: FakeRisLive, tmp_path: Path
) -> None:
    async with fake_discord_running(FAKE_TOKEN) as fake_discord:
        await partition_mid_storm(real_snapshot, fake_rislive, fake_discord, tmp_path)


async def partition_mid_storm(
    real_snapshot: Snapshot, fake_rislive: FakeRisLive, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    channel = fake_discord.channel_ids[0]
    settings = Settings()
    direct = settings.database.silkroute_database_url
    assert direct is not None
    db = StateDB.from_settings(settings)
    await db.open()
    repo = AlertRepository(db)
    await repo.add_watch(fake_discord.guild_id, WatchKind.PREFIX, PREFIX, "Kaspi Bank", "alice", time.time())
    proxy = SilentProxy(db.engine.url.port or 5432)
    proxied = direct.replace(f":{db.engine.url.port}/", f":{await proxy.start()}/")
    data_dir = real_snapshot.folder.parents[1]
    # The cut-off leader's heartbeat goes stale after this: where claims of a silent replica are taken over
    # only then, its claimed rows move on within the test.
    stale = {"SILKROUTE_REPLICA_STALE_SECONDS": str(STALE)}
    leader_env = replica_env(fake_discord, fake_rislive, proxied, data_dir, tmp_path / "leader") | stale
    standby_env = replica_env(fake_discord, fake_rislive, direct, data_dir, tmp_path / "standby") | stale
    for folder in ("leader", "standby"):
        (tmp_path / folder).mkdir()
    try:
        with contextlib.ExitStack() as running:
            running.enter_context(replicas(1, leader_env, tmp_path / "leader"))
            first = await leader_after(db, 0, within=60)
            await fake_rislive.wait_for(subscriptions=1, within=60)
            running.enter_context(replicas(1, standby_env, tmp_path / "standby"))
            await publish(fake_rislive, HIJACKERS[:15])
            await fake_discord.until(lambda: fake_discord.channel_messages.get(channel), seconds=60)

            [feed] = fake_rislive.clients  # the leader's
            proxy.cut()  # mid-storm: the first messages are out, more queued
            cut_at = time.monotonic()
            stopped = await seconds_until_gone(fake_rislive, feed, within=STOP_BOUND)
            second = await leader_after(db, first.term, within=STATED_FAILOVER + 30)
            failover = time.monotonic() - cut_at
            print(f"\nold leader's feed stopped after {stopped} s, new leader after {failover:.1f} s")
            assert second.holder != first.holder
            await fake_rislive.wait_for(subscriptions=1, connections=2, within=30)
            for origin in HIJACKERS[15:]:  # the old leader's feed may still hear them: at least the new one
                for peer in PEERS:
                    assert await fake_rislive.publish(announcement(origin, peer, time.time())) >= 1

            once = sorted(await all_posted(db, fake_discord, channel))  # alerted by either leader
            await asyncio.sleep(3 * LEASE_HEARTBEAT)  # time for a duplicate to show up, were there one
            assert sorted(posted_alert_ids(fake_discord, channel)) == once, "an alert was posted twice"
            assert len(set(once)) == len(once)
            assert failover <= STATED_FAILOVER
            async with asyncio.timeout(2 * STALE + 10):  # rows posted but not yet marked: looked up, marked
                while True:
                    if not await repo.pending_count():
                        break
                    await asyncio.sleep(0.2)
            await proxy.close()  # the cut-off replica may now fail its calls and shut down
        assert stopped is not None, (
            f"the old leader's RIS Live feed was still open {STOP_BOUND:.0f} s after the cut"
        )
    except BaseException:
        print("posted alert ids:", sorted(posted_alert_ids(fake_discord, channel)))
        for folder in ("leader", "standby"):
            print_logs(tmp_path / folder)
        raise
    finally:
        await proxy.close()
        await db.close()
