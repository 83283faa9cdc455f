"""Shards across processes: two real bot processes, each holding one of two shards, against the local fake
Discord with a guild on each shard. Each answers only its guild's interactions and posts only its guild's
alerts, though each state file holds alerts for both (as one shared database would)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.shared_state.shards import shard_of
from tests.bot.frontends.discord.fake_discord import FakeDiscord, fake_discord_running
from tests.bot.frontends.discord.support import FAKE_TOKEN
from tests.bot.shared_state.processes import REPO

GUILD_A = 1_100_000_000_000_000_001  # shard 1 of 2
GUILD_B = GUILD_A + (1 << 22)  # shard 0 of 2
CHANNEL_B = 1_100_000_000_000_000_020


@pytest_asyncio.fixture
async def two_guilds() -> AsyncIterator[FakeDiscord]:
    async with fake_discord_running(
        FAKE_TOKEN, guild_id=GUILD_A, more_guilds={GUILD_B: (CHANNEL_B,)}
    ) as fake:
        yield fake


async def start_shard(
    fake: FakeDiscord, redis_url: str, shard_id: int, folder: Path
) -> asyncio.subprocess.Process:
    guilds = f"{GUILD_A}:{fake.channel_ids[0]},{GUILD_B}:{CHANNEL_B}"
    args = (
        "shard",
        redis_url,
        f"w{shard_id}",
        fake.api_base,
        fake.gateway_url,
        str(shard_id),
        "2",
        str(folder),
        guilds,
    )
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.bot.shared_state.worker", *args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=folder,
    )
    assert process.stdout is not None
    async with asyncio.timeout(30):
        assert await process.stdout.readline() == b"ready\n"
    return process


@pytest.fixture
def folders(tmp_path: Path) -> list[Path]:
    """One working folder (state file, history, data) per process."""
    made = [tmp_path / f"shard{i}" for i in (0, 1)]
    for folder in made:
        folder.mkdir()
    return made


async def test_two_processes_each_answer_and_alert_only_their_shards_guilds(
    two_guilds: FakeDiscord, redis_url: str, folders: list[Path]
) -> None:
    fake = two_guilds
    assert (shard_of(GUILD_A, 2), shard_of(GUILD_B, 2)) == (1, 0)
    processes = [await start_shard(fake, redis_url, i, folders[i]) for i in (0, 1)]
    try:
        channel_a = fake.channel_ids[0]
        await fake.until(lambda: fake.channel_posts(channel_a) and fake.channel_posts(CHANNEL_B), seconds=60)
        assert sorted(tuple(f["d"]["shard"]) for f in fake.frames(2)) == [(0, 2), (1, 2)]
        asked = {guild: await fake.inject_interaction("help", guild_id=guild) for guild in (GUILD_A, GUILD_B)}
        await fake.until(lambda: all(fake.replies(i) for i in asked.values()), seconds=30)
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        outputs = [await asyncio.wait_for(p.communicate(), 30) for p in processes]
        for _, err in outputs:
            print("ERR", err.decode()[-4000:])
        print([(r.method, r.path, r.status) for r in fake.requests][:60])
    results = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()[-3000:]
    shard0, shard1 = results
    assert shard0 == {"code": 0, "delivered": {str(GUILD_A): 0, str(GUILD_B): 1}, "pending": [GUILD_A]}
    assert shard1 == {"code": 0, "delivered": {str(GUILD_A): 1, str(GUILD_B): 0}, "pending": [GUILD_B]}
    assert len(fake.channel_posts(channel_a)) == len(fake.channel_posts(CHANNEL_B)) == 1
    assert all(len([r for r in fake.replies(i) if "/callback" in r.path]) == 1 for i in asked.values())
