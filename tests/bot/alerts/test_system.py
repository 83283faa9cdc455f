"""The alert lifecycle end to end on the state file: outage, restart, re-notify, ack, mute, storms, feed, sites."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sqlalchemy

from bot.alerts.model import AlertKind, AlertState, Finding, SiteState, WatchKind
from bot.alerts.monitors.upstream import UpstreamMonitor
from bot.alerts.ports import SiteCheck, SiteProbe
from bot.alerts.service import AlertService
from bot.app.wiring import build_alerts
from bot.live import LiveSources
from bot.live.rislive import FeedState, FeedStatus, RisEvent, RisMessage, RisSubscription
from tests.bot.alerts.support import ManualClock, RecordingSink, settings_for
from tests.helpers import both_databases, serving

pytestmark = both_databases

PREFIX = "194.187.246.0/24"
PEERS = [(f"192.0.2.{i}", 64600 + i) for i in range(1, 15)]


def update(
    peer: tuple[str, int], path: list[int] | None = None, *, withdraw: str = "", prefix: str = PREFIX
) -> RisMessage:
    data: dict[str, Any] = {
        "timestamp": 0,
        "peer": peer[0],
        "peer_asn": peer[1],
        "host": "rrc00",
        "type": "UPDATE",
    }
    if withdraw:
        data["withdrawals"] = [withdraw]
    else:
        data["path"] = path or [peer[1], 3216, 35673]
        data["announcements"] = [{"next_hop": peer[0], "prefixes": [prefix]}]
    return RisMessage.from_json(data)


class Run:
    """One life of the alert service on a state file, closed on leaving the block even when a test fails.

    `kill()` ends it early without any shutdown work, as a crash would.
    """

    def __init__(
        self,
        tmp: Path,
        clock: ManualClock,
        sink: RecordingSink,
        batch_window: float = 0,
        probe: SiteProbe | None = None,
        **alerts: Any,
    ) -> None:
        alerts.setdefault("silkroute_feed_silence_seconds", 10**6)  # feed health has its own test
        self.system = AlertService(
            settings_for(tmp, **alerts),
            clock=clock,
            probe=probe,
            batch_window=batch_window,
            tick_seconds=3600,
        )
        self.sink = sink
        self.seen = 0
        self.killed = False

    async def __aenter__(self) -> Run:
        await self.system.start()
        await self.system.attach(self.sink)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.killed:
            await self.system.close()

    async def kill(self) -> None:
        """Stop the tasks and drop the state file: nothing flushed beyond what was committed."""
        self.killed = True
        for task in self.system._tasks:
            task.cancel()
        await self.system.db.close()

    async def feed(self, *events: RisMessage | FeedStatus) -> None:
        for event in events:
            await self.system.handle(event)

    async def delivered(self) -> list[str]:
        await self.system.tick()
        assert self.system.sender is not None
        await self.system.sender.drain_once()
        new, self.seen = self.sink.titles[self.seen :], len(self.sink.titles)
        return new

    async def baseline(self) -> None:
        await self.feed(*(update(p) for p in PEERS))

    async def lose(self, count: int, clock: ManualClock) -> list[str]:
        await self.feed(*(update(p, withdraw=PREFIX) for p in PEERS[:count]))
        clock.advance(361)
        return await self.delivered()


LOSS = f"OPEN: Visibility loss: {PREFIX} withdrawn by 10 peers"
RECOVERED = f"RESOLVED: Recovered: {PREFIX} is visible again"
RECOVERED_UNSENT = RECOVERED.replace("RESOLVED", "RESOLVED (opened and resolved while delivery was paused)")
HIJACK = f"OPEN: Possible hijack: {PREFIX} originated by AS64511"


async def test_restart_delivers_pending_once_and_recovers_open_alerts(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink) as run:
        await run.system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await run.baseline()
        assert await run.lose(10, clock) == [LOSS]  # open and delivered
        sink.down = True  # Discord outage: the hijack alert stays in the outbox
        await run.feed(update(PEERS[12], [PEERS[12][1], 3216, 64511]))
        assert await run.delivered() == []
        assert await run.system.repository.pending_count() == 1
        await run.kill()

    sink2 = RecordingSink()
    async with Run(tmp_path, clock, sink2) as second:
        assert await second.delivered() == [HIJACK]  # the pending one, once; the open one not again
        assert "RPKI: not checked" in sink2.deliveries[0].entries[0].alert.summary
        # Drained after each step: two resolutions pending at once would go out as one message, and whether the
        # background sender drains between the two feeds depends on the machine's speed.
        await second.feed(*(update(p) for p in PEERS[:10]))  # the lost peers return
        assert await second.delivered() == [RECOVERED]
        await second.feed(update(PEERS[12]))  # and the hijacked peer chooses the right origin again
        assert await second.delivered() == [
            f"RESOLVED: Back to normal: {PREFIX} no longer originated by AS64511"
        ]
    sink3 = RecordingSink()
    async with Run(tmp_path, clock, sink3) as third:
        assert await third.delivered() == []  # nothing resolved is re-sent after another restart
        assert await third.system.repository.pending_count() == 0


async def test_opened_and_resolved_during_outage_is_one_message(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink) as run:
        await run.system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await run.baseline()
        sink.down = True
        assert await run.lose(10, clock) == []
        await run.feed(*(update(p) for p in PEERS[:10]))
        sink.down = False
        clock.advance(600)  # past the retry backoff
        assert await run.delivered() == [
            f"RESOLVED (opened and resolved while delivery was paused): {RECOVERED[10:]}"
        ]


async def test_renotify_after_interval_until_acknowledged(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink) as run:
        await run.system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await run.baseline()
        assert await run.lose(10, clock) == [LOSS]
        clock.advance(23 * 3600)
        assert await run.delivered() == []
        clock.advance(3600)
        assert await run.delivered() == [LOSS.replace("OPEN", "STILL OPEN")]
        assert sink.deliveries[-1].wants_oncall
        (alert,) = await run.system.open_alerts(1)
        assert await run.system.ack([alert], "bob") == 1
        clock.advance(48 * 3600)
        assert await run.delivered() == []


async def test_muted_target_records_but_does_not_send(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink) as run:
        await run.system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await run.system.mute(1, PREFIX, AlertKind.VISIBILITY, 3600, "bob")
        await run.baseline()
        assert await run.lose(10, clock) == []
        await run.feed(*(update(p) for p in PEERS[:10]))
        assert await run.delivered() == []
        history = await run.system.history(1, 10)
        assert [(a.kind, a.state, a.muted) for a in history] == [
            (AlertKind.VISIBILITY, AlertState.RESOLVED, True)
        ]


async def test_storm_for_one_watch_is_one_message(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink, batch_window=5) as run:  # the sender task waits; we drain first
        await run.system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await run.system.add_watch(2, WatchKind.PREFIX, PREFIX, "", "carol")
        await run.baseline()
        specifics = [f"194.187.246.{i * 16}/28" for i in range(8)]
        await run.feed(*(update(PEERS[0], [PEERS[0][1], 64511], prefix=p) for p in specifics))
        titles = await run.delivered()
        assert titles == [f"8 alerts for {PREFIX}", f"8 alerts for {PREFIX}"]  # one per guild
        assert sorted(d.guild_id for d in sink.deliveries) == [1, 2]
        assert [d.channel_id for d in sink.deliveries] == [777, 777]  # the ALERT_CHANNEL_ID default


async def test_feed_silence_and_return(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink, silkroute_feed_silence_seconds=300) as run:
        await run.system.add_watch(1, WatchKind.ASN, "AS35673", "", "alice")
        await run.feed(FeedStatus(FeedState.DISCONNECTED, "socket closed (code 1006)", at=clock()))
        clock.advance(200)
        assert await run.delivered() == []
        clock.advance(101)
        assert await run.delivered() == ["OPEN: RIS Live feed is down"]
        await run.feed(FeedStatus(FeedState.CONNECTED, "subscribed", at=clock()))
        assert await run.delivered() == ["RESOLVED: RIS Live feed is back"]


async def test_site_alerts_on_state_changes_only(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    up, down = SiteState.UP, SiteState.DOWN
    states = iter([up, down, down, up, up])

    async def probe(site: str) -> SiteCheck:
        state = next(states)
        return SiteCheck(state, "reachable" if state is up else "tls_timeout", "handshake stalled")

    async with Run(tmp_path, clock, sink, probe=probe) as run:
        await run.system.add_watch(1, WatchKind.SITE, "https://egov.kz/", "", "alice")
        titles = []
        for _ in range(5):
            titles += await run.delivered()
            clock.advance(601)
        assert titles == ["OPEN: https://egov.kz/ is down", "RESOLVED: https://egov.kz/ is reachable again"]


async def test_ris_live_opens_once_something_is_watched_and_follows_the_watches(tmp_path: Path) -> None:
    """No caller re-syncs anything: adding and removing watches re-points the open feed by itself."""
    opened: list[tuple[RisSubscription, ...]] = []
    changes: list[str] = []

    class RecordingFeed:
        async def subscribe(self, subscription: RisSubscription) -> None:
            changes.append(f"+{subscription.prefix or subscription.path}")

        async def unsubscribe(self, subscription: RisSubscription) -> None:
            changes.append(f"-{subscription.prefix or subscription.path}")

        async def events(self) -> AsyncIterator[RisEvent]:
            return
            yield

    def factory(subscriptions: tuple[RisSubscription, ...]) -> RecordingFeed:
        opened.append(subscriptions)
        return RecordingFeed()

    system = AlertService(settings_for(tmp_path), clock=ManualClock(), feeds=factory, tick_seconds=3600)
    await system.start()
    try:
        await system.attach(RecordingSink())
        assert opened == []
        assert "nothing watched" in system.status().text
        await system.add_watch(1, WatchKind.PREFIX, PREFIX, note="", created_by="test")
        assert [[s.prefix for s in subs] for subs in opened] == [[PREFIX]]
        await system.add_watch(1, WatchKind.ASN, "AS35673", note="", created_by="test")
        await system.add_watch(2, WatchKind.PREFIX, PREFIX, note="", created_by="test")  # already subscribed
        assert await system.remove_watch(1, PREFIX) == 0  # guild 2 still watches it: stays subscribed
        assert await system.remove_watch(1, "AS35673") == 0
        assert len(opened) == 1  # the open feed is re-subscribed, never reopened
        assert changes == ["+35673$", "-35673$"]
    finally:
        await system.close()


async def test_recovery_racing_the_confirming_tick_still_resolves(tmp_path: Path) -> None:
    """The pump confirms a loss while the feed reports the recovery: the resolve must not be dropped."""
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink) as run:
        await run.system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await run.baseline()
        await run.feed(*(update(p, withdraw=PREFIX) for p in PEERS[:10]))
        clock.advance(361)
        await asyncio.gather(run.system.tick(), run.feed(*(update(p) for p in PEERS[:10])))
        assert await run.system.open_alerts(1) == []
        # The running sender may or may not have sent the opening before the recovery was stored.
        assert await run.delivered() in ([LOSS, RECOVERED], [RECOVERED_UNSENT])


class BrokenRpki:
    async def rpki_validation(self, asn: int | str, prefix: str) -> Any:
        raise ValueError("unexpected answer shape")


async def test_hijack_is_alerted_when_the_rpki_check_breaks(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink) as run:
        run.system.rpki = BrokenRpki()
        await run.system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await run.baseline()
        await run.feed(update(PEERS[0], [PEERS[0][1], 64511]))
        assert await run.delivered() == [HIJACK]
        (alert,) = await run.system.open_alerts(1)
        assert alert.evidence["rpki"] == "could not be checked (ValueError)"


async def test_peer_switching_hijack_origin_ends_the_first_hijack(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    async with Run(tmp_path, clock, sink) as run:
        await run.system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await run.baseline()
        await run.feed(update(PEERS[0], [PEERS[0][1], 64511]))
        assert await run.delivered() == [HIJACK]
        await run.feed(update(PEERS[0], [PEERS[0][1], 64512]))
        assert await run.delivered() == [
            f"RESOLVED: Back to normal: {PREFIX} no longer originated by AS64511",
            HIJACK.replace("64511", "64512"),
        ]


async def test_offline_wiring_probes_no_site_and_opens_no_feed(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)  # SILKROUTE_OFFLINE=1
    live = LiveSources(settings)
    system = build_alerts(settings, serving(None), live)
    sink = RecordingSink()
    await system.start()
    try:
        await system.attach(sink, background=False)
        await system.add_watch(1, WatchKind.SITE, "https://127.0.0.1:9/", "", "alice")
        await system.add_watch(1, WatchKind.PREFIX, PREFIX, "", "alice")
        await system.pump()
        assert sink.deliveries == []
        assert system.probe is None
        assert "off (SILKROUTE_OFFLINE=1)" in system.status().text
    finally:
        await system.close()
        await live.close()


def test_looped_live_path_names_no_new_upstream() -> None:
    monitor = UpstreamMonitor(warmup_seconds=0)
    monitor.set_watches([(WatchKind.ASN, "AS35673")])
    first = monitor.process(update(PEERS[0], [PEERS[0][1], 3216, 3216, 35673]), 0.0)
    assert [f.title for f in first] == ["New upstream: AS35673 reached through AS3216"]
    assert monitor.process(update(PEERS[1], [PEERS[1][1], 174, 35673, 174, 35673]), 1.0) == []


async def test_one_ack_closes_a_storm_of_600_open_alerts_in_one_transaction(tmp_path: Path) -> None:
    service = AlertService(settings_for(tmp_path), clock=ManualClock(), batch_window=0)
    await service.start()
    try:
        for asn in range(1000, 1600):
            finding = Finding(AlertKind.ORIGIN, PREFIX, f"{PREFIX}:{asn}", True, f"Hijack by AS{asn}", "s")
            await service.engine.apply(finding, [1])
        shown = (await service.open_alerts(1))[:10]  # the alerts one message showed
        commits: list[object] = []
        engine = service.repository.db.engine.sync_engine
        count = commits.append
        sqlalchemy.event.listen(engine, "commit", count)
        assert await service.ack(shown, "bob") == 600
        sqlalchemy.event.remove(engine, "commit", count)
        assert all(a.acked_by == "bob" for a in await service.open_alerts(1))
        assert len(commits) == 1  # one transaction, not one per alert
        assert await service.ack(shown, "carol") == 0  # acknowledged once, by the first
    finally:
        await service.close()


async def test_alerts_of_guilds_another_shard_holds_stay_pending_for_it(tmp_path: Path) -> None:
    clock, sink = ManualClock(), RecordingSink()
    sink.elsewhere = {2}
    async with Run(tmp_path, clock, sink) as run:
        await run.system.send_test(1, "alice")
        await run.system.send_test(2, "bob")
        assert await run.delivered() == ["TEST: Test alert"]
        assert [d.guild_id for d in sink.deliveries] == [1]
        assert await run.system.repository.pending_count() == 1  # guild 2's, untouched: no failed attempt
        (left,) = await run.system.repository.pending(clock() + 3600)
        assert (left.alert.guild_id, left.attempts) == (2, 0)
