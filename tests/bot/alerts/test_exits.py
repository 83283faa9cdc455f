"""Exit-country and upstream changes between two real snapshots, built by the importer from generated MRT files."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
import pytest_asyncio

from bot.alerts.model import AlertKind, WatchKind
from bot.alerts.service import AlertService
from bot.app.features.alerts.presentation import render_delivery
from bot.app.render import render_text
from bot.i18n import Language, translator
from bot.routing.importer import import_files
from bot.routing.snapshot_store import SnapshotStore
from tests.bot.alerts.support import ManualClock, RecordingSink, settings_for
from tests.bot.routing import mrt_writer as w
from tests.bot.routing.snapshot_fixtures import PEER_A, PEER_B, T0, attrs, write_names

DAY = 86400
KCELL = 29355  # KZ; upstream AS9198 (KZ); exits through AS3216 (RU) or AS29049 (AZ)
Routes = Mapping[str, list[tuple[int, tuple[int, ...]]]]  # prefix -> (peer index, AS path) per peer

VIA_RU: Routes = {
    "2.72.0.0/18": [(0, (3216, 9198, KCELL)), (1, (9002, 3216, 9198, KCELL))],
    "2.72.64.0/18": [(0, (3216, 9198, KCELL)), (1, (9002, 3216, 9198, KCELL))],
}
VIA_AZ: Routes = {
    "2.72.0.0/18": [(0, (3216, 29049, 9198, KCELL)), (1, (9002, 29049, 9198, KCELL))],
    "2.72.64.0/18": [(0, (3216, 29049, 9198, KCELL)), (1, (9002, 29049, 9198, KCELL))],
}
# Peer B also carries a /21 through Azerbaijan: AZ gets ~3 % of the exit share, under the 15 % threshold.
SLIGHTLY_AZ: Routes = {**VIA_RU, "2.72.128.0/21": [(1, (9002, 29049, 9198, KCELL))]}
# A second upstream, AS21299 (KZ), whose routes still leave through Russia: news, but no exit change.
NEW_UPSTREAM: Routes = {**VIA_RU, "2.72.128.0/21": [(0, (3216, 21299, KCELL))]}


def write_registry(path: Path) -> Path:
    lines = [
        "2|ripencc|20190101|8|19830705|20190101|+0000",
        "ripencc|KZ|asn|9198|1|19980507|allocated",
        "ripencc|KZ|asn|29355|1|20030602|assigned",
        "ripencc|KZ|asn|21299|1|20030602|assigned",
        "ripencc|RU|asn|3216|1|19940101|assigned",
        "ripencc|AZ|asn|29049|1|20030601|assigned",
        "ripencc|GB|asn|9002|1|19980101|assigned",
        "ripencc|KZ|ipv4|2.72.0.0|524288|20100101|allocated",
    ]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def build(data_dir: Path, day: int, routes: Routes) -> None:
    """One RIB dumped `day` days after 2019-01-01, imported with the registry: the new current snapshot."""
    folder = data_dir.parent / f"in-{day}"
    folder.mkdir(exist_ok=True)
    records = [w.peer_index_table([PEER_A, PEER_B], view="")]
    for sequence, (prefix, entries) in enumerate(routes.items()):
        records.append(
            w.rib(
                T0 + day * DAY, sequence, prefix, [w.RibEntry(peer, attrs(*path)) for peer, path in entries]
            )
        )
    rib = w.write(folder / "rib.bz2", records, "bzip2")
    import_files([rib, write_registry(folder / "stats"), write_names(folder / "names.dat")], data_dir)


class Life:
    """One run of the alert system watching AS29355, over a real snapshot store."""

    def __init__(self, tmp: Path, store: SnapshotStore, sink: RecordingSink, **alerts: float) -> None:
        self.system = AlertService(
            settings_for(tmp, **alerts), snapshots=store, clock=ManualClock(), batch_window=0
        )
        self.sink = sink

    async def __aenter__(self) -> Life:
        await self.system.start()
        try:
            await self.system.add_watch(1, WatchKind.ASN, f"AS{KCELL}", "Kcell", "test")
            await self.system.attach(self.sink, background=False)
        except BaseException:
            await self.system.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.system.close()

    async def delivered(self) -> list[str]:
        seen = len(self.sink.titles)
        await self.system.pump()
        return self.sink.titles[seen:]


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[SnapshotStore]:
    data_dir = tmp_path / "data"
    build(data_dir, 0, VIA_RU)
    serving = SnapshotStore(data_dir)
    await serving.start()
    yield serving
    await serving.close()


async def swap(store: SnapshotStore, day: int, routes: Routes) -> str:
    build(store.data_dir, day, routes)
    fresh = await store.reload()
    assert fresh is not None
    return fresh.snapshot_id


async def test_exit_moving_from_ru_to_az_is_one_alert_and_a_restart_compares_with_the_last_snapshot(
    tmp_path: Path, store: SnapshotStore
) -> None:
    sink = RecordingSink()
    assert store.current is not None
    first = store.current.snapshot_id
    async with Life(tmp_path, store, sink) as life:
        assert await life.delivered() == []  # the first snapshot seen is the baseline
        await swap(store, 1, SLIGHTLY_AZ)
        assert await life.delivered() == []  # AZ ~3 %: under the threshold
        quiet = store.current
        assert quiet is not None
    second = quiet.snapshot_id
    third = await swap(store, 2, VIA_AZ)  # while the bot is down

    async with Life(tmp_path, store, sink) as life:
        assert await life.delivered() == [
            "NEWS: Exit countries of AS29355 changed: AZ 3% → 100%, RU 97% → 0%"
        ]
        assert await life.delivered() == []
        (alert,) = await life.system.history(1, 10)
    assert alert.kind == AlertKind.EXIT
    assert alert.dedupe_key == f"exit:AS{KCELL}:{second}>{third}"
    evidence = alert.evidence
    assert (evidence["snapshot_before"], evidence["snapshot_after"]) == (second, third)
    assert (evidence["data_date_before"], evidence["data_date_after"]) == (
        "2019-01-02 00:00 UTC",
        "2019-01-03 00:00 UTC",
    )
    shares = {cc: (before, after) for cc, before, after in evidence["exit_shares"]}
    assert shares["AZ"] == (pytest.approx(1024 / 34816), 1.0)
    assert shares["RU"] == (pytest.approx(1 - 1024 / 34816), 0.0)
    assert evidence["paths"] == [["198.51.100.1/192.0.2.10", "3216 29049 9198 29355"]]
    assert first != second
    text = render_text(render_delivery(sink.deliveries[0]))
    assert "AZ       2.9 %   100.0 %  +97.1 %" in text
    kazakh = render_delivery(sink.deliveries[0], translator(Language.KK))  # a kk server's channel
    assert kazakh.title == "ЖАҢАЛЫҚ: AS29355 шығу елдері өзгерді: AZ 3% → 100%, RU 97% → 0%"
    assert "AS29355 IPv4 маршруттарының өз елінен" in kazakh.summary
    assert f"routing snapshot ({third} compared with {second}): data of 2019-01-03 00:00 UTC" in text

    async with Life(tmp_path, store, sink) as life:  # same snapshot after another restart: nothing new
        assert await life.delivered() == []
    assert len(sink.deliveries) == 1


async def test_a_shift_below_the_threshold_is_silent_and_above_it_is_not(
    tmp_path: Path, store: SnapshotStore
) -> None:
    sink = RecordingSink()
    async with Life(tmp_path, store, sink, silkroute_exit_shift_threshold=0.02) as life:
        await life.delivered()
        await swap(store, 1, SLIGHTLY_AZ)
        (title,) = await life.delivered()
    assert title == "NEWS: Exit countries of AS29355 changed: RU 100% → 97%, AZ 0% → 3%"


async def test_a_new_upstream_in_the_snapshot_is_news_once(tmp_path: Path, store: SnapshotStore) -> None:
    sink = RecordingSink()
    async with Life(tmp_path, store, sink) as life:
        await life.delivered()
        snapshot_id = await swap(store, 1, NEW_UPSTREAM)
        assert await life.delivered() == ["NEWS: New upstream: AS29355 reached through AS21299"]
        (alert,) = await life.system.history(1, 10)
        assert alert.evidence["known_upstreams"] == [9198]
        assert alert.evidence["snapshot_after"] == snapshot_id
        assert alert.evidence["paths"][0][1] == "3216 21299 29355"
        await swap(store, 2, VIA_RU)  # AS21299 gone
        await swap(store, 3, NEW_UPSTREAM)  # and back within a week: already told
        assert await life.delivered() == []
