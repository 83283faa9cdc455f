"""Fair use with an injected clock: quotas per member and per server, exemptions, and the process-wide probe cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app.limits import Cost, FairUse, SlowDown
from bot.core.settings import LimitSettings, parse_quota
from bot.i18n import Language, translator
from bot.shared_state.redis_link import RedisLink
from bot.shared_state.redis_windows import RedisWindows
from bot.shared_state.windows import LocalWindows
from tests.helpers import ManualClock

Limiter = Callable[..., FairUse]


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    """Fair use over each window store: this process's memory, and a real Redis shared by processes."""
    link = RedisLink(request.getfixturevalue("redis_url")) if request.param == "redis" else None

    def make(clock: ManualClock, **quotas: object) -> FairUse:
        windows = RedisWindows(link) if link is not None else None
        return FairUse(LimitSettings(**quotas), clock=clock, windows=windows)  # type: ignore[arg-type]

    yield make
    if link is not None:
        await link.close()


async def reach(
    limits: FairUse, user: int | None = 1, guild: int | None = 10, *, manager: bool = False
) -> None:
    await limits.charge(Cost.REACH, user_id=user, guild_id=guild, can_manage=manager)


async def test_a_member_is_slowed_down_and_told_when_to_retry(limiter: Limiter) -> None:
    clock = ManualClock(1000.0)
    limits = limiter(clock, silkroute_limit_reach_user="3/10m")
    for _ in range(3):
        await reach(limits)
        clock.now += 60
    with pytest.raises(SlowDown) as caught:
        await reach(limits)
    assert "3 reach checks per member per 10 min" in caught.value.message
    assert "Try again in 7 min" in caught.value.message  # the first use leaves the window at t+600
    assert caught.value.retry_after == pytest.approx(420)
    clock.now += 420
    await reach(limits)  # the oldest use has left the window


async def test_a_refused_use_is_not_counted(limiter: Limiter) -> None:
    clock = ManualClock(1000.0)
    limits = limiter(clock, silkroute_limit_reach_user="1/1m")
    await reach(limits)
    for _ in range(5):
        with pytest.raises(SlowDown):
            await reach(limits)
    clock.now += 60
    await reach(limits)
    assert limits.refused == 5


async def test_the_server_quota_is_shared_and_binds_managers_too(limiter: Limiter) -> None:
    clock = ManualClock(1000.0)
    limits = limiter(clock, silkroute_limit_reach_user="1/1h", silkroute_limit_reach_server="3/1h")
    await reach(limits, user=1)
    await reach(limits, user=2)
    await reach(limits, user=3, manager=True)
    with pytest.raises(SlowDown, match="this server has used 3"):
        await reach(limits, user=4, manager=True)
    await reach(limits, user=5, guild=11)  # another server has its own budget
    rows = {row[0]: row[1:] for row in limits.status().table.rows}  # type: ignore[union-attr]
    assert rows["3 reach checks per server per 1 h"] == ["2", "3"]


async def test_managers_are_exempt_from_member_quotas_only(limiter: Limiter) -> None:
    limits = limiter(
        ManualClock(1000.0), silkroute_limit_reach_user="1/1h", silkroute_limit_reach_server="100/1h"
    )
    for _ in range(5):
        await reach(limits, manager=True)
    await reach(limits, user=2)
    with pytest.raises(SlowDown):
        await reach(limits, user=2)


async def test_atlas_results_are_spent_by_amount_and_a_big_request_is_refused_whole(limiter: Limiter) -> None:
    limits = limiter(ManualClock(1000.0), silkroute_limit_atlas_results_server="25/1d")
    await limits.charge(Cost.ATLAS_RESULTS, user_id=1, guild_id=10, can_manage=True, amount=10)
    await limits.charge(Cost.ATLAS_RESULTS, user_id=2, guild_id=10, can_manage=False, amount=10)
    with pytest.raises(SlowDown, match=r"used 20 of 25 Atlas results per server per 1 day \(10 asked\)"):
        await limits.charge(Cost.ATLAS_RESULTS, user_id=2, guild_id=10, can_manage=False, amount=10)
    await limits.charge(Cost.ATLAS_RESULTS, user_id=2, guild_id=10, can_manage=False, amount=5)


async def test_the_console_has_no_member_or_server_quota(limiter: Limiter) -> None:
    limits = limiter(
        ManualClock(1000.0), silkroute_limit_reach_user="0/1s", silkroute_limit_reach_server="0/1s"
    )
    for _ in range(20):
        await reach(limits, user=None, guild=None)
    with pytest.raises(SlowDown, match="switched off reach checks for each member"):
        await reach(limits)


async def test_a_refusal_is_worded_in_the_askers_language(limiter: Limiter) -> None:
    clock = ManualClock(1000.0)
    limits = limiter(clock, silkroute_limit_reach_user="2/1h")
    await reach(limits)
    await reach(limits)
    with pytest.raises(SlowDown) as caught:
        await reach(limits)
    russian = caught.value.user_text(translator(Language.RU))
    assert "Slow" not in russian and "2" in russian and "1 ч" in russian, russian


async def test_windows_of_owners_gone_quiet_are_swept() -> None:
    """Many members over a long time: only the ones with uses left in their window are held."""
    windows = LocalWindows(sweep_every=50)
    limits = FairUse(
        LimitSettings(silkroute_limit_reach_user="5/10m"), clock=(clock := ManualClock(0.0)), windows=windows
    )
    for member in range(400):
        await reach(limits, user=member, guild=None)
        clock.now += 60  # ten members per window
    assert windows.owners() <= 10 + 50
    assert limits.status().table.rows[0][1] == "9"  # type: ignore[union-attr]  # the last nine minutes' members


@pytest.mark.parametrize("text", ["6", "6/", "x/10m", "6/10", "6/10w", "6/0s", "-1/1m"])
def test_malformed_quotas_are_refused_at_start(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quota(text)
    with pytest.raises(ValueError, match=r"quota|window"):
        LimitSettings(silkroute_limit_cold_user=text)


async def test_fifty_concurrent_probes_never_exceed_the_cap() -> None:
    limits = FairUse(LimitSettings(silkroute_max_concurrent_probes=4))
    release = asyncio.Event()
    peak = 0

    async def probe() -> None:
        nonlocal peak
        async with limits.probe_slot():
            peak = max(peak, limits.probes_running)
            await release.wait()

    tasks = [asyncio.create_task(probe()) for _ in range(50)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert limits.probes_running == 4
    assert "Probes running: 4 of 4" in limits.status().text
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 4 and limits.probes_running == 0
