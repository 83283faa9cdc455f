"""Start worker processes on a shared Redis, release them together and collect what each printed."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


async def run_workers(redis_url: str, mode: str, *args: str, count: int, within: float = 60) -> list[Any]:
    """`count` real OS processes running `worker.py <mode> <redis> w<i> <args> <count>`; each says "ready" once
    connected and all get their "go" together. Returns each worker's JSON result."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    pipe = asyncio.subprocess.PIPE
    processes = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "tests.bot.shared_state.worker", mode, redis_url, f"w{i}"),
            *args,
            str(count),
            stdin=pipe,
            stdout=pipe,
            stderr=pipe,
            env=env,
        )
        for i in range(count)
    ]
    try:
        async with asyncio.timeout(within):
            for process in processes:
                assert process.stdout is not None
                line = await process.stdout.readline()
                assert line == b"ready\n", line + (await process.communicate())[1]
            for process in processes:  # all at once: communicate() would wait for each to finish first
                assert process.stdin is not None
                process.stdin.write(b"go\n")
            outputs = [await p.communicate() for p in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
    return [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
