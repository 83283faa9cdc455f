"""History points in their own SQLite file.

Its own file rather than a table in the state database: points are written by import worker threads (plain
`sqlite3`, no event loop), a backfill can grow it to thousands of dates independently of the watches and alerts,
and it can be deleted and rebuilt from the archives without touching operational state. Each view is stored as
zlib-compressed JSON; a recording (one date and collector set) is replaced whole, so a re-built point never
leaves stale targets of the earlier build behind.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.history.views import View

SCHEMA = (
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
    CREATE TABLE IF NOT EXISTS kept (
        target TEXT PRIMARY KEY
    )
    """,
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


@dataclass(frozen=True, slots=True)
class Recording:
    """One recorded import: the routing data's day and time, the collectors it came from, and its size."""

    date: str
    collectors: str
    data_time: str
    snapshot_id: str
    recorded_at: str
    points: int
    bytes: int


@dataclass(frozen=True, slots=True)
class StoredPoint:
    date: str
    collectors: str
    view: View


def encode(view: View) -> bytes:
    return zlib.compress(json.dumps(view, separators=(",", ":")).encode(), 6)


def decode(blob: bytes) -> View:
    loaded: View = json.loads(zlib.decompress(blob))
    return loaded


class HistoryStore:
    """The history file; every call opens its own short connection, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            with self._lock:
                if not self._ready:
                    with conn:
                        for statement in SCHEMA:
                            conn.execute(statement)
                    self._ready = True
            yield conn

    def replace(self, recording: Recording, views: Mapping[str, View]) -> Recording:
        """Store one recording's points, replacing whatever an earlier build of the same date and collectors left."""
        rows = [
            (target, recording.date, recording.collectors, encode(view)) for target, view in views.items()
        ]
        size = sum(len(row[3]) for row in rows)
        stored = dataclasses.replace(recording, points=len(rows), bytes=size)
        with self._connect() as conn, conn:
            key = (recording.date, recording.collectors)
            conn.execute("DELETE FROM points WHERE date = ? AND collectors = ?", key)
            conn.executemany("INSERT INTO points VALUES (?, ?, ?, ?)", rows)
            conn.execute(
                "INSERT OR REPLACE INTO recordings VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    stored.date,
                    stored.collectors,
                    stored.data_time,
                    stored.snapshot_id,
                    stored.recorded_at,
                    stored.points,
                    stored.bytes,
                ),
            )
        return stored

    def recordings(self) -> list[Recording]:
        """Every recorded date, oldest first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM recordings ORDER BY date, collectors").fetchall()
        return [Recording(*row) for row in rows]

    def has_date(self, date: str, collectors: str | None = None) -> bool:
        """Whether a point of that day exists (for these collectors, when given): what backfill skips."""
        sql = "SELECT 1 FROM recordings WHERE date = ?" + (" AND collectors = ?" if collectors else "")
        params = (date, collectors) if collectors else (date,)
        with self._connect() as conn:
            return conn.execute(sql, params).fetchone() is not None

    def series(self, target: str, since: str = "") -> list[StoredPoint]:
        """The points of one target (`KZ`, `AS9198`) from the day `since` (YYYY-MM-DD) on, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT date, collectors, view FROM points WHERE target = ? AND date >= ? ORDER BY date, collectors",
                (target, since),
            ).fetchall()
        return [StoredPoint(date, collectors, decode(blob)) for date, collectors, blob in rows]

    def backfilled(self, collector: str, wanted: str) -> bool:
        """Whether `data backfill` already recorded this collector's RIB for this wanted date (resuming skips it)."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM backfilled WHERE collector = ? AND wanted = ?", (collector, wanted)
            ).fetchone()
        return row is not None

    def mark_backfilled(self, collector: str, wanted: str, url: str, date: str) -> None:
        """Remember which archive file answered a wanted date; the point itself may carry the data's own date."""
        with self._connect() as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO backfilled VALUES (?, ?, ?, ?)", (collector, wanted, url, date)
            )

    def keep(self, target: str) -> bool:
        """Record `target` (a prefix) at every import from now on; False when it was kept already."""
        with self._connect() as conn, conn:
            cursor = conn.execute("INSERT OR IGNORE INTO kept VALUES (?)", (target,))
            return cursor.rowcount > 0

    def kept(self) -> list[str]:
        """The targets someone asked history to keep (beside the watched ones), in the order they were asked."""
        with self._connect() as conn:
            return [row[0] for row in conn.execute("SELECT target FROM kept ORDER BY rowid")]
