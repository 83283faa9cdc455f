"""`data import` records from the import's tables still in memory: on the real files, every stored point is the
byte-identical point recorded from the written snapshot, and the tables answer prefix questions as it does."""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.history.imported import ImportedTables
from bot.history.recorder import imported, record_snapshot
from bot.history.store import HistoryStore
from bot.routing.importer import ImportReport, import_files
from bot.routing.snapshot import Snapshot
from tests.bot.history.conftest import MRT, REGISTRY

COUNTRIES = ("KZ", "KG", "UZ", "RU", "CN")


@pytest.fixture(scope="module")
def reports(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[ImportReport]:
    """The 2019 (IPv4 and IPv6) and 2024 (mostly IPv6) files, each imported alone, tables kept."""
    out = []
    for name, date in MRT[:2]:
        data_dir = tmp_path_factory.mktemp(f"tables-{date}")
        out.append(import_files([shared_data / name] + [shared_data / r for r in REGISTRY], data_dir))
    return out


def stored(store: HistoryStore) -> dict[str, bytes]:
    """Every stored view as its bytes, by target (compared byte for byte)."""
    with closing(sqlite3.connect(store.path)) as conn:
        return dict(conn.execute("SELECT target, view FROM points").fetchall())


@pytest.mark.parametrize("which", [0, 1])
def test_points_from_tables_equal_points_from_the_written_snapshot(
    reports: list[ImportReport], tmp_path: Path, which: int
) -> None:
    report = reports[which]
    data = imported(report)
    assert isinstance(data, ImportedTables)  # the import handed its tables over: no re-opening
    snapshot = Snapshot(report.folder)
    watched = [9198, 3215, 4_199_999_999]  # Kazakhtelecom, Orange, an AS that originates nothing
    prefixes = [snapshot.prefix(i) for i in (0, snapshot.n_v4 - 1)] + ["2.72.0.0/13", "2a00:1a28::/32"]
    from_snapshot = HistoryStore(tmp_path / "snapshot.sqlite3")
    from_tables = HistoryStore(tmp_path / "tables.sqlite3")
    a = record_snapshot(from_snapshot, snapshot, COUNTRIES, watched, prefixes=prefixes)
    b = record_snapshot(from_tables, data, COUNTRIES, watched, prefixes=prefixes)
    assert a is not None and b is not None
    assert (a.date, a.collectors, a.snapshot_id, a.points, a.bytes) == (
        b.date,
        b.collectors,
        b.snapshot_id,
        b.points,
        b.bytes,
    )
    assert stored(from_snapshot) == stored(from_tables)
    assert a.points > 50  # countries, their origins, the watched ASes and prefixes


def test_tables_answer_prefix_and_address_questions_as_the_snapshot(reports: list[ImportReport]) -> None:
    report = reports[0]
    data = imported(report)
    assert isinstance(data, ImportedTables)
    snapshot = Snapshot(report.folder)
    total = snapshot.n_v4 + len(report.tables.prefix_v6 if report.tables else [])
    assert snapshot.n_v4 > 1000 and total - snapshot.n_v4 > 100
    for prefix_id in random.Random(13).sample(range(total), 300):
        prefix = snapshot.prefix(prefix_id)
        assert data.prefix(prefix_id) == prefix
        assert data.prefix_id(prefix) == prefix_id == snapshot.prefix_id(prefix)
        assert data.origins_of_prefix(prefix_id) == snapshot.origins_of_prefix(prefix_id)
        address = prefix.split("/")[0]
        assert data.lookup_ip(address) == snapshot.lookup_ip(address)
    assert data.prefix_id("203.0.113.0/24") is None and data.prefix_id("2001:db8::/32") is None
    for asn in (9198, 3215, 0):
        assert data.country_of_asn(asn) == snapshot.country_of_asn(asn)
    collectors = [(s.name, s.date) for s in snapshot.data_sources() if s.name.startswith("BGP collector")]
    assert [(s.name, s.date) for s in data.data_sources()] == collectors
    for cc in ("KZ", "RU", "FR", "XX"):
        assert data.asns_in_country(cc) == snapshot.asns_in_country(cc)
