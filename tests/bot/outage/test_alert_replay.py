"""The country watch's outage alert end to end: the real 2019 RIS updates through the local RIS Live server
into the alert service, every Kazakh-originated prefix withdrawn at a chosen moment with the probe panel dark
(the second independent signal), and announced again. What reaches the channel is exactly one outage alert
through the outbox and one "restored"; a restart while the alert waits in the outbox neither loses it nor
tells it twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app.features.alerts.presentation import render_delivery
from bot.routing.snapshot import Snapshot
from tests.bot.alerts.support import ManualClock, RecordingSink
from tests.bot.live.fake_rislive import FakeRisLive, ris_messages_from_mrt
from tests.bot.outage.alert_replay import Process, announcements, peers_of

OPENED = "OPEN: Kazakhstan (KZ): possible national outage"
RESTORED = "RESOLVED: Kazakhstan (KZ): connectivity restored"


@pytest.fixture(scope="module")
def replay(shared_data: Path) -> list[dict[str, Any]]:
    return ris_messages_from_mrt(shared_data / "mrt" / "ris-rrc00-updates.20190101.0000.gz", 1_000_000)


@pytest.fixture
async def first(
    real_snapshot: Snapshot, fake_rislive: FakeRisLive, tmp_path: Path, replay: list[dict[str, Any]]
) -> AsyncIterator[Process]:
    """A process watching KZ that has streamed the real updates: the normal morning before the burst."""
    clock = ManualClock(replay[-1]["timestamp"])
    process = Process(real_snapshot, fake_rislive, tmp_path, clock, RecordingSink())
    try:
        await process.morning(replay)
        assert process.routes.routed >= 0.9 * process.routes.baseline
        assert process.sink.deliveries == []  # a normal morning: no alert
        yield process
    finally:
        await process.close()


def titles(sink: RecordingSink) -> list[str]:
    return [render_delivery(d).title for d in sink.deliveries]


async def test_withdrawal_burst_alerts_once_through_the_outbox_then_restores_once(
    first: Process, replay: list[dict[str, Any]], real_snapshot: Snapshot
) -> None:
    cut = first.moment()
    await first.burst(replay)
    await first.run(90)
    assert titles(first.sink) == [OPENED]
    (entry,) = first.sink.deliveries[0].entries
    assert set(entry.alert.evidence["down"]) == {"routing", "active probing"}
    # Down for SILKROUTE_OUTAGE_DOWN_MINUTES (20), then judged at the next check (every 5 min) and sent.
    latency = first.delivered_at[0] - cut
    assert timedelta(minutes=20) <= latency <= timedelta(minutes=26)

    back = first.moment()
    await first.publish(announcements(peers_of(replay), first.routes, real_snapshot, back))
    assert first.routes.routed >= 0.99 * first.routes.baseline
    first.check.dark = False
    await first.run(60)
    assert titles(first.sink) == [OPENED, RESTORED]
    restored = first.sink.deliveries[1].entries[0].alert
    assert "Back to normal after 1 h" in (restored.resolution or "")
    await first.run(60)
    assert len(first.sink.deliveries) == 2


async def test_restart_with_the_alert_in_the_outbox_loses_and_repeats_nothing(
    first: Process, replay: list[dict[str, Any]], real_snapshot: Snapshot, tmp_path: Path
) -> None:
    first.sink.down = True  # the channel refuses: the outage alert waits in the outbox
    await first.burst(replay)
    await first.run(40)
    assert first.sink.deliveries == []
    assert await first.alerts.repository.pending_count() == 1
    await first.close()

    second = Process(real_snapshot, first.fake, tmp_path, first.clock, RecordingSink())
    await second.start(watch=False)
    try:
        await second.run(1)
        assert titles(second.sink) == [OPENED]
        # The restarted own view starts again from the snapshot and the panel has no history, so the
        # verdict is "unknown": nothing is told again, and nothing is told falsely.
        await second.run(60)
        assert titles(second.sink) == [OPENED]
    finally:
        await second.close()
