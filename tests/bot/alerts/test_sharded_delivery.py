"""Alerts per shard with one leader: the leader queues every guild's alerts, and each replica's sender
delivers those of its own shards' guilds, the standby's included, each exactly once."""

from __future__ import annotations

from bot.alerts.service import AlertService
from bot.core.settings import Settings
from tests.bot.alerts.support import ManualClock, RecordingSink
from tests.helpers import both_databases

pytestmark = both_databases

LEADER_GUILD, STANDBY_GUILD = 101, 202


async def test_a_standby_replica_delivers_its_shards_alerts_once() -> None:
    clock = ManualClock(1_000_000.0)
    leader, standby = (AlertService(Settings(), clock=clock, batch_window=0) for _ in range(2))
    sinks = [RecordingSink(), RecordingSink()]
    sinks[0].elsewhere, sinks[1].elsewhere = {STANDBY_GUILD}, {LEADER_GUILD}  # different shards
    for service, sink in zip((leader, standby), sinks, strict=True):
        await service.start()
        await service.attach(sink, background=False, every_replica=True)  # as Discord's sinks are
    try:
        await standby.stand_by()
        await leader.lead(1)
        for guild in (LEADER_GUILD, STANDBY_GUILD):
            await leader.repository.set_alert_channel(guild, 900 + guild)
            await leader.send_test(guild, "ops")
        for _ in range(3):  # both pump loops, several rounds: nothing goes out twice
            await standby.pump()
            await leader.pump()
        assert [d.guild_id for d in sinks[0].deliveries] == [LEADER_GUILD]
        assert [d.guild_id for d in sinks[1].deliveries] == [STANDBY_GUILD]
        assert await leader.repository.pending_count() == 0
        assert not standby.leading and standby.feed is None  # the standby still runs no feed or ticker
    finally:
        await leader.close()
        await standby.close()


async def test_a_console_beside_the_replicas_delivers_only_while_it_leads() -> None:
    """The console stands in for every guild: were it to drain as a standby, it would take Discord's alerts."""
    clock = ManualClock(1_000_000.0)
    leader, console = (AlertService(Settings(), clock=clock, batch_window=0) for _ in range(2))
    discord, terminal = RecordingSink(), RecordingSink()
    await leader.start()
    await console.start()
    try:
        await leader.attach(discord, background=False, every_replica=True)
        await console.stand_by()
        await console.attach(terminal, background=False)
        await leader.send_test(LEADER_GUILD, "ops")
        await console.pump()
        assert terminal.deliveries == []
        await leader.stand_by()
        await console.lead(2)  # the console won the lease: now it is the one channel
        await console.pump()
        await leader.pump()
        assert [d.guild_id for d in terminal.deliveries] == [LEADER_GUILD] and discord.deliveries == []
    finally:
        await leader.close()
        await console.close()
