"""RIB files read on every core: parts of a file, and files in worker processes, change no byte of the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.mrt_generator import generate
from bot.routing import rib_workers
from bot.routing.importer import import_files
from bot.routing.mrt import MrtReader, MrtReport
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


def test_workers_build_the_same_snapshot(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two RIBs split into parts read in worker processes, updates replayed after them, ADD-PATH RIBs."""
    inputs = [shared_data / name for name in REAL_INPUTS] + [shared_data / SPLIT_FILES[1]]
    here = import_files(inputs, tmp_path / "here", workers=1)
    monkeypatch.setattr(rib_workers, "MIN_PART_BYTES", 100_000)
    said: list[str] = []
    spread = import_files(inputs, tmp_path / "spread", progress=said.append, workers=4)
    assert "reading 4 RIB file(s) in 6 part(s) on 4 cores" in said
    assert snapshot_files(here.folder) == snapshot_files(spread.folder)
    assert here.provenance.files == spread.provenance.files
    assert [p.name for p in (tmp_path / "spread" / "snapshots").iterdir() if p.name.startswith(".")] == []


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
    one process, and the RIB read as three parts by three workers, give byte-identical snapshots."""
    rib, updates = generate(tmp_path / "mrt", routes=150_000, vantages=6, updates_peers=2)
    whole = import_files([rib, updates], tmp_path / "whole", workers=1)
    monkeypatch.setattr(rib_workers, "MIN_PART_BYTES", rib.stat().st_size // 3)
    said: list[str] = []
    split = import_files([rib, updates], tmp_path / "split", progress=said.append, workers=3)
    assert "reading 1 RIB file(s) in 3 part(s) on 3 cores" in said
    assert whole.provenance.routes > 140_000
    assert snapshot_files(whole.folder) == snapshot_files(split.folder)
