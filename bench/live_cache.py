"""Benchmark the live-lookup cache: upstream requests saved on a repeating lookup mix, and what a hit costs.

Runs the fake RIPEstat/IHR server of the tests on 127.0.0.1 (real recorded RIPEstat answers from
../shared/data/ripestat/). The baseline, measured in the same run, is calling the local server directly
through the HTTP layer with no cache: every lookup is one request. The mix repeats like a chat does:
a few popular resources asked often (Zipf-like), plus bursts where many people ask the same thing at once.

    .venv/bin/python bench/live_cache.py [--lookups 3000] [--distinct 60] [--bursts 20] [--burst-size 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.live import LiveSources
from bot.live.http_client import HttpLayer
from tests.bot.live.fake_upstreams import FakeUpstreams, serving

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ripestat"
CALLS = ("looking-glass", "network-info", "rpki-validation", "asn-neighbours")


def lookup_mix(count: int, distinct: int, seed: int = 7) -> list[tuple[str, str]]:
    """(call, resource) pairs; resource i is asked with weight 1/(i+1), so a few dominate, as in a chat."""
    rng = random.Random(seed)
    resources = [f"95.{56 + i // 256}.{i % 256}.0/24" for i in range(distinct)]
    weights = [1 / (i + 1) for i in range(distinct)]
    return [(rng.choice(CALLS), rng.choices(resources, weights)[0]) for _ in range(count)]


def cached_call(live: LiveSources, call: str, resource: str) -> Awaitable[Any]:
    client = live.ripestat
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "looking-glass": lambda: client.looking_glass(resource),
        "network-info": lambda: client.network_info(resource.split("/")[0]),
        "rpki-validation": lambda: client.rpki_validation(9198, resource),
        "asn-neighbours": lambda: client.asn_neighbours(9198 + int(resource.split(".")[2])),
    }
    return calls[call]()


async def per_call_us(run: Callable[[], Awaitable[Any]], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        await run()
    return (time.perf_counter() - start) / repeat * 1e6


async def main(args: argparse.Namespace) -> None:
    async with serving((fake := FakeUpstreams(DATA)).app()) as fake.server:
        await run(fake, args)


async def run(fake: FakeUpstreams, args: argparse.Namespace) -> None:
    settings = fake.settings(silkroute_http_concurrency=16, silkroute_http_read_timeout=10.0)
    direct = HttpLayer(settings)
    live = LiveSources(settings)
    try:
        mix = lookup_mix(args.lookups, args.distinct)

        # Baseline: every lookup goes to the (local) upstream.
        start = time.perf_counter()
        for call, resource in mix:
            await direct.get_json("ripestat", f"data/{call}/data.json", {"resource": resource})
        direct_s = time.perf_counter() - start
        direct_requests = sum(fake.requests.values())

        fake.requests.clear()
        start = time.perf_counter()
        for call, resource in mix:
            await cached_call(live, call, resource)
        cached_s = time.perf_counter() - start
        cached_requests = sum(fake.requests.values())

        # Bursts: many people ask the same cold thing at once (single-flight).
        fake.requests.clear()
        for burst in range(args.bursts):
            resource = f"10.{burst}.0.0/16"
            await asyncio.gather(*(live.ripestat.looking_glass(resource) for _ in range(args.burst_size)))
        burst_requests = sum(fake.requests.values())

        # Latency of one warm cache hit versus one direct request to the local server.
        await live.ripestat.looking_glass("140.78.0.0/16")
        hit_us = await per_call_us(lambda: live.ripestat.looking_glass("140.78.0.0/16"), 20000)
        path, query = "data/looking-glass/data.json", {"resource": "140.78.0.0/16"}
        server_us = await per_call_us(lambda: direct.get_json("ripestat", path, query), 500)
    finally:
        await live.close()
        await direct.close()

    print(
        f"lookup mix: {args.lookups} lookups over {args.distinct} resources x {len(CALLS)} calls (Zipf-like)"
    )
    print(f"  direct (baseline): {direct_requests} upstream requests, {direct_s:.2f} s")
    print(
        f"  cached:            {cached_requests} upstream requests, {cached_s:.2f} s"
        f"  -> {1 - cached_requests / direct_requests:.1%} requests saved,"
        f" {direct_requests / cached_requests:.1f}x fewer, {direct_s / cached_s:.1f}x faster"
    )
    bursts = args.bursts * args.burst_size
    print(
        f"bursts: {args.bursts} x {args.burst_size} concurrent identical cold lookups -> {burst_requests} requests"
        f" (ratio {bursts / burst_requests:.0f}:1)"
    )
    print(
        f"cache hit: {hit_us:.1f} µs per lookup (parse-free, stamped result) vs direct local request"
        f" {server_us:.0f} µs -> hit costs {hit_us / server_us:.3f}x of a request, {server_us / hit_us:.0f}x faster"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--distinct", type=int, default=60)
    parser.add_argument("--bursts", type=int, default=20)
    parser.add_argument("--burst-size", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
