"""Monitor throughput: RIS Live messages per second through the alert monitors with 1,000 watches.

Baseline: a loop that only decodes the same messages (JSON text → `RisMessage`). Measured: decode plus
the feed's three monitors (origin, visibility, upstream) processing each message with 1,000 watches (500 prefixes from the stream itself, so many updates match,
and 500 origin ASes). The ratio says what share of the decoder's speed the monitors keep.
Run: .venv/bin/python bench/alerts_monitor_throughput.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.alerts.model import Finding, WatchKind
from bot.alerts.monitors.origin import HijackCandidate, OriginMonitor
from bot.alerts.monitors.upstream import UpstreamMonitor
from bot.alerts.monitors.visibility import VisibilityMonitor
from bot.live.rislive import RisMessage
from tests.bot.live.fake_rislive import ris_messages_from_mrt

MRT = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrt" / "ris-rrc00-updates.20190101.0000.gz"
WATCHES = 1000
ROUNDS = 3


def decode(texts: list[str]) -> list[RisMessage]:
    return [RisMessage.from_json(json.loads(t)["data"]) for t in texts]


class FeedMonitors:
    """The monitors the alert service runs on every RIS Live message, in the service's order."""

    def __init__(self, targets: list[tuple[WatchKind, str]]) -> None:
        self.origins = OriginMonitor()
        self.visibility = VisibilityMonitor(min_peers=10, confirm_seconds=360)
        self.upstreams = UpstreamMonitor()
        for monitor in (self.origins, self.visibility, self.upstreams):
            monitor.set_watches(targets)

    def process(self, message: RisMessage, now: float) -> tuple[list[Finding], list[HijackCandidate]]:
        findings, candidates = self.origins.process(message)
        findings += self.visibility.process(message, now)
        findings += self.upstreams.process(message, now)
        return findings, candidates


def monitor_with_watches(messages: list[RisMessage]) -> FeedMonitors:
    prefixes: list[str] = []
    origins: list[int] = []
    for m in messages:
        for p in m.announced:
            if p not in prefixes and len(prefixes) < WATCHES // 2:
                prefixes.append(p)
        if m.origin_asn is not None and m.origin_asn not in origins and len(origins) < WATCHES // 2:
            origins.append(m.origin_asn)
    return FeedMonitors(
        [*((WatchKind.PREFIX, p) for p in prefixes), *((WatchKind.ASN, f"AS{a}") for a in origins)]
    )


def main() -> None:
    if not MRT.exists():
        sys.exit(f"needs the shared data: {MRT}")
    data = ris_messages_from_mrt(MRT, 1_000_000)
    texts = [json.dumps({"type": "ris_message", "data": d}) for d in data]
    messages = decode(texts)
    print(f"{len(texts):,} real RIS messages (rrc00, 2019-01-01 00:00-00:05), {WATCHES:,} watches")

    best_decode = best_full = float("inf")
    findings = candidates = 0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        decode(texts)
        best_decode = min(best_decode, time.perf_counter() - start)

        monitor = monitor_with_watches(messages)
        start = time.perf_counter()
        findings = candidates = 0
        for now, message in enumerate(decode(texts)):
            found, cands = monitor.process(message, float(now))
            findings += len(found)
            candidates += len(cands)
        best_full = min(best_full, time.perf_counter() - start)

    n = len(texts)
    print(f"decode only:            {n / best_decode:12,.0f} msg/s")
    print(
        f"decode + monitors:      {n / best_full:12,.0f} msg/s  ({findings} findings, {candidates} hijack candidates)"
    )
    print(f"ratio (monitors/decode): {best_decode / best_full:.2f}  (1.00 = monitors cost nothing)")


if __name__ == "__main__":
    main()
