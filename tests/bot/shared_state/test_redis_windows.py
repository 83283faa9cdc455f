"""Fair-use windows in Redis hold across real OS processes: a member cannot get around a quota by landing
on another replica."""

from __future__ import annotations

from tests.bot.shared_state.processes import run_workers


async def test_two_processes_charging_one_member_share_one_quota(redis_url: str) -> None:
    results = await run_workers(redis_url, "charges", "5/1h", "5", count=2)
    assert sum(r["accepted"] for r in results) == 5
    assert sum(r["refused"] for r in results) == 5
