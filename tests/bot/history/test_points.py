"""History points on real data: each date's point equals `/transit` on that date's file alone (to 1e-9), the
serving snapshot stays the newest, an older import only adds a point, and a re-build replaces its date."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.alerts.model import WatchKind
from bot.alerts.repository import AlertRepository
from bot.app.features.data import import_command
from bot.app.wiring import watched_targets
from bot.core.settings import Settings
from bot.core.state_db import StateDB
from bot.history.recorder import HistoryRecorder, Watched
from bot.history.store import HistoryStore
from bot.history.views import TOP_TRANSIT
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current
from bot.routing.snapshot_store import SnapshotStore
from bot.routing.transit import TransitIndex
from tests.bot.history.conftest import MRT, REGISTRY

COUNTRIES = ("KZ", "KG")
WATCHED = 3215  # Orange (FR), outside the countries: recorded because it is watched
WATCHED_COUNTRY = "uz"  # outside the countries too, and spelled as a user might: recorded as UZ


def close(stored: Sequence[Sequence[Any]], computed: Sequence[tuple[Any, float]]) -> bool:
    return len(stored) == len(computed) and all(
        key == want_key and abs(share - want) <= 1e-9
        for (key, share), (want_key, want) in zip(stored, computed, strict=True)
    )


async def watched() -> Watched:
    return Watched(countries=[WATCHED_COUNTRY], asns=[WATCHED])


async def test_points_equal_transit_on_each_file_alone(
    shared_data: Path, tmp_path: Path, alone: dict[str, Snapshot]
) -> None:
    data_dir = tmp_path / "data"
    store = HistoryStore(tmp_path / "history.sqlite3")
    recorder = HistoryRecorder(store, COUNTRIES, watched)
    answers = []
    for name, _date in MRT:
        answers.append(
            await import_command(
                [shared_data / name] + [shared_data / r for r in REGISTRY], data_dir, recorder
            )
        )
    assert [a.data["serving"] for a in answers] == [True, True, False]
    assert "serving snapshot is unchanged" in answers[2].summary
    serving = load_current(data_dir)
    assert serving is not None and serving.provenance.data_date is not None
    assert (
        serving.provenance.data_date.year == 2024
    )  # the older 2014 import did not turn answers back in time
    assert not [
        p for p in (data_dir / "snapshots").iterdir() if p.name.startswith(".")
    ]  # kept-aside one gone
    assert [r.date for r in store.recordings()] == ["2014-05-23", "2019-01-01", "2024-10-01"]
    assert answers[2].data["history"]["date"] == "2014-05-23"

    kz = {p.date: p.view for p in store.series("KZ")}
    uz = {p.date: p.view for p in store.series("UZ")}
    assert set(uz) == set(alone)
    kazakh_origins = uzbek_origins = 0
    for date, snapshot in alone.items():
        index = TransitIndex(snapshot)
        watched_country = index.country("UZ", 4)
        assert close(uz[date]["exit_countries"], watched_country.exit_countries)
        assert uz[date]["origin_ases"] == watched_country.origin_ases
        uzbek = [a for a in snapshot.asns_in_country("UZ") if index.origin(a, 4).vantage_points]
        assert all(date in {p.date for p in store.series(f"AS{a}")} for a in uzbek)  # its origins too
        uzbek_origins += len(uzbek)
        country = index.country("KZ", 4)
        view = kz[date]
        assert close(view["exit_countries"], country.exit_countries)
        assert close(view["countries"], country.countries)
        assert close(view["transit"], country.transit[:TOP_TRANSIT])
        assert (view["origin_ases"], view["address_space"], view["vantage_points"]) == (
            country.origin_ases,
            country.address_space,
            len(country.vantage_ids),
        )
        for asn in snapshot.asns_in_country("KZ"):
            origin = index.origin(asn, 4)
            points = {p.date: p.view for p in store.series(f"AS{asn}")}
            if not origin.vantage_points and not index.origin(asn, 6).vantage_points:
                assert date not in points  # an AS nobody saw gets no point
                continue
            kazakh_origins += 1
            got = points[date]
            assert close(got["exit_countries"], origin.exit_countries)
            assert close(got["transit"], origin.transit[:TOP_TRANSIT])
            assert (got["prefixes_v4"], got["space_v4"]) == (origin.prefixes, origin.address_space)
    assert kazakh_origins > 50 and uzbek_origins > 5
    seen_watched = {date for date, s in alone.items() if s.routes_of_origin(WATCHED)}
    assert seen_watched and {p.date for p in store.series(f"AS{WATCHED}")} == seen_watched


async def test_upstreams_carry_vantage_counts_and_a_rebuild_replaces_its_date(
    shared_data: Path, tmp_path: Path, alone: dict[str, Snapshot]
) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    recorder = HistoryRecorder(store, COUNTRIES, watched)
    snapshot = alone["2019-01-01"]
    first = await recorder.record(snapshot.folder)
    again = await HistoryRecorder(store, ("KZ",), watched).record(snapshot.folder)
    assert first is not None and again is not None
    assert [(r.date, r.collectors) for r in store.recordings()] == [("2019-01-01", again.collectors)]
    assert store.recordings()[0].points == again.points < first.points  # KG's points went with the re-build
    assert store.series("KG") == []
    (kcell,) = store.series("AS9198")
    upstreams = dict((asn, n) for asn, n in kcell.view["upstreams"])
    # the 2019 RIS file's own paths into Kazakhtelecom, counted per vantage point independently of the recorder
    seen: dict[int, set[int]] = {}
    for route in snapshot.routes_of_origin(9198):
        hops = [h for i, h in enumerate(route.path) if i == 0 or route.path[i - 1] != h]
        if len(hops) >= 2 and not any(isinstance(h, frozenset) for h in hops) and len(set(hops)) == len(hops):
            seen.setdefault(int(hops[-2]), set()).add(route.vantage)  # type: ignore[arg-type]
    top = sorted(seen.items(), key=lambda item: (-len(item[1]), item[0]))[: len(upstreams)]
    assert upstreams == {asn: len(v) for asn, v in top}
    assert store.has_date("2019-01-01") and not store.has_date("2019-01-02")
    assert kcell.view["space_v4"] > 0 and upstreams
    assert kcell.view["vantage_points"] == len({r.vantage for r in snapshot.routes_of_origin(9198)})


async def test_a_refresh_tells_history_and_drops_older_data_after(shared_data: Path, tmp_path: Path) -> None:
    """The daily refresh path: the store serves the newest snapshot and hands every built folder to history."""
    data_dir = tmp_path / "data"
    registry = [shared_data / r for r in REGISTRY]
    import_files([shared_data / MRT[0][0], *registry], data_dir)
    told: list[tuple[Path, bool]] = []

    async def listener(folder: Path) -> None:
        told.append((folder, await asyncio.to_thread(folder.exists)))

    store = SnapshotStore(data_dir, on_import=listener)
    await store.start()
    newest = store.require().folder
    older = import_files([shared_data / MRT[2][0], *registry], data_dir)
    assert not older.serving and older.folder.name.startswith(".older-")
    await store.serve_import(older)
    assert told == [(older.folder, True)] and not older.folder.exists()
    assert store.require().folder == newest


async def test_watched_countries_and_ases_come_from_every_servers_watches(tmp_path: Path) -> None:
    db = StateDB.from_settings(Settings())
    await db.open()
    try:
        repository = AlertRepository(db)
        for guild, kind, target in [
            (1, WatchKind.COUNTRY, "UZ"),
            (2, WatchKind.COUNTRY, "UZ"),
            (2, WatchKind.ASN, "AS9198"),
            (1, WatchKind.PREFIX, "2.72.0.0/13"),
            (2, WatchKind.COUNTRY, "TJ"),
        ]:
            await repository.add_watch(guild, kind, target, "", "test", 0.0)
        watched = await watched_targets(repository)
    finally:
        await db.close()
    assert watched == Watched(countries=["TJ", "UZ"], asns=[9198], prefixes=["2.72.0.0/13"])

    async def source() -> Watched:
        return watched

    recorder = HistoryRecorder(HistoryStore(tmp_path / "history.sqlite3"), ["KZ", "UZ"], source)
    assert await recorder.targets() == Watched(["KZ", "UZ", "TJ"], [9198], ["2.72.0.0/13"])


async def test_recording_a_served_import_leaves_transit_warm(shared_data: Path, tmp_path: Path) -> None:
    """The running bot records a served folder through the serving store's transit index: `/transit` for the
    recorded countries is then answered from cache; a kept-aside older folder gets its own index."""
    data_dir = tmp_path / "data"
    registry = [shared_data / r for r in REGISTRY]
    snapshots = SnapshotStore(data_dir)
    history = HistoryStore(tmp_path / "history.sqlite3")
    recorder = HistoryRecorder(history, COUNTRIES, watched, snapshots.served_index)
    snapshots.on_import = recorder.record
    await snapshots.serve_import(import_files([shared_data / MRT[0][0], *registry], data_dir))
    index = snapshots.transit_index()
    warm = index.cached_country("KZ", 4)
    assert warm is not None and index.cached_origin(9198, 4) is not None
    (kz,) = history.series("KZ")
    assert close(kz.view["exit_countries"], warm.exit_countries)
    older = import_files([shared_data / MRT[2][0], *registry], data_dir)
    assert not older.serving and snapshots.served_index(older.folder) is None
    await snapshots.serve_import(older)
    assert [r.date for r in history.recordings()] == ["2014-05-23", "2019-01-01"]
    served = snapshots.require().provenance.data_date
    assert served is not None and served.year == 2019  # the older folder was recorded, not served
