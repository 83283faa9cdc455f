"""Benchmark /reach concurrency: 50 targets against local servers, total time vs the slowest single check.

Run: .venv/bin/python bench/reach_concurrency.py
Targets: 20 HTTPS (test CA), 20 HTTP, 5 handshakes that stall (1 s limit) and 5 closed ports, all on
127.0.0.1 behind a local DNS server. Servers and checker share one event loop (and 2 cores), so
per-stage times under load include the servers' own work. Baselines measured in the same run: each check alone, one after the
other (the slowest of them is the floor for the concurrent run) and a bare aiohttp GET (stage overhead).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.reach.probe import check_each, check_target
from bot.reach.report import TargetReport
from bot.reach.site import Target, parse_target
from tests.bot.reach.servers import closed_port, make_leaf, server_context
from tests.fixtures.reach_lab import Lab

STALL_SECONDS = 1.0


def stage_times(reports: list[TargetReport]) -> dict[str, list[float]]:
    """Seconds spent per stage, over every address that reached that stage."""
    times: dict[str, list[float]] = {"dns": [], "tcp": [], "tls": [], "http": []}
    for report in reports:
        if report.dns is not None:
            times["dns"].append(max(report.dns.system.seconds, report.dns.control.seconds))
        for address in report.addresses:
            for stage, result in (("tcp", address.tcp), ("tls", address.tls), ("http", address.http)):
                if result is not None and not (stage == "tls" and address.outcome == "tls_timeout"):
                    times[stage].append(result.seconds)
    return times


async def main() -> None:
    lab = Lab(Path(tempfile.mkdtemp()))
    https = await lab.web(context=server_context(lab.tmp, make_leaf(lab.ca, "site.test"), [lab.ca]))
    http = await lab.web()
    stalls = [await lab.stall() for _ in range(5)]
    config = await lab.config({"site.test": ["127.0.0.1"]}, stage_seconds=STALL_SECONDS)
    targets: list[Target] = []
    targets += [parse_target(f"https://site.test:{https.port}/p{i}") for i in range(20)]
    targets += [parse_target(f"http://site.test:{http.port}/p{i}") for i in range(20)]
    targets += [parse_target(f"https://site.test:{s.port}/") for s in stalls]
    targets += [parse_target(f"https://site.test:{closed_port()}/c{i}") for i in range(5)]

    await check_target(targets[0], config, None)  # warm caches (trust store, SSL contexts)
    singles: list[TargetReport] = []
    sequential_started = time.perf_counter()
    for target in targets:
        singles.append(await check_target(target, config, None))
    sequential = time.perf_counter() - sequential_started
    slowest = max(r.seconds for r in singles)

    started = time.perf_counter()
    together = [r async for r in check_each(targets, config, None, concurrency=len(targets))]
    concurrent = time.perf_counter() - started

    raw: list[float] = []
    for i in range(20):
        begin = time.perf_counter()
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session,
            session.get(f"http://127.0.0.1:{http.port}/raw{i}") as response,
        ):
            await response.read()
        raw.append(time.perf_counter() - begin)
    http_checks = [r.seconds for r in singles if r.target.scheme == "http"]
    https_checks = [r.seconds for r in singles if r.target.scheme == "https" and r.verdict == "reachable"]

    verdicts: dict[str, int] = {}
    for report in together:
        verdicts[report.verdict] = verdicts.get(report.verdict, 0) + 1
    print(f"targets: {len(targets)}  verdicts (concurrent run): {verdicts}")
    print(f"slowest single check:       {slowest:7.3f} s")
    print(f"all checks one after other: {sequential:7.3f} s")
    print(f"all checks concurrently:    {concurrent:7.3f} s")
    print(f"ratio concurrent / slowest single: {concurrent / slowest:5.2f}x  (1.00 = perfect overlap)")
    print(f"speed-up sequential / concurrent:  {sequential / concurrent:5.2f}x")
    print("median stage time, ms (alone -> with 49 others):")
    alone, busy = stage_times(singles), stage_times(together)
    for stage in alone:
        print(
            f"  {stage:5s} {1000 * statistics.median(alone[stage]):7.2f} -> {1000 * statistics.median(busy[stage]):7.2f}"
        )
    raw_median = statistics.median(raw)
    print(f"bare aiohttp GET (new session and connection) median: {1000 * raw_median:6.2f} ms")
    print(
        f"full http check median: {1000 * statistics.median(http_checks):6.2f} ms "
        f"= {statistics.median(http_checks) / raw_median:5.1f}x a bare GET"
    )
    print(
        f"full https check median: {1000 * statistics.median(https_checks):6.2f} ms "
        f"= {statistics.median(https_checks) / raw_median:5.1f}x a bare GET"
    )
    await lab.close()


if __name__ == "__main__":
    asyncio.run(main())
