"""The verdict over a normal week and a shutdown day shaped like 4–5 January 2022, and each source failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.outage.model import Entity, Level, Status
from tests.bot.outage.conftest import world_services
from tests.bot.outage.outage_world import (
    BLACKOUT,
    FAULT_KINDS,
    MOBILE,
    PARTIAL,
    RESTORED,
    SOURCES,
    OutageWorld,
)

KZ = Entity("country", "KZ", "Kazakhstan")

# (clock, expected verdict): a signal must stay down for 20 minutes on the 10-minute grid.
TIMELINE = [
    (datetime(2022, 1, 4, 12, 0, tzinfo=UTC), Level.NORMAL),
    (MOBILE + timedelta(minutes=10), Level.NORMAL),
    (MOBILE + timedelta(minutes=40), Level.DISRUPTION),
    (BLACKOUT - timedelta(minutes=30), Level.DISRUPTION),
    (BLACKOUT + timedelta(minutes=50), Level.OUTAGE),
    (PARTIAL - timedelta(minutes=30), Level.OUTAGE),
    (PARTIAL + timedelta(minutes=30), Level.DISRUPTION),
    (RESTORED + timedelta(minutes=30), Level.NORMAL),
]


async def test_shutdown_day_goes_normal_disruption_outage_normal(world: OutageWorld) -> None:
    services = world_services(world)
    seen = []
    for moment, expected in TIMELINE:
        world.now = moment
        verdict = await services.outage.verdict(KZ)
        seen.append((moment, verdict.level))
        assert verdict.level is expected, (
            moment,
            verdict.level,
            [(r.name, r.status, r.ratio) for r in verdict.readings],
        )
    await services.live.close()
    # Since when: the outage began at the first step after the blackout that had been down for 20 minutes.
    world.now = PARTIAL - timedelta(minutes=30)
    services = world_services(world)
    verdict = await services.outage.verdict(KZ)
    assert verdict.since is not None
    assert BLACKOUT + timedelta(minutes=20) <= verdict.since <= BLACKOUT + timedelta(minutes=40)
    down = set(verdict.down_families)
    assert {"active probing", "telescope", "Atlas probes"} <= down
    assert "routing" not in down  # BGP stayed visible, as in 2022
    await services.live.close()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_a_failing_source_never_makes_an_outage(world: OutageWorld, source: str, kind: str) -> None:
    """In normal times a source failing in any way leaves a normal (or unknown) verdict, labelled."""
    world.faults[source] = kind
    world.slow_seconds = 0.5
    services = world_services(world)
    world.now = datetime(2022, 1, 4, 12, 0, tzinfo=UTC)
    verdict = await services.outage.verdict(KZ)
    await services.live.close()
    assert verdict.level in (Level.NORMAL, Level.UNKNOWN)
    assert verdict.level is Level.NORMAL  # three other families remain
    affected = [r for r in verdict.readings if r.status is not Status.NORMAL]
    assert all(r.status is not Status.DOWN for r in verdict.readings)
    if kind != "empty" or source in ("ioda", "ripestat"):
        assert any(r.status is Status.UNAVAILABLE and r.error for r in affected), affected


@pytest.mark.parametrize("source", SOURCES)
async def test_during_the_blackout_a_failing_source_leaves_a_verdict_from_the_rest(
    world: OutageWorld, source: str
) -> None:
    world.faults[source] = "500"
    world.now = BLACKOUT + timedelta(hours=2)
    services = world_services(world)
    verdict = await services.outage.verdict(KZ)
    await services.live.close()
    missing = {r.name for r in verdict.missing}
    assert missing and all(r.error for r in verdict.missing)
    # IODA carries two of the three families that fall; without it only the Atlas family remains down.
    assert verdict.level is (Level.DISRUPTION if source == "ioda" else Level.OUTAGE)


async def test_offline_answers_from_own_signals_and_names_what_is_missing(world: OutageWorld) -> None:
    services = world_services(world, offline=True)
    verdict = await services.outage.verdict(KZ)
    assert world.requests == {}
    assert verdict.level is Level.UNKNOWN
    assert {r.name for r in verdict.missing} >= {"IODA BGP", "RIPE Atlas probes", "IHR disco"}
    assert all("SILKROUTE_OFFLINE=1" in r.error for r in verdict.missing if r.name.startswith("IODA"))
