"""State files as the code before Alembic built them: its migration SQL, verbatim, to test the in-place upgrade."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

LEGACY_MIGRATIONS: Sequence[tuple[int, str]] = (
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
)


def build_legacy_file(path: Path, upto: int, extra_sql: str = "") -> None:
    """What the old `StateDB.migrate` left after applying migrations 1..`upto`, plus `extra_sql` (rows)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        for version, script in LEGACY_MIGRATIONS[:upto]:
            conn.executescript(script)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, time.time()))
        if extra_sql:
            conn.executescript(extra_sql)
