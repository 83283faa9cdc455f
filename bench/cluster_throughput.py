"""Cluster throughput: live answers per second through three bot processes sharing Redis vs one process.

Every run starts a real redis-server on 127.0.0.1 and the local fake RIPEstat (real recorded looking-glass
answer, 20 ms per request as a stand-in for the network), then asks 3,000 looking-glass lookups over 300
distinct prefixes (each asked ten times, 50 at a time per process) in four set-ups, each in fresh worker
processes on an empty Redis:

- baseline: one process, in-process cache (the default deployment);
- one process, cache in Redis;
- three processes, each with its own in-process cache (scale-out without Redis);
- three processes sharing the cache in Redis.

It prints answers per second, the ratio to the baseline, and the upstream requests each made (300 means each
distinct question reached upstream once, however many processes asked). On this 2-core machine the three
processes share the cores with Redis and the fake upstream, so the ratio shows coordination cost, not scale.
Run: .venv/bin/python bench/cluster_throughput.py
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bot.live.fake_upstreams import FakeUpstreams, serving
from tests.bot.shared_state.processes import run_workers
from tests.fixtures.redis_server import running_redis

RIPESTAT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ripestat"
TOTAL, DISTINCT = 3000, 300
SETUPS = [("1 process, in-process cache", 1, "0"), ("1 process, Redis cache", 1, "1")]
SETUPS += [("3 processes, own caches", 3, "0"), ("3 processes, shared Redis cache", 3, "1")]


async def measure(redis_url: str, processes: int, shared: str) -> tuple[float, int]:
    """Answers per second (all answers over the slowest process's time) and upstream requests."""
    redis.Redis.from_url(redis_url).flushall()
    fake = FakeUpstreams(RIPESTAT, delay=0.02)
    async with serving(fake.app()) as fake.server:
        args = (fake.base, str(TOTAL), str(DISTINCT), shared)
        results = await run_workers(redis_url, "throughput", *args, count=processes, within=600)
    answers = sum(r["answers"] for r in results)
    assert answers == TOTAL
    return answers / max(r["seconds"] for r in results), fake.requests["ripestat:looking-glass"]


async def main() -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory() as folder, running_redis(binary, Path(folder)) as url:
        baseline = 0.0
        print(f"{TOTAL} lookups over {DISTINCT} prefixes, 20 ms upstream latency")
        print(f"{'set-up':34} {'answers/s':>10} {'ratio':>7} {'upstream requests':>18}")
        for label, processes, shared in SETUPS:
            rate, requests = await measure(url, processes, shared)
            baseline = baseline or rate
            print(f"{label:34} {rate:10.0f} {rate / baseline:7.2f} {requests:18d}")


if __name__ == "__main__":
    asyncio.run(main())
