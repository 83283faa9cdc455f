"""Alembic migrations on both backends: applied once, in one transaction, by one of many starters; files built
by the code before Alembic upgrade in place with their rows; a failed upgrade leaves the old schema whole."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, text

from bot.alerts.model import WatchKind
from bot.alerts.repository import AlertRepository
from bot.core.errors import DataUnavailable
from bot.core.settings import DatabaseSettings, Settings
from bot.core.state_db import StateDB
from tests.bot.core.legacy_state import build_legacy_file
from tests.helpers import both_databases

REVISIONS = ["0001", "0002", "0003", "0004", "0005"]
ROWS = """
INSERT INTO watches (id, guild_id, kind, target, note, created_by, created_at)
    VALUES (7, 1, 'asn', 'AS9198', 'kt', 'alice', 1.5);
INSERT INTO guild_settings VALUES (1, 555);
INSERT INTO alerts (id, guild_id, dedupe_key, kind, target, state, severity, title, summary, evidence, opened_at)
    VALUES (3, 1, 'origin:x', 'origin', 'AS9198', 'open', 'critical', 't', 's', '{"a": 1}', 2.0);
INSERT INTO outbox (alert_id, guild_id, event, created_at) VALUES (3, 1, 'opened', 2.0);
"""


async def _tables(db: StateDB) -> dict[str, list[str]]:
    """Every table's columns and indexes, as the database reports them."""

    def read(conn: Connection) -> dict[str, list[str]]:
        found = inspect(conn)
        return {
            table: sorted(c["name"] for c in found.get_columns(table))
            + sorted(str(i["name"]) for i in found.get_indexes(table))
            for table in found.get_table_names()
            if table != "schema_migrations"
        }

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


@both_databases
async def test_migrations_apply_once_and_survive_reopen() -> None:
    db = StateDB.from_settings(Settings())
    await db.open()
    try:
        assert await db.schema_version() == REVISIONS[-1]
        assert await db.migrate() == []
    finally:
        await db.close()
    reopened = StateDB.from_settings(Settings())
    await reopened.open()
    assert await reopened.schema_version() == REVISIONS[-1]
    await reopened.close()


@both_databases
async def test_many_starters_on_a_new_database_migrate_it_once() -> None:
    dbs = [StateDB.from_settings(Settings()) for _ in range(6)]
    try:
        await asyncio.gather(*(db.open() for db in dbs))
        assert {await db.schema_version() for db in dbs} == {REVISIONS[-1]}
        await asyncio.gather(
            *(
                AlertRepository(db).add_watch(1, WatchKind.ASN, f"AS{i}", "", "t", 0.0)
                for i, db in enumerate(dbs)
            )
        )
        assert len(await AlertRepository(dbs[0]).watches(1)) == len(dbs)
    finally:
        for db in dbs:
            await db.close()


async def test_a_pre_alembic_file_upgrades_in_place_keeping_its_rows(tmp_path: Path) -> None:
    build_legacy_file(tmp_path / "old.sqlite3", 3, ROWS)
    old = StateDB(tmp_path / "old.sqlite3")
    await old.open()
    fresh = StateDB(tmp_path / "new.sqlite3")
    await fresh.open()
    try:
        assert await old.schema_version() == REVISIONS[-1]
        assert await _tables(old) == await _tables(fresh)  # the same schema as a database Alembic built
        repo = AlertRepository(old)
        [watch] = await repo.watches(1)
        assert (watch.id, watch.target, watch.note) == (7, "AS9198", "kt")
        assert await repo.alert_channel(1) == 555
        [pending] = await repo.pending(10.0)
        assert pending.alert.evidence == {"a": 1}
        added = await repo.add_watch(1, WatchKind.COUNTRY, "KZ", "", "bob", 3.0)
        assert added is not None and added.id == 8
    finally:
        await old.close()
        await fresh.close()


async def test_a_file_from_the_first_version_gains_country_watches(tmp_path: Path) -> None:
    build_legacy_file(tmp_path / "old.sqlite3", 1, ROWS.split(";")[0] + ";")
    db = StateDB(tmp_path / "old.sqlite3")
    await db.open()
    try:
        repo = AlertRepository(db)
        assert await repo.add_watch(1, WatchKind.COUNTRY, "KZ", "", "bob", 3.0) is not None
        assert [w.target for w in await repo.watches(1)] == ["AS9198", "KZ"]
    finally:
        await db.close()


async def test_a_failed_upgrade_leaves_the_old_schema_and_rows_whole(tmp_path: Path) -> None:
    # A stray table where revision 0003 builds its copy: the upgrade fails halfway through.
    build_legacy_file(tmp_path / "old.sqlite3", 2, ROWS + "CREATE TABLE watches_v3 (id INTEGER);")
    with pytest.raises(DataUnavailable, match=r"state database .*old.sqlite3 \(.*watches_v3 already exists"):
        await StateDB(tmp_path / "old.sqlite3").open()
    with closing(sqlite3.connect(tmp_path / "old.sqlite3")) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone() == (2,)
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "alembic_version" not in names and "snapshot_views" in names
        assert conn.execute("SELECT target FROM watches").fetchall() == [("AS9198",)]


async def test_a_state_db_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(DataUnavailable, match=r"state database .*afile/state.db \(.*afile is a file"):
        await StateDB(tmp_path / "afile" / "state.db").open()
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(DataUnavailable, match=r"Cannot open the state database .*folder.db"):
        await StateDB(tmp_path / "folder.db").open()


async def test_an_unreachable_postgresql_is_named_without_its_password() -> None:
    with pytest.raises(DataUnavailable) as caught:
        await StateDB(url="postgresql+psycopg://bot:hunter2@127.0.0.1:1/silkroute?connect_timeout=2").open()
    message = str(caught.value)
    assert "127.0.0.1:1/silkroute" in message and "hunter2" not in message
    assert "SILKROUTE_DATABASE_URL" in message


def test_database_url_names_postgresql_or_nothing() -> None:
    assert DatabaseSettings(silkroute_database_url=" postgresql://bot@db/s ").silkroute_database_url == (
        "postgresql://bot@db/s"
    )
    with pytest.raises(ValueError, match="postgresql://"):
        DatabaseSettings(silkroute_database_url="mysql://bot@db/s")


@both_databases
async def test_a_transaction_that_fails_commits_nothing() -> None:
    db = StateDB.from_settings(Settings())
    await db.open()
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(text("INSERT INTO guild_settings VALUES (1, 2)"))
                raise RuntimeError("half way")
        assert await db.rows("SELECT * FROM guild_settings") == []
    finally:
        await db.close()
