"""History points: their own SQLite file by default, tables beside the state on PostgreSQL.

Its own file rather than a table in the state database: points are written by import worker threads (plain
synchronous connections, no event loop), a backfill can grow it to thousands of dates independently of the watches
and alerts, and it can be deleted and rebuilt from the archives without touching operational state. With
SILKROUTE_DATABASE_URL set, replicas share the points in PostgreSQL: the same SQLAlchemy statements, the schema
from this package's own Alembic revisions (version table `history_version`, so they never mix with the state's).
Each view is stored as zlib-compressed JSON; a recording (one date and collector set) is replaced whole, so a
re-built point never leaves stale targets of the earlier build behind.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from bot.core.settings import Settings
from bot.core.state_db import upgrade_schema
from bot.history.views import View

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "history_version"
LEGACY_REVISION = "h0001"
"""A file made before Alembic has exactly the tables of the first revision."""
BUSY_TIMEOUT_MS = 10_000
# Any constant: PostgreSQL starters queue on this lock while one of them migrates the history tables.
MIGRATION_LOCK_KEY = 0x5117_0013


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
    """The history points; every call takes its own short connection, so any thread may use it."""

    def __init__(self, path: Path, *, url: URL | str | None = None) -> None:
        self.path = path
        self.url = make_url(url) if url is not None else URL.create("sqlite", database=str(path))
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> HistoryStore:
        raw = settings.database.silkroute_database_url
        path = settings.history.silkroute_history_db
        if not raw:
            return cls(path)
        url = make_url(raw)
        return cls(
            path, url=url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url
        )

    def exists(self) -> bool:
        """Whether points may have been stored (on SQLite: the file is there; a status check creates nothing)."""
        return not self.is_sqlite or self.path.exists()

    def _ready(self) -> Engine:
        with self._lock:
            if self._engine is None:
                if self.is_sqlite:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    # No pool: each call's connection is its own, closed after (threads never share one).
                    engine = create_engine(self.url, poolclass=NullPool)
                    event.listen(engine, "connect", _sqlite_connect)
                    event.listen(engine, "begin", _sqlite_begin)
                else:
                    engine = create_engine(self.url, pool_pre_ping=True)
                with engine.begin() as conn:
                    upgrade_schema(
                        conn,
                        MIGRATIONS,
                        lock_key=MIGRATION_LOCK_KEY,
                        legacy=_legacy_history,
                        version_table=VERSION_TABLE,
                    )
                self._engine = engine
            return self._engine

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """One transaction, committed at the end (reads simply commit nothing)."""
        with self._ready().begin() as conn:
            yield conn

    def replace(self, recording: Recording, views: Mapping[str, View]) -> Recording:
        """Store one recording's points, replacing whatever an earlier build of the same date and collectors left."""
        rows = [
            {
                "target": target,
                "date": recording.date,
                "collectors": recording.collectors,
                "view": encode(view),
            }
            for target, view in views.items()
        ]
        size = sum(len(row["view"]) for row in rows)
        stored = dataclasses.replace(recording, points=len(rows), bytes=size)
        with self._connect() as conn:
            key = {"date": recording.date, "collectors": recording.collectors}
            conn.execute(text("DELETE FROM points WHERE date = :date AND collectors = :collectors"), key)
            if rows:
                conn.execute(
                    text(
                        "INSERT INTO points (target, date, collectors, view) VALUES (:target, :date, :collectors, :view)"
                    ),
                    rows,
                )
            conn.execute(
                text(
                    "INSERT INTO recordings (date, collectors, data_time, snapshot_id, recorded_at, points, bytes)"
                    " VALUES (:date, :collectors, :data_time, :snapshot_id, :recorded_at, :points, :bytes)"
                    " ON CONFLICT (date, collectors) DO UPDATE SET data_time = excluded.data_time,"
                    " snapshot_id = excluded.snapshot_id, recorded_at = excluded.recorded_at,"
                    " points = excluded.points, bytes = excluded.bytes"
                ),
                dataclasses.asdict(stored),
            )
        return stored

    def recordings(self) -> list[Recording]:
        """Every recorded date, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(text("SELECT * FROM recordings ORDER BY date, collectors")).mappings().all()
        return [Recording(**row) for row in rows]

    def has_date(self, date: str, collectors: str | None = None) -> bool:
        """Whether a point of that day exists (for these collectors, when given): what backfill skips."""
        sql = "SELECT 1 FROM recordings WHERE date = :date" + (
            " AND collectors = :collectors" if collectors else ""
        )
        with self._connect() as conn:
            return conn.execute(text(sql), {"date": date, "collectors": collectors}).first() is not None

    def series(self, target: str, since: str = "") -> list[StoredPoint]:
        """The points of one target (`KZ`, `AS9198`) from the day `since` (YYYY-MM-DD) on, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT date, collectors, view FROM points WHERE target = :target AND date >= :since"
                    " ORDER BY date, collectors"
                ),
                {"target": target, "since": since},
            ).all()
        return [StoredPoint(date, collectors, decode(blob)) for date, collectors, blob in rows]

    def backfilled(self, collector: str, wanted: str) -> bool:
        """Whether `data backfill` already recorded this collector's RIB for this wanted date (resuming skips it)."""
        with self._connect() as conn:
            row = conn.execute(
                text("SELECT 1 FROM backfilled WHERE collector = :collector AND wanted = :wanted"),
                {"collector": collector, "wanted": wanted},
            ).first()
        return row is not None

    def mark_backfilled(self, collector: str, wanted: str, url: str, date: str) -> None:
        """Remember which archive file answered a wanted date; the point itself may carry the data's own date."""
        with self._connect() as conn:
            conn.execute(
                text(
                    "INSERT INTO backfilled (collector, wanted, url, date) VALUES (:collector, :wanted, :url, :date)"
                    " ON CONFLICT (collector, wanted) DO UPDATE SET url = excluded.url, date = excluded.date"
                ),
                {"collector": collector, "wanted": wanted, "url": url, "date": date},
            )

    def keep(self, target: str) -> bool:
        """Record `target` (a prefix) at every import from now on; False when it was kept already."""
        with self._connect() as conn:
            added = conn.execute(
                text(
                    "INSERT INTO kept (target, asked_at) VALUES (:target, :now) ON CONFLICT (target) DO NOTHING"
                ),
                {"target": target, "now": time.time()},
            )
            return added.rowcount > 0

    def kept(self) -> list[str]:
        """The targets someone asked history to keep (beside the watched ones), in the order they were asked."""
        with self._connect() as conn:
            return list(conn.execute(text("SELECT target FROM kept ORDER BY asked_at, target")).scalars())


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are ours (`_sqlite_begin`), DDL included
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _sqlite_begin(conn: Connection) -> None:
    """Every call is one short transaction that takes the write lock up front: two processes creating the tables
    at once (or writing one recording each) queue instead of failing."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _legacy_history(connection: Connection) -> str | None:
    """A file made before Alembic has the first revision's tables and no version table."""
    tables = set(inspect(connection).get_table_names())
    return LEGACY_REVISION if "recordings" in tables and VERSION_TABLE not in tables else None
