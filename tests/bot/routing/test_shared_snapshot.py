"""Replicas sharing one data folder: the leader's switch reaches every store on the event bus (or, without
Redis, the store's next re-check of `current`), a store that stands by never refreshes, a build still being
written is never what a follower serves, and the prune never removes what a follower still serves."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from pathlib import Path

from bot.core.settings import CoreSettings, RoutingSettings, Settings
from bot.routing.importer import import_files
from bot.routing.served import CLEANUP_AFTER, SERVING, claim, claimed
from bot.routing.snapshot import KEEP_SNAPSHOTS, install_snapshot
from bot.routing.snapshot_store import SnapshotStore
from bot.shared_state.events import SNAPSHOT_SWITCHED, EventBus, LocalBus, RedisBus
from tests.bot.routing.snapshot_fixtures import write_rib
from tests.helpers import ManualClock


async def followed(store: SnapshotStore, count: int) -> None:
    """Wait (bounded) until the store has re-opened `count` announced switches."""
    async with asyncio.timeout(10):
        while store.followed < count:  # noqa: ASYNC110 - the store's own counter, set by its follower task
            await asyncio.sleep(0.01)


async def test_the_follower_serves_what_the_leader_switched_to(tmp_path: Path, bus: EventBus) -> None:
    data = tmp_path / "data"
    first = import_files([write_rib(tmp_path / "rrc98-rib.x")], data).folder
    leader, follower = SnapshotStore(data), SnapshotStore(data)
    for store in (leader, follower):
        store.follow(bus)
        await store.start()
    await follower.stand_by()
    assert follower.current is not None and follower.current.folder == first

    report = import_files([write_rib(tmp_path / "rrc97-rib.x")], data)  # the leader's refresh
    await leader.serve_import(report)
    await bus.publish(SNAPSHOT_SWITCHED, {"snapshot": report.folder.name})  # as the wiring does after it
    await followed(follower, 1)
    assert follower.current is not None and follower.current.folder == report.folder != first
    assert leader.followed == 0  # its own announcement: already serving it, nothing re-opened
    for store in (leader, follower):
        await store.close()


async def test_a_half_written_build_is_never_served(tmp_path: Path, bus: EventBus) -> None:
    data = tmp_path / "data"
    first = import_files([write_rib(tmp_path / "rrc98-rib.x")], data).folder
    template = import_files([write_rib(tmp_path / "rrc97-rib.x")], tmp_path / "other").folder
    follower = SnapshotStore(data)
    follower.follow(bus)
    await follower.start()
    halfway, finish = threading.Event(), threading.Event()

    def build(folder: Path) -> None:
        """Write the snapshot's files one by one, stopping after the first until the test says go on."""
        for number, source in enumerate(sorted(p for p in template.iterdir() if p.is_file())):
            shutil.copy2(source, folder / source.name)
            if number == 0:
                halfway.set()
                finish.wait(10)

    install = asyncio.create_task(asyncio.to_thread(install_snapshot, data, build))
    await asyncio.to_thread(halfway.wait, 10)
    building = next((data / "snapshots").glob(".tmp-*"))
    # a switch announced mid-build (a confused or racing leader) still re-opens only `current`
    await bus.publish(SNAPSHOT_SWITCHED, {"snapshot": building.name})
    await followed(follower, 1)
    assert follower.current is not None and follower.current.folder == first
    finish.set()
    folder, serving = await install
    assert serving
    await bus.publish(SNAPSHOT_SWITCHED, {"snapshot": folder.name})
    await followed(follower, 2)
    assert follower.current is not None and follower.current.folder == folder
    await follower.close()


async def test_only_the_leading_store_refreshes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    import_files([write_rib(tmp_path / "rrc98-rib.x")], data)
    settings = Settings(  # online, but the snapshot is a day from due: the refresher only sleeps
        core=CoreSettings(silkroute_data_dir=data, silkroute_offline=False),
        routing=RoutingSettings(silkroute_update_interval_hours=24),
    )
    store = SnapshotStore(data, settings)
    await store.stand_by()  # the cluster says so before the first election
    await store.start()
    assert store.refresher is None and store.current is not None
    await store.lead(1)
    assert store.refresher is not None
    await store.stand_by()
    assert store.refresher is None
    await store.close()


class Ticks:
    """A store's re-check sleep, driven by the test: `tick()` ends one sleep (moving the clock by it) and
    returns once the store has re-checked and sleeps again, so no test waits for real time."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.slept = 0.0
        self._asleep, self._go = asyncio.Event(), asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self._asleep.set()
        await self._go.wait()
        self._go.clear()
        self.clock.advance(seconds)
        self.slept += seconds

    async def tick(self) -> None:
        async with asyncio.timeout(10):
            await self._asleep.wait()
            self._asleep.clear()
            self._go.set()
            await self._asleep.wait()


def recheck_settings(data: Path) -> Settings:
    return Settings(
        core=CoreSettings(silkroute_data_dir=data),
        routing=RoutingSettings(silkroute_snapshot_recheck_seconds=RECHECK),
    )


RECHECK = 10.0


async def test_a_follower_serves_the_new_snapshot_within_one_recheck_on_either_bus(
    tmp_path: Path, bus: EventBus
) -> None:
    """With Redis the switch event reaches the follower at once; without it (the leader's in-process bus is
    not the follower's) the follower finds the new `current` at its next re-check."""
    data = tmp_path / "data"
    first = import_files([write_rib(tmp_path / "rrc98-rib.x")], data).folder
    ticks = Ticks(ManualClock(time.time()))
    leader = SnapshotStore(data)
    follower = SnapshotStore(data, recheck_settings(data), clock=ticks.clock, sleep=ticks.sleep)
    shared = isinstance(bus, RedisBus)
    leader.follow(bus)
    follower.follow(bus if shared else LocalBus())
    for store in (leader, follower):
        await store.start()
    await follower.stand_by()
    assert follower.current is not None and follower.current.folder == first

    report = import_files([write_rib(tmp_path / "rrc97-rib.x")], data)
    await leader.serve_import(report)
    await bus.publish(SNAPSHOT_SWITCHED, {"snapshot": report.folder.name})
    if shared:
        await followed(follower, 1)
        assert ticks.slept == 0  # the event, not a re-check
    else:
        await ticks.tick()
        assert follower.followed == 1 and ticks.slept == RECHECK
    assert follower.current is not None and follower.current.folder == report.folder
    await ticks.tick()  # nothing moved: the re-check keeps what it serves
    assert follower.followed == 1 and follower.current.folder == report.folder
    for store in (leader, follower):
        await store.close()


def older_snapshot(tmp_path: Path, data: Path) -> Path:
    """A served snapshot named as one built on an earlier day: ids sort by build second, and the imports of a
    test share seconds, so only an older name makes "the oldest" certain."""
    built = import_files([write_rib(tmp_path / "rrc98-rib.x")], data).folder
    old = built.rename(built.with_name("20190101T000000-000000"))
    (data / "current").unlink()
    (data / "current").symlink_to(Path("snapshots") / old.name)
    return old


async def test_the_prune_spares_the_snapshot_a_lagging_follower_serves(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = older_snapshot(tmp_path, data)
    ticks = Ticks(ManualClock(time.time()))
    follower = SnapshotStore(data, recheck_settings(data), clock=ticks.clock, sleep=ticks.sleep)
    await follower.start()
    newer = [import_files([write_rib(tmp_path / f"rrc9{n}-rib.x")], data).folder for n in range(3)]
    # three imports while the follower had not re-checked: the oldest, yet its claim keeps it
    assert first.is_dir() and len(list((data / "snapshots").iterdir())) > KEEP_SNAPSHOTS
    assert follower.current is not None and follower.current.folder == first

    await ticks.tick()
    assert follower.current is not None and follower.current.folder == newer[-1]
    last = import_files([write_rib(tmp_path / "rrc90-rib.x")], data).folder
    assert not first.exists()  # the claim moved with the follower
    assert newer[-1].is_dir() and last.is_dir()
    await follower.close()
    assert claimed(data, time.time()) == set()  # a closed store pins nothing


async def test_a_dead_replicas_claim_pins_nothing_once_it_runs_out(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = older_snapshot(tmp_path, data)
    claim(data, "dead-host-1-abc", first.name, until=time.time() - 1)  # a replica killed a while ago
    claim(data, "long-gone-2-def", first.name, until=time.time() - CLEANUP_AFTER - 1)
    claim(data, "live-host-3-ghi", "20190101T000000-aaaaaa", until=time.time() + 60)
    assert claimed(data, time.time()) == {"20190101T000000-aaaaaa"}
    assert sorted(p.name for p in (data / SERVING).iterdir()) == [
        "dead-host-1-abc.json",
        "live-host-3-ghi.json",
    ]
    for n in range(2):
        import_files([write_rib(tmp_path / f"rrc9{n}-rib.x")], data)
    assert not first.exists()
