"""Own BGP signal cost: RIS Live messages per second through the outage tracker with a country watch on KZ.

Baseline: a loop that only decodes the same messages (JSON text → `RisMessage`). Measured: decode plus
`BgpTracker.observe` with Kazakhstan tracked (every IPv4 prefix its ASes originate in the real snapshot),
and, on the first FILTERED messages only (it is slow), decode plus the client-side subscription check
(`RisLiveClient.accepts` with the tracker's path and block filters, what the shared socket does per
message) plus `observe`. The ratios say what share of the decoder's speed each keeps.

Then the alert latency, in replay time: a country watch on KZ in the whole alert system (the scenario of
tests/bot/outage/test_alert_replay.py: the real updates through a local RIS Live server, every Kazakh prefix
withdrawn with the probe panel dark), minute by minute, from the withdrawal burst to the outage alert leaving
the outbox. It is set by SILKROUTE_OUTAGE_DOWN_MINUTES and SILKROUTE_OUTAGE_CHECK_MINUTES, not by CPU.
Run: .venv/bin/python bench/outage_signals.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.settings import Settings
from bot.live.http_client import HttpLayer
from bot.live.rislive import RisLiveClient, RisMessage
from bot.outage.bgp import BgpTracker
from bot.outage.model import Entity
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current
from tests.bot.alerts.support import ManualClock, RecordingSink
from tests.bot.live.fake_rislive import FakeRisLive, ris_messages_from_mrt
from tests.bot.live.fake_upstreams import serving
from tests.bot.outage.alert_replay import Process

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MRT = DATA / "mrt" / "ris-rrc00-updates.20190101.0000.gz"
FILES = (
    "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2",
    "mrt/ris-rrc00-updates.20190101.0000.gz",
    "registry/delegated-derived.20260201.txt.gz",
    "asnames/asnames-libloc.20221029.json.gz",
)
KZ = Entity("country", "KZ", "Kazakhstan")
ROUNDS = 3
FILTERED = 2000


def decode(texts: list[str]) -> list[RisMessage]:
    return [RisMessage.from_json(json.loads(t)["data"]) for t in texts]


def snapshot(folder: Path) -> Snapshot:
    import_files([DATA / name for name in FILES], folder)
    loaded = load_current(folder)
    assert loaded is not None
    return loaded


async def outbox_latency(view: Snapshot, replay: list[dict[str, Any]]) -> tuple[timedelta, int]:
    """Replay time from the withdrawal burst to the first alert leaving the outbox, and alerts sent by then."""
    fake = FakeRisLive()
    async with serving(fake.app()) as fake.server:
        with tempfile.TemporaryDirectory() as state:
            clock = ManualClock(replay[-1]["timestamp"])
            process = Process(view, fake, Path(state), clock, RecordingSink())
            try:
                await process.morning(replay)
                cut = process.moment()
                await process.burst(replay)
                await process.run(60)
            finally:
                await process.close()
    if not process.delivered_at:
        sys.exit("no outage alert within an hour of replay time")
    return process.delivered_at[0] - cut, len(process.sink.deliveries)


def main() -> None:
    if not MRT.exists():
        sys.exit(f"needs the shared data: {MRT}")
    replay = ris_messages_from_mrt(MRT, 1_000_000)
    texts = [json.dumps({"type": "ris_message", "data": d}) for d in replay]
    with tempfile.TemporaryDirectory() as folder:
        view = snapshot(Path(folder))
        start = time.perf_counter()
        latency, alerts = asyncio.run(outbox_latency(view, replay))
        wall = time.perf_counter() - start
        tracker = BgpTracker(min_peers=10)
        routes = tracker.track(KZ, view)
        client = RisLiveClient(HttpLayer(Settings()), tracker.subscriptions())
        print(
            f"{len(texts):,} real RIS messages (rrc00, 2019-01-01 00:00-00:05); KZ tracked: {len(routes.asns)} ASes, "
            f"{len(routes.prefixes)} prefixes, {len(client.subscriptions)} subscriptions on one socket"
        )
        best = {
            "decode": float("inf"),
            "observe": float("inf"),
            "sample": float("inf"),
            "filter": float("inf"),
        }
        sample = texts[:FILTERED]
        accepted = 0
        for _ in range(ROUNDS):
            start = time.perf_counter()
            decode(texts)
            best["decode"] = min(best["decode"], time.perf_counter() - start)

            tracker.track(KZ, view)
            start = time.perf_counter()
            for message in decode(texts):
                tracker.observe(message, datetime.fromtimestamp(message.timestamp, UTC))
            best["observe"] = min(best["observe"], time.perf_counter() - start)

            start = time.perf_counter()
            decode(sample)
            best["sample"] = min(best["sample"], time.perf_counter() - start)

            tracker.track(KZ, view)
            start = time.perf_counter()
            accepted = 0
            for message in decode(sample):
                if client.accepts(message):
                    accepted += 1
                    tracker.observe(message, datetime.fromtimestamp(message.timestamp, UTC))
            best["filter"] = min(best["filter"], time.perf_counter() - start)

    n = len(texts)
    print(f"decode only:                     {n / best['decode']:12,.0f} msg/s")
    print(f"decode + observe (every message): {n / best['observe']:11,.0f} msg/s")
    print(
        f"decode + filter + observe:       {FILTERED / best['filter']:12,.0f} msg/s  "
        f"(first {FILTERED:,} messages, {accepted:,} accepted)"
    )
    print(
        f"ratio observe/decode:            {best['decode'] / best['observe']:.2f}  (1.00 = tracking costs nothing)"
    )
    print(f"ratio filter+observe/decode:     {best['sample'] / best['filter']:.3f}")
    print(
        f"withdrawal burst -> outage alert out of the outbox: {latency.total_seconds() / 60:.0f} min of replay time "
        f"({alerts} alert(s) in the hour after; {wall:.1f} s wall for the whole scenario)"
    )


if __name__ == "__main__":
    main()
