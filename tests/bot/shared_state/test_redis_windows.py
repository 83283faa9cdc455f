"""Fair-use windows in Redis hold across real OS processes: a member cannot get around a quota by landing
on another replica."""

from __future__ import annotations

import pytest

from bot.app.limits import Cost, FairUse, SlowDown
from bot.core.settings import LimitSettings
from bot.shared_state.redis_link import RedisLink
from bot.shared_state.redis_windows import RedisWindows
from tests.bot.reach.servers import closed_port
from tests.bot.shared_state.processes import run_workers
from tests.helpers import ManualClock


async def test_two_processes_charging_one_member_share_one_quota(redis_url: str) -> None:
    results = await run_workers(redis_url, "charges", "5/1h", "5", count=2)
    assert sum(r["accepted"] for r in results) == 5
    assert sum(r["refused"] for r in results) == 5


async def test_with_redis_down_quotas_still_hold_within_the_process() -> None:
    link = RedisLink(f"redis://127.0.0.1:{closed_port()}/0")
    limits = FairUse(
        LimitSettings(silkroute_limit_reach_user="2/1h"), ManualClock(1000.0), RedisWindows(link)
    )
    try:
        for _ in range(2):
            await limits.charge(Cost.REACH, user_id=1, guild_id=10, can_manage=False)
        with pytest.raises(SlowDown, match="used 2 of 2 reach checks per member"):
            await limits.charge(Cost.REACH, user_id=1, guild_id=10, can_manage=False)
    finally:
        await link.close()
    assert link.failures == 3
    assert "3 calls failed and were done in this process instead" in link.status().text
