"""The history store on both backends: points replaced whole per recording, read back per target; a history
file made before Alembic (its tables created by the old code's SQL, kept verbatim here) is read as it was."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.core.settings import Settings
from bot.history.store import HistoryStore, Recording, encode
from tests.helpers import both_databases

LEGACY_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS recordings (
        date TEXT NOT NULL,
        collectors TEXT NOT NULL,
        data_time TEXT NOT NULL,
        snapshot_id TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        points INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (date, collectors)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS points (
        target TEXT NOT NULL,
        date TEXT NOT NULL,
        collectors TEXT NOT NULL,
        view BLOB NOT NULL,
        PRIMARY KEY (target, date, collectors)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX IF NOT EXISTS points_by_recording ON points (date, collectors)",
    """
    CREATE TABLE IF NOT EXISTS backfilled (
        collector TEXT NOT NULL,
        wanted TEXT NOT NULL,
        url TEXT NOT NULL,
        date TEXT NOT NULL,
        PRIMARY KEY (collector, wanted)
    )
    """,
)


def recording(date: str, collectors: str = "rrc00") -> Recording:
    return Recording(date, collectors, f"{date}T08:00:00Z", f"snap-{date}", "2026-11-30T00:00:00Z", 0, 0)


@both_databases
def test_a_recording_is_replaced_whole_and_read_back_per_target() -> None:
    store = HistoryStore.from_settings(Settings())
    assert store.recordings() == []
    first = store.replace(recording("2019-01-01"), {"KZ": {"n": 1}, "AS9198": {"n": 2}})
    assert (first.points, first.bytes > 0) == (2, True)
    store.replace(recording("2019-02-01"), {"KZ": {"n": 3}})
    rebuilt = store.replace(recording("2019-01-01"), {"KZ": {"n": 4}})  # AS9198 is gone from this build
    assert [r.date for r in store.recordings()] == ["2019-01-01", "2019-02-01"]
    assert store.recordings()[0] == rebuilt
    assert [(p.date, p.view) for p in store.series("KZ")] == [
        ("2019-01-01", {"n": 4}),
        ("2019-02-01", {"n": 3}),
    ]
    assert store.series("AS9198") == []
    assert [p.date for p in store.series("KZ", since="2019-01-15")] == ["2019-02-01"]
    assert store.has_date("2019-02-01") and store.has_date("2019-02-01", "rrc00")
    assert not store.has_date("2019-02-01", "route-views2") and not store.has_date("2019-03-01")
    assert not store.backfilled("rrc00", "2019-03-01")
    store.mark_backfilled("rrc00", "2019-03-01", "http://archive/a", "2019-03-01")
    store.mark_backfilled("rrc00", "2019-03-01", "http://archive/b", "2019-03-02")  # a retry replaces it
    assert store.backfilled("rrc00", "2019-03-01")


def test_a_history_file_from_before_alembic_is_read_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with closing(sqlite3.connect(path)) as conn, conn:
        for statement in LEGACY_SCHEMA:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO recordings VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("2019-01-01", "rrc00", "t", "s", "r", 1, 10),
        )
        conn.execute(
            "INSERT INTO points VALUES (?, ?, ?, ?)", ("KZ", "2019-01-01", "rrc00", encode({"n": 1}))
        )
    store = HistoryStore(path)
    assert [p.view for p in store.series("KZ")] == [{"n": 1}]
    store.replace(recording("2019-02-01"), {"KZ": {"n": 2}})
    assert [r.date for r in store.recordings()] == ["2019-01-01", "2019-02-01"]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT version_num FROM history_version").fetchall() == [("h0002",)]


def test_status_of_a_missing_history_file_creates_none(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "var" / "history.sqlite3")
    assert not store.exists()
    assert not (tmp_path / "var").exists()
