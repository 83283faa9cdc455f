from __future__ import annotations

import gc
import os
import weakref
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.answer import Severity, as_command_error
from bot.app.features.data import import_command
from bot.routing.importer import ImportFailed, import_events, import_files
from bot.routing.mrt import RouteEvent
from bot.routing.snapshot import OriginSeen, Snapshot, load_current
from bot.routing.snapshot_store import SnapshotStore
from tests.bot.routing import mrt_writer as w
from tests.bot.routing.snapshot_fixtures import (
    PEER_A,
    PEER_B,
    PEER_C,
    T0,
    all_files,
    attrs,
    write_names,
    write_rib,
)


def routes_by_peer(snapshot: Snapshot) -> set[tuple[str, str, tuple[object, ...]]]:
    return {(snapshot.vantages[r.vantage].peer_ip, r.prefix, r.path) for r in snapshot.routes()}


def origins(snapshot: Snapshot, family: int | None = None) -> set[int]:
    """Origin ASes as the routes show them (a path ending in an AS_SET has no single origin)."""
    return {r.path[-1] for r in snapshot.routes(family) if isinstance(r.path[-1], int)}


def test_snapshot_is_freed_when_dropped(tmp_path: Path) -> None:
    """A cache on a method would keep every snapshot ever served alive, mmaps included, so pruned
    snapshot folders would never free their disk space."""
    assert not [name for name in dir(Snapshot) if hasattr(getattr(Snapshot, name), "cache_info")]
    import_files(all_files(tmp_path), tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None and snapshot.lookup_ip("185.12.0.9") is not None
    assert snapshot.routes_of_origin(9198) and snapshot.asns_in_country("KZ") and origins(snapshot)
    alive = weakref.ref(snapshot)
    del snapshot
    gc.collect()
    assert alive() is None


def test_rib_then_updates_replayed(tmp_path: Path) -> None:
    report = import_files(all_files(tmp_path), tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None and snapshot.folder == report.folder
    assert routes_by_peer(snapshot) == {
        # peer B's route to 2.72.0.0/18 was replaced by its update; peer A lost its own with the session
        (PEER_B.ip, "2.72.0.0/18", (9002, 31133, 9198, 29355)),
        # peer A: withdrawal, then session down (drops all), then one new announcement
        (PEER_A.ip, "95.56.0.0/14", (3216, 9198)),
        (PEER_B.ip, "95.56.0.0/14", (9002, 9198)),
        (PEER_B.ip, "185.12.0.0/24", (9002, 43727)),
        (PEER_C.ip, "185.12.0.0/24", (31133, 20764)),
        (PEER_B.ip, "193.0.0.0/21", (9002, 1299, frozenset({7, 8}))),
        (PEER_C.ip, "2a00:1a48::/29", (31133, 9198)),
    }
    assert {v.collector for v in snapshot.vantages} == {"rrc99"}
    kinds = {f.name: (f.kind, f.role) for f in snapshot.provenance.files}
    assert kinds == {
        "rrc99-rib.20190101.0000.bz2": ("mrt", "rib"),
        "rrc99-updates.20190101.0000.gz": ("mrt", "updates"),
        "stats": ("delegated", ""),
        "names.dat": ("asnames-json", ""),
    }
    assert all(len(f.sha256) == 64 and f.size > 0 for f in snapshot.provenance.files)
    assert snapshot.provenance.data_date is not None and snapshot.provenance.data_date.minute == 1
    assert report.warnings == []


def test_read_api(tmp_path: Path) -> None:
    import_files(all_files(tmp_path), tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None
    assert sorted(r.prefix for r in snapshot.routes_of_origin(9198)) == [
        "2a00:1a48::/29",
        "95.56.0.0/14",
        "95.56.0.0/14",
    ]
    assert [r.prefix for r in snapshot.routes_of_origin(9198, family=6)] == ["2a00:1a48::/29"]
    assert snapshot.routes_of_origin(1299) == []  # its only path ends in an AS_SET: no origin
    assert origins(snapshot) == {29355, 9198, 20764, 43727}
    assert origins(snapshot, family=6) == {9198}
    match = snapshot.lookup_ip("185.12.0.9")
    assert match is not None and match.prefix == "185.12.0.0/24"
    assert [(o.asn, o.vantage_points) for o in match.origins] == [(20764, 1), (43727, 1)]
    assert snapshot.country_of_asn(29355) == "KZ" and snapshot.country_of_asn(3216) == "RU"  # name fallback
    assert snapshot.as_name(29355) == "KCELL-AS"
    assert list(snapshot.asns_in_country("kz")) == [9198, 29355]
    assert snapshot.country_of_ip("95.59.255.255") == "KZ" and snapshot.country_of_ip("95.60.0.0") is None
    assert [snapshot.prefix(i) for i in snapshot.more_specifics("2.0.0.0/8")] == ["2.72.0.0/18"]
    names = [s.name for s in snapshot.data_sources()]
    assert names == ["BGP collector rrc99", "RIR delegated stats", "AS names"]


def test_truncated_rib_keeps_complete_records(tmp_path: Path) -> None:
    full = write_rib(tmp_path / "full-rib.x")
    cut = write_rib(tmp_path / "cut-rib.x", cut=full.stat().st_size - 20)
    report = import_files([cut], tmp_path / "data")
    record = report.provenance.files[0]
    assert record.truncated and record.events < 11
    assert report.warnings and "truncated" in report.warnings[0]
    assert 0 < report.provenance.routes < 11


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"\x00\x01\x02\x03" * 100, "binary but not MRT"), (b"hello world\n", "not MRT, RIR")],
)
def test_bad_file_fails_and_keeps_previous_snapshot(tmp_path: Path, content: bytes, reason: str) -> None:
    data = tmp_path / "data"
    good = import_files(all_files(tmp_path), data)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    with pytest.raises(ImportFailed, match=reason) as caught:
        import_files([*all_files(tmp_path), bad], data)
    assert "silkroute data import" in as_command_error(caught.value).user_text()
    assert (data / "current").resolve() == good.folder
    assert [p.name for p in (data / "snapshots").iterdir()] == [good.folder.name]


def test_failure_while_writing_cleans_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    good = import_files(all_files(tmp_path), data)

    def fail(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("bot.routing.importer.write_tables", fail)
    with pytest.raises(ImportFailed, match=r"disk full.*previous one keeps serving"):
        import_files(all_files(tmp_path), data)
    assert [p.name for p in (data / "snapshots").iterdir()] == [good.folder.name]
    assert load_current(data) is not None


def test_ipasn_only_and_no_routes(tmp_path: Path) -> None:
    ipasn = tmp_path / "some.dat"
    ipasn.write_text("; IP-ASN32-DAT file\n2.72.0.0/14\t29355\n95.56.0.0/14\t9198\n2a00:1a48::/29\t9198\n")
    report = import_files([ipasn], tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None and report.provenance.ip_to_as_source == "some.dat"
    match = snapshot.lookup_ip("2a00:1a48::1")
    assert match is not None and match.origins[0].asn == 9198
    assert [s.name for s in snapshot.data_sources()] == ["pyasn IPASN file"]
    names = tmp_path / "names.json"
    names.write_text('{"1": "ONE"}')
    with pytest.raises(ImportFailed, match="No routes"):
        import_files([names], tmp_path / "data2")
    assert not (tmp_path / "data2" / "current").exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="does not exist"):
        import_files([tmp_path / "nope.bz2"], tmp_path / "data")


def test_add_path_routes_replayed_per_path_id(tmp_path: Path) -> None:
    rib = w.write(
        tmp_path / "rrc97-rib.x",
        [
            w.peer_index_table([PEER_A], view=""),
            w.rib(
                T0,
                0,
                "2.72.0.0/18",
                [w.RibEntry(0, attrs(3216, 29355), 1), w.RibEntry(0, attrs(3216, 9198, 29355), 2)],
            ),
        ],
    )
    withdraw_2 = w.bgp_update(withdrawn=w.nlri(["2.72.0.0/18"], path_ids=[2]))
    announce_3 = w.bgp_update(
        attributes=attrs(3216, 20764, 29355), announced=w.nlri(["2.72.0.0/18"], path_ids=[3])
    )
    updates = w.write(
        tmp_path / "rrc97-updates.x",
        [
            w.bgp4mp(T0 + 5, PEER_A, withdraw_2, addpath=True),
            w.bgp4mp(T0 + 6, PEER_A, announce_3, addpath=True),
        ],
    )
    import_files([rib, updates], tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None
    assert sorted(r.path for r in snapshot.routes()) == [(3216, 20764, 29355), (3216, 29355)]
    prefix_id = snapshot.prefix_id("2.72.0.0/18")
    assert prefix_id is not None and snapshot.vantage_count(prefix_id) == 1
    assert snapshot.origins_of_prefix(prefix_id) == [OriginSeen(29355, 1)]


def test_import_events_and_import_answer(tmp_path: Path) -> None:
    events = [RouteEvent("B", T0, "192.0.2.1", 3216, "2.72.0.0/18", (3216, 29355), None)]
    report = import_events([("gen", events)], tmp_path / "data")
    assert report.provenance.routes == 1 and report.provenance.collectors[0].name == "gen"
    with pytest.raises(ImportFailed, match="empty"):
        import_events([("gen", [])], tmp_path / "data")


async def test_import_command_reports_truncation(tmp_path: Path) -> None:
    full = write_rib(tmp_path / "full-rib.x")
    cut = write_rib(tmp_path / "rrc96-rib.x", cut=full.stat().st_size - 20)
    answer = await import_command([cut], tmp_path / "data")
    assert answer.severity == Severity.WARNING and "truncated" in answer.sections[0].text
    assert answer.data["routes"] == answer.data["collectors"][0]["routes"] > 0
    assert answer.sources[0].name == "BGP collector rrc96" and answer.sources[0].stale
    seconds, peak = answer.data["import_seconds"], answer.data["import_peak_rss"]
    assert isinstance(seconds, float) and isinstance(peak, int) and 0 < seconds < 60 and peak > 20 * 2**20
    assert (
        f"Import took {seconds:,.1f} s" in answer.summary
        and f"peak memory {peak / 2**20:,.0f} MiB" in answer.summary
    )
    assert "routes/s)" in answer.summary


async def test_status_shows_size_on_disk_and_import_time(tmp_path: Path) -> None:
    report = import_files(all_files(tmp_path), tmp_path / "data")
    store = SnapshotStore(tmp_path / "data")
    await store.reload()
    size = sum(p.stat().st_size for p in report.folder.iterdir())
    assert size > 1000 and store.current is not None and store.current.disk_bytes() == size
    text = store.status().text
    assert f"{size / 1e6:,.1f} MB on disk" in text
    assert (
        f"built in {report.provenance.import_seconds:,.1f} s" in text and report.provenance.import_seconds > 0
    )


def test_as_names_source_is_dated(tmp_path: Path) -> None:
    """The names files hold no date inside: the file name gives one, else the file's modification time."""
    dated = write_names(tmp_path / "asnames-libloc.20221029.json.gz")
    import_files([write_rib(tmp_path / "rrc99-rib.x"), dated], tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None
    (names,) = [s for s in snapshot.data_sources() if s.name == "AS names"]
    assert names.date == datetime(2022, 10, 29, tzinfo=UTC) and "date from its file name" in names.detail
    undated = write_names(tmp_path / "asnames.txt")
    os.utime(undated, (1_700_000_000, 1_700_000_000))
    import_files([write_rib(tmp_path / "rrc99-rib.x"), undated], tmp_path / "data")
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None
    (names,) = [s for s in snapshot.data_sources() if s.name == "AS names"]
    assert names.date == datetime.fromtimestamp(1_700_000_000, UTC)
    assert names.detail == "asnames.txt (date from its modification time)"
