"""One aiosqlite connection with versioned schema migrations.

Migrations are numbered SQL scripts applied in order inside a transaction and recorded in
`schema_migrations`, so an old database file upgrades itself on start and a new one is built
from the same steps; nothing ever edits an applied migration.
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.core.errors import DataUnavailable

# How long a statement waits for another process's write lock before failing (a migration or a burst of
# writes from many `silkroute ask` processes holds it for milliseconds, a slow disk for longer).
BUSY_TIMEOUT_MS = 30_000

MIGRATIONS: Sequence[tuple[int, str]] = (
    (
        1,
        """
        CREATE TABLE watches (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('asn', 'prefix', 'site')),
            target TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (guild_id, target)
        );
        CREATE TABLE guild_settings (
            guild_id INTEGER PRIMARY KEY,
            alert_channel_id INTEGER
        );
        CREATE TABLE mutes (
            guild_id INTEGER NOT NULL,
            target TEXT NOT NULL,
            kind TEXT NOT NULL,
            until REAL NOT NULL,
            created_by TEXT NOT NULL,
            PRIMARY KEY (guild_id, target, kind)
        );
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            dedupe_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
            severity TEXT NOT NULL,
            title TEXT NOT NULL,
            summary TEXT NOT NULL,
            evidence TEXT NOT NULL,
            opened_at REAL NOT NULL,
            last_notified_at REAL,
            resolved_at REAL,
            resolution TEXT NOT NULL DEFAULT '',
            acked_by TEXT,
            muted INTEGER NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX alerts_one_open_per_key ON alerts (guild_id, dedupe_key) WHERE state = 'open';
        CREATE INDEX alerts_by_guild ON alerts (guild_id, opened_at);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts (id),
            guild_id INTEGER NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('opened', 'renotify', 'resolved', 'test')),
            created_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            sent_at REAL,
            message_ref TEXT
        );
        CREATE INDEX outbox_pending ON outbox (sent_at, next_attempt_at);
        """,
    ),
    (
        2,
        """
        CREATE TABLE snapshot_views (
            target TEXT PRIMARY KEY,
            snapshot_id TEXT NOT NULL,
            view TEXT NOT NULL,
            seen_at REAL NOT NULL
        );
        CREATE INDEX alerts_by_key ON alerts (guild_id, dedupe_key, opened_at);
        """,
    ),
    (
        3,
        # Country watches (the national outage watch): SQLite cannot change a CHECK, so the table is rebuilt.
        """
        CREATE TABLE watches_v3 (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('asn', 'prefix', 'site', 'country')),
            target TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (guild_id, target)
        );
        INSERT INTO watches_v3 (id, guild_id, kind, target, note, created_by, created_at)
            SELECT id, guild_id, kind, target, note, created_by, created_at FROM watches;
        DROP TABLE watches;
        ALTER TABLE watches_v3 RENAME TO watches;
        """,
    ),
    (
        4,
        # Each server's language (`/settings language:`); read and written only by bot.core.guild_languages.
        """
        CREATE TABLE guild_languages (
            guild_id INTEGER PRIMARY KEY,
            language TEXT NOT NULL CHECK (language IN ('en', 'ru', 'kk')),
            set_by TEXT NOT NULL,
            set_at REAL NOT NULL
        );
        """,
    ),
)


class StateDB:
    """The state file; callers use `transaction()` for writes so each change commits whole or not at all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        # One connection is shared by the monitors and the sender: their transactions must not interleave.
        self._write = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("state database is not open")
        return self._conn

    async def open(self) -> None:
        """Open (creating the folder and file) and migrate; DataUnavailable naming the path when it cannot."""
        if self._conn is not None:
            return
        try:
            await self._open()
        except (OSError, sqlite3.Error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if isinstance(exc, FileExistsError):  # mkdir met a file where the folder should be
                reason = f"{self.path.parent} is a file, not a folder"
            raise DataUnavailable(
                f"Cannot open the state database {self.path} ({reason}); check SILKROUTE_STATE_DB.",
                example="SILKROUTE_STATE_DB=var/state.sqlite3",
            ) from None

    async def _open(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_dir():  # checked here: aiosqlite leaves its thread behind when connect fails
                raise IsADirectoryError(errno.EISDIR, "it is a folder")
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing is committed implicitly.
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            self._conn.row_factory = aiosqlite.Row
            # The busy timeout comes first: switching to WAL and migrating wait for other processes' locks.
            await self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await self._conn.execute_fetchall(
                "PRAGMA journal_mode=WAL"
            )  # returns a row: fetch it, or COMMIT fails
            await self._conn.execute("PRAGMA foreign_keys=ON")
            await self.migrate()
        except BaseException:
            # An open connection's worker thread would keep the process from ever exiting.
            await self.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def schema_version(self) -> int:
        rows = list(
            await self.conn.execute_fetchall("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        )
        return int(rows[0][0]) if rows else 0

    async def migrate(self, migrations: Sequence[tuple[int, str]] = MIGRATIONS) -> list[int]:
        """Apply every migration newer than the file's version; returns the versions applied.

        The version is read and the migrations applied inside one `BEGIN IMMEDIATE` transaction, so when
        several processes open a new file at once exactly one migrates and the others wait, then find
        nothing left to do.
        """
        applied: list[int] = []
        async with self.transaction() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            current = await self.schema_version()
            for version, script in sorted(migrations):
                if version <= current:
                    continue
                for statement in _statements(script):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, time.time()),
                )
                applied.append(version)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        async with self._write:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (our migrations hold no ';' inside literals or triggers)."""
    return [part.strip() for part in script.split(";") if part.strip()]
