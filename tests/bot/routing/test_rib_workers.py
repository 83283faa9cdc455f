"""MRT files read on every core: parts of a file, and files in worker processes, change no byte of the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.mrt_generator import generate
from bot.routing import rib_workers
from bot.routing.importer import ImportReport, import_files
from bot.routing.mrt import MrtReader, MrtReport
from tests.bot.routing import mrt_writer as w
from tests.bot.routing.test_route_build import REAL_INPUTS, snapshot_files

SPLIT_FILES = (
    "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2",  # cut off: the last part must report the loss
    "mrt/routeviews-rib.20080501.0644.first1MiB.bz2",  # TABLE_DUMP v1
    "mrt/ris-rrc00-updates.20190101.0000.gz",
)


@pytest.mark.parametrize("name", SPLIT_FILES)
def test_parts_of_a_file_are_the_whole_file(shared_data: Path, name: str) -> None:
    whole = MrtReader(shared_data / name)
    events = list(whole)
    for count in (2, 3):
        parts = [MrtReader(shared_data / name, part=(k, count)) for k in range(count)]
        assert [event for part in parts for event in part] == events
        assert all(part.report.events for part in parts)  # each part really read a share
        merged = MrtReport.of_parts([part.report for part in parts])
        for field in ("records", "events", "skipped_corrupt", "truncated", "events_lost_estimate"):
            assert getattr(merged, field) == getattr(whole.report, field), field
        assert (merged.first_timestamp, merged.last_timestamp) == (
            whole.report.first_timestamp,
            whole.report.last_timestamp,
        )


def one_pass_and_in_parts(
    inputs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part_bytes: int, workers: int
) -> tuple[ImportReport, ImportReport, list[str]]:
    """The inputs imported by this process alone, then in parts of `part_bytes` by `workers` processes;
    the two snapshots must be byte-identical. Returns both reports and the second's progress lines."""
    here = import_files(inputs, tmp_path / "here", workers=1)
    monkeypatch.setattr(rib_workers, "MIN_PART_BYTES", part_bytes)
    said: list[str] = []
    spread = import_files(inputs, tmp_path / "spread", progress=said.append, workers=workers)
    assert snapshot_files(here.folder) == snapshot_files(spread.folder)
    assert here.provenance.files == spread.provenance.files
    assert here.provenance.collectors == spread.provenance.collectors
    return here, spread, said


def test_workers_build_the_same_snapshot(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two RIBs split into parts read in worker processes, an updates file in parts replayed after them,
    ADD-PATH RIBs."""
    inputs = [shared_data / name for name in REAL_INPUTS] + [shared_data / SPLIT_FILES[1]]
    _, _, said = one_pass_and_in_parts(inputs, tmp_path, monkeypatch, 100_000, workers=4)
    assert "reading 5 MRT file(s) in 8 part(s) on 4 cores" in said
    assert [p.name for p in (tmp_path / "spread" / "snapshots").iterdir() if p.name.startswith(".")] == []


UPDATES_WITH_PEER_DOWNS = (  # same collector twice: their order across files matters too
    "mrt/ris-rrc23-updates.20220421.0200.gz",
    "mrt/ris-rrc23-updates.20220501.2305.gz",
    "mrt/bgpdump-updates.20160811.1600.gz",
    "mrt/ris-rrc03-updates.20100227.1600.first796.gz",
)


def test_updates_files_in_parts_replay_in_order(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real updates files with withdrawals and peer-downs, each split into parts read in parallel, then
    replayed in file and record order: the snapshot is byte-identical."""
    inputs = [shared_data / name for name in UPDATES_WITH_PEER_DOWNS]
    _, _, said = one_pass_and_in_parts(inputs, tmp_path, monkeypatch, 100_000, workers=6)
    assert "reading 4 MRT file(s) in 9 part(s) on 6 cores" in said


def test_a_peer_down_in_a_later_part_voids_the_earlier_parts_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Peer A announces in the first third of the file, goes down in the second and comes back with other
    prefixes; peer B withdraws some of its own in the last third: three parts, same snapshot as one pass."""
    a, b, t = w.Peer("192.0.2.1", 64501), w.Peer("192.0.2.2", 64502), 1_717_200_000
    records = []
    for i in range(3000):
        peer = a if i % 2 else b
        attrs = w.path_attributes([(2, [peer.asn, 174, 65000 + i % 50])])
        records.append(
            w.bgp4mp(
                t + i, peer, w.bgp_update(attributes=attrs, announced=w.nlri([f"10.{i >> 8}.{i & 255}.0/24"]))
            )
        )
    records.append(w.state_change(t + 4000, a, 6, 1))
    for i in range(3000):
        if i % 2:
            attrs = w.path_attributes([(2, [a.asn, 3356, 65100 + i % 50])])
            message = w.bgp_update(attributes=attrs, announced=w.nlri([f"11.{i >> 8}.{i & 255}.0/24"]))
            records.append(w.bgp4mp(t + 5000 + i, a, message))
        else:
            records.append(
                w.bgp4mp(
                    t + 5000 + i,
                    b,
                    w.bgp_update(withdrawn=w.nlri([f"10.{(i - 2000) >> 8 & 255}.{i & 255}.0/24"])),
                )
            )
    updates = w.write(tmp_path / "ris-rrc99-updates.20240601.0000", records)
    whole, _, said = one_pass_and_in_parts([updates], tmp_path, monkeypatch, updates.stat().st_size // 3, 3)
    assert "reading 1 MRT file(s) in 3 part(s) on 3 cores" in said
    assert whole.provenance.routes < 3000  # A's first routes are gone, some of B's withdrawn


def test_plan_splits_only_what_pays(tmp_path: Path) -> None:
    big, small = tmp_path / "big", tmp_path / "small"
    big.write_bytes(bytes(3 * rib_workers.MIN_PART_BYTES))
    small.write_bytes(bytes(1000))
    assert rib_workers.plan_parts([big], 1) == []  # one core: no pool at all
    assert rib_workers.plan_parts([small, small], 4) == []  # too small to pay for processes
    assert rib_workers.plan_parts([big], 2) == [2]
    assert rib_workers.plan_parts([big, small], 2) == [2, 1]
    assert rib_workers.plan_parts([big, big], 2) == [1, 1]


def test_generated_rib_split_in_parts_gives_the_same_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generated full-table-shaped RIB (IPv4 and IPv6, AS_SETs, prepending) plus its BGP4MP_ET updates:
    one process, and both files read in parts by three workers, give byte-identical snapshots."""
    rib, updates = generate(tmp_path / "mrt", routes=150_000, vantages=6, updates_peers=2)
    part_bytes = updates.stat().st_size // 3
    whole, _, said = one_pass_and_in_parts([rib, updates], tmp_path, monkeypatch, part_bytes, workers=3)
    assert rib_workers.plan_parts([rib, updates], 3)[1] > 1  # the updates file too is read in parts
    assert any(line.startswith("reading 2 MRT file(s) in ") for line in said)
    assert whole.provenance.routes > 140_000


def test_tree_memory_sums_the_importer_and_its_workers(tmp_path: Path) -> None:
    """While workers read a file in parts, the sampled peak holds their memory on top of this process's
    (proportional set sizes: what a forked worker still shares with this process is counted once)."""
    rib, _ = generate(tmp_path / "mrt", routes=60_000, vantages=4, updates_peers=1)
    own_before = rib_workers.status_bytes("self", "VmRSS")
    with rib_workers.TreeMemory(interval=0.01) as memory:
        read = rib_workers.read_in_workers([rib], [3], tmp_path / "scratch", workers=2)
        [(_, partials)] = list(read)
    assert len(partials) == 3 and memory.children_seen
    assert memory.peak > own_before + 10 * 2**20  # a worker process holds at least its interpreter
    assert memory.rss_peak >= memory.peak  # resident sizes count the pages a fork shares once per process


def test_peers_seen_of_a_split_updates_file_counts_the_peers_of_every_part(tmp_path: Path) -> None:
    """Six peers, one after the other through a 3 MB file read in 2 parts: each part sees some, the file all
    six (the union of the parts' peers, not the largest part's count)."""
    peers, t = [w.Peer(f"192.0.2.{i}", 64501 + i) for i in range(6)], 1_717_200_000
    records = []
    for i in range(24_000):
        peer = peers[i * len(peers) // 24_000]
        attrs = w.path_attributes([(2, [peer.asn, 174, 65000 + i % 50])])
        announced = w.nlri([f"10.{i >> 8 & 255}.{i & 255}.{k * 64}/26" for k in range(4)])
        records.append(w.bgp4mp(t + i, peer, w.bgp_update(attributes=attrs, announced=announced)))
    updates = w.write(tmp_path / "ris-rrc99-updates.20240601.0000", records)
    assert updates.stat().st_size > 2 * 2**20
    whole = MrtReader(updates)
    assert sum(1 for _ in whole) == 96_000
    parts = [MrtReader(updates, part=(k, 2)) for k in range(2)]
    assert sum(1 for part in parts for _ in part) == 96_000
    assert 0 < max(part.report.peers_seen for part in parts) < 6
    assert MrtReport.of_parts([part.report for part in parts]).peers_seen == whole.report.peers_seen == 6
