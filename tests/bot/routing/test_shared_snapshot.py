"""Replicas sharing one data folder: the leader's switch reaches every store on the event bus, a store that
stands by never refreshes, and a build still being written is never what a follower serves."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

from bot.core.settings import CoreSettings, RoutingSettings, Settings
from bot.routing.importer import import_files
from bot.routing.snapshot import install_snapshot
from bot.routing.snapshot_store import SnapshotStore
from bot.shared_state.events import SNAPSHOT_SWITCHED, EventBus
from tests.bot.routing.snapshot_fixtures import write_rib


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
