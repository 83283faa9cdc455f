"""Durable state on SQLAlchemy Core: an SQLite file by default, PostgreSQL for replicas; Alembic migrations.

One schema, written once as Alembic revisions (`bot/core/migrations/versions`), builds both databases, so an
old SQLite file and a new PostgreSQL database upgrade by the same steps. Files made before Alembic (their
versions recorded in `schema_migrations`) are stamped at the matching revision and upgraded in place.
Migrating runs inside one transaction that also serialises concurrent starters: `BEGIN IMMEDIATE` on SQLite,
a transaction-scoped advisory lock on PostgreSQL, so exactly one process migrates and the others find
nothing left to do.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, RowMapping, TextClause, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.core.errors import DataUnavailable
from bot.core.settings import Settings

log = logging.getLogger(__name__)
# Alembic says which dialect it uses at every start of every process (every `silkroute ask`); we log what changed.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
# How long a statement waits for another process's write lock before failing (a migration or a burst of
# writes from many `silkroute ask` processes holds it for milliseconds, a slow disk for longer).
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant: the advisory lock key PostgreSQL starters queue on while one of them migrates.
MIGRATION_LOCK_KEY = 0x5117_0001
# The Alembic revision each pre-Alembic `schema_migrations` version equals.
LEGACY_REVISIONS = {1: "0001", 2: "0002", 3: "0003"}


def database_url(settings: Settings) -> URL:
    """SILKROUTE_DATABASE_URL with the async driver named, or the SQLite file SILKROUTE_STATE_DB."""
    raw = settings.database.silkroute_database_url
    if not raw:
        return URL.create("sqlite+aiosqlite", database=str(settings.core.silkroute_state_db))
    url = make_url(raw)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    return url


class StateDB:
    """The state database; callers use `transaction()` for writes so each change commits whole or not at all."""

    def __init__(self, path: Path | None = None, *, url: URL | str | None = None) -> None:
        if url is None:
            if path is None:
                raise ValueError("StateDB needs a path or a URL")
            url = URL.create("sqlite+aiosqlite", database=str(path))
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.path = Path(self.url.database or "") if self.is_sqlite else None
        self._engine: AsyncEngine | None = None
        # SQLite has one writer at a time anyway; queueing here spares busy-waiting in its lock.
        self._write = asyncio.Lock() if self.is_sqlite else None

    @classmethod
    def from_settings(cls, settings: Settings) -> StateDB:
        return cls(url=database_url(settings))

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("state database is not open")
        return self._engine

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    @property
    def where(self) -> str:
        """The database for messages and /status, without a password."""
        return str(self.path) if self.is_sqlite else self.url.render_as_string(hide_password=True)

    async def open(self) -> None:
        """Connect (creating the SQLite folder and file) and migrate; DataUnavailable naming where, when it cannot."""
        if self._engine is not None:
            return
        try:
            await self._open()
        except (OSError, SQLAlchemyError) as exc:
            raise DataUnavailable(
                f"Cannot open the state database {self.where} ({_reason(exc, self.path)}); "
                "check SILKROUTE_STATE_DB and SILKROUTE_DATABASE_URL.",
                example="SILKROUTE_STATE_DB=var/state.sqlite3",
            ) from None

    async def _open(self) -> None:
        if self.path is not None and str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_dir():  # checked here: aiosqlite leaves its thread behind when connect fails
                raise IsADirectoryError(errno.EISDIR, "it is a folder")
        options: dict[str, Any] = {}
        if self.path is not None and str(self.path) == ":memory:":
            options["poolclass"] = StaticPool  # one connection, or each would see its own empty database
        elif not self.is_sqlite:
            options["pool_pre_ping"] = True  # a replica outlives a database restart
        self._engine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            _sqlite_transactions(self._engine)
        try:
            if applied := await self.migrate():
                log.info("state database %s migrated to %s (%s)", self.where, applied[-1], ", ".join(applied))
        except BaseException:
            # An open connection's worker thread would keep the process from ever exiting.
            await self.close()
            raise

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def schema_version(self) -> str | None:
        """The Alembic revision the database is at (None before the first migration)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())

    async def migrate(self, target: str = "head") -> list[str]:
        """Bring the schema to `target` in one transaction; returns the revisions applied, oldest first."""
        async with self.transaction() as conn:
            return await conn.run_sync(
                partial(
                    upgrade_schema,
                    location=MIGRATIONS,
                    lock_key=MIGRATION_LOCK_KEY,
                    legacy=_legacy_state,
                    target=target,
                )
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction (`BEGIN IMMEDIATE` on SQLite), committed at the end, rolled back on any exception."""
        async with self._write or nullcontext(), self.engine.begin() as conn:
            yield conn

    async def rows(
        self, sql: str | TextClause, params: Mapping[str, Any] | None = None
    ) -> Sequence[RowMapping]:
        """The rows of one read, by column name; reads take no write lock (SQLite's WAL lets them run beside one)."""
        async with self.engine.connect() as conn:
            read = await conn.execution_options(silkroute_read=True)
            statement = text(sql) if isinstance(sql, str) else sql
            return (await read.execute(statement, dict(params or {}))).mappings().all()


def upgrade_schema(
    connection: Connection,
    location: Path,
    *,
    lock_key: int,
    legacy: Callable[[Connection], str | None] = lambda _: None,
    version_table: str = "alembic_version",
    target: str = "head",
) -> list[str]:
    """Run the Alembic revisions in `location` (its env.py names `version_table`) inside the caller's transaction;
    returns the revisions applied, oldest first.

    On PostgreSQL concurrent starters queue on the advisory lock `lock_key` (SQLite's `BEGIN IMMEDIATE` already
    lets one in at a time); then `legacy` may name the revision a schema made before Alembic is at, to stamp it."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
    config = Config()
    config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    if (stamp := legacy(connection)) is not None:
        command.stamp(config, stamp)
    before = MigrationContext.configure(
        connection, opts={"version_table": version_table}
    ).get_current_revision()
    command.upgrade(config, target)
    script = ScriptDirectory.from_config(config)
    return [rev.revision for rev in reversed(list(script.iterate_revisions(target, before)))]


def _legacy_state(connection: Connection) -> str | None:
    """The revision a file made before Alembic is at (its `schema_migrations` version), else None."""
    tables = set(inspect(connection).get_table_names())
    if "schema_migrations" not in tables or "alembic_version" in tables:
        return None
    version = connection.execute(text("SELECT MAX(version) FROM schema_migrations")).scalar()
    return LEGACY_REVISIONS[int(version)] if version else None


def _sqlite_transactions(engine: AsyncEngine) -> None:
    """Take SQLite's transactions out of the driver's hands: writes `BEGIN IMMEDIATE` (so two writers queue
    for the lock instead of one failing at its first write), reads a plain deferred `BEGIN`."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, nothing commits implicitly
        cursor = dbapi_connection.cursor()
        # The busy timeout comes first: switching to WAL and migrating wait for other processes' locks.
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.fetchall()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        read = conn.get_execution_options().get("silkroute_read", False)
        conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


def _reason(exc: BaseException, path: Path | None) -> str:
    if isinstance(exc, FileExistsError) and path is not None:  # mkdir met a file where the folder should be
        return f"{path.parent} is a file, not a folder"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    message = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__
