"""Snapshot format 3's narrow tables: 3-byte route ids, narrowed counts and AS_SETs as arrays read back exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.routing import id_columns
from bot.routing.id_columns import IdColumn
from bot.routing.importer import import_events
from bot.routing.mrt import RouteEvent
from bot.routing.route_build import NpyWriter
from bot.routing.snapshot import Snapshot, load_current
from tests.bot.routing.snapshot_fixtures import T0


@pytest.mark.parametrize(("count", "limit"), [(0, 1), (1, 1), (5000, 1 << 24), (5000, (1 << 24) + 1)])
def test_an_id_column_gives_back_every_id_by_slice_and_by_gather(
    tmp_path: Path, count: int, limit: int
) -> None:
    ids = np.random.default_rng(count).integers(0, limit, count, dtype=np.uint32)
    ids[-1:] = limit - 1  # the largest id, last: its read ends on the file's last byte
    id_columns.save(tmp_path / "ids.npy", ids, limit)
    column = IdColumn(tmp_path / "ids.npy")
    assert column.packed == (limit <= 1 << 24)
    assert (tmp_path / "ids.npy").stat().st_size - 128 == count * (3 if column.packed else 4)
    assert len(column) == count and column[:].dtype == np.uint32
    assert column[:].tolist() == ids.tolist()
    assert column[7:4000:3].tolist() == ids[7:4000:3].tolist()
    rows = np.random.default_rng(1).integers(0, max(count, 1), 300 if count else 0)
    assert column[rows].tolist() == ids[rows].tolist()
    assert np.load(tmp_path / "ids.npy").shape == (count,)  # still a plain `.npy` to numpy


def test_a_column_written_in_chunks_is_the_column_written_whole(tmp_path: Path) -> None:
    ids = np.arange(100_000, dtype=np.uint32) * np.uint32(97)
    dtype = id_columns.id_dtype(1 << 24)
    writer = NpyWriter(tmp_path / "chunked.npy", dtype, len(ids))
    for start in range(0, len(ids), 30_000):
        writer.write(id_columns.encoded(ids[start : start + 30_000], dtype))
    id_columns.save(tmp_path / "whole.npy", ids, 1 << 24)
    assert writer.close().read_bytes() == (tmp_path / "whole.npy").read_bytes()


@pytest.fixture(scope="module")
def with_sets(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """Paths with no AS_SET, one, and two, over 300 vantage points (counts above one byte)."""
    data = tmp_path_factory.mktemp("sets")
    events = [
        RouteEvent("B", T0, f"192.0.2.{v % 250}", 64500 + v, "10.0.0.0/8", (64500 + v, 9198), None)
        for v in range(300)
    ]
    events += [
        RouteEvent("B", T0, "192.0.2.1", 64501, "10.1.0.0/16", (64501, frozenset({7, 8}), 9198), None),
        RouteEvent(
            "B", T0, "192.0.2.2", 64502, "10.2.0.0/16", (64502, frozenset({9}), 5, frozenset({1, 2})), None
        ),
        RouteEvent(
            "B", T0, "192.0.2.3", 64503, "2001:db8::/32", (64503, frozenset({4000000000}), 29355), None
        ),
    ]
    import_events([("gen", events)], data)
    snapshot = load_current(data)
    assert snapshot is not None
    return snapshot


def test_as_sets_come_back_on_their_paths_in_order(with_sets: Snapshot) -> None:
    paths = {r.prefix: r.path for r in with_sets.routes() if r.prefix != "10.0.0.0/8"}
    assert paths == {
        "10.1.0.0/16": (64501, frozenset({7, 8}), 9198),
        "10.2.0.0/16": (64502, frozenset({9}), 5, frozenset({1, 2})),
        "2001:db8::/32": (64503, frozenset({4000000000}), 29355),
    }


def test_counts_above_a_byte_are_stored_wider(with_sets: Snapshot) -> None:
    match = with_sets.lookup_ip("10.200.0.1")
    assert match is not None and match.vantage_points == 300 and match.origins[0].vantage_points == 300
    assert with_sets._moas_vantages.dtype == np.uint16
    assert len(with_sets.routes_of_origin(9198)) == 301
