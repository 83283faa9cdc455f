"""Schema migrations: applied once, in order, recorded; a reopened file is not migrated again."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import DataUnavailable
from bot.core.state_db import MIGRATIONS, StateDB


async def test_migrations_apply_once_and_survive_reopen(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.sqlite3")
    await db.open()
    assert await db.schema_version() == MIGRATIONS[-1][0]
    extra = (*MIGRATIONS, (MIGRATIONS[-1][0] + 1, "CREATE TABLE extra (id INTEGER PRIMARY KEY)"))
    assert await db.migrate(extra) == [MIGRATIONS[-1][0] + 1]
    assert await db.migrate(extra) == []
    await db.close()
    reopened = StateDB(tmp_path / "state.sqlite3")
    await reopened.open()
    assert await reopened.schema_version() == MIGRATIONS[-1][0] + 1
    await reopened.close()


async def test_failed_migration_leaves_no_half_schema(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.sqlite3")
    await db.open()
    version = MIGRATIONS[-1][0] + 1
    broken = (*MIGRATIONS, (version, "CREATE TABLE half (id INTEGER); CREATE TABLE half (id INTEGER)"))
    with pytest.raises(Exception, match="already exists"):
        await db.migrate(broken)
    assert await db.schema_version() == version - 1
    rows = list(await db.conn.execute_fetchall("SELECT name FROM sqlite_master WHERE name = 'half'"))
    assert rows == []
    await db.close()


async def test_a_state_db_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(DataUnavailable, match=r"state database .*afile/state.db \(.*afile is a file"):
        await StateDB(tmp_path / "afile" / "state.db").open()
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(DataUnavailable, match=r"Cannot open the state database .*folder.db"):
        await StateDB(tmp_path / "folder.db").open()
