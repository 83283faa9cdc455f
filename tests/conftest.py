"""Fixtures shared by every test: where the real public data lives, and isolated settings."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import BACKENDS

# Fixtures every area shares, registered once here instead of re-exported from one area's conftest to another.
pytest_plugins = (
    "tests.fixtures.real_snapshot",
    "tests.fixtures.reach_lab",
    "tests.bot.live.fake_upstreams",
    "tests.bot.live.fake_rislive",
    "tests.fixtures.redis_server",
    "tests.fixtures.postgres",
)

# The state database every test uses unless its module is parametrised over both: `sqlite` (the default) or
# `postgresql` (a real server the tests start), so the whole suite can run on either backend.
TEST_DATABASE = os.environ.get("SILKROUTE_TEST_DATABASE", "sqlite")
if TEST_DATABASE not in BACKENDS:
    raise pytest.UsageError(
        f"SILKROUTE_TEST_DATABASE={TEST_DATABASE!r}: must be one of {', '.join(BACKENDS)}"
    )

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real BGP/registry data beside the checkout; skipped on a user's clone, required in CI."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared data folder {SHARED_DATA} is missing")
        pytest.skip(f"real public data not found at {SHARED_DATA} (it sits beside the checkout in CI)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in its own folder with no `.env` and no silkroute variables from the caller."""
    for name in list(os.environ):
        if name.startswith(
            ("DISCORD_", "SILKROUTE_", "ALERT_", "RIPE", "IHR_", "IODA_", "RISLIVE_", "WATCH_")
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SILKROUTE_OFFLINE", "1")
    return tmp_path


@pytest.fixture(autouse=True)
def database(request: pytest.FixtureRequest, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backend this test's state lives on; for PostgreSQL a fresh schema, named in SILKROUTE_DATABASE_URL
    so every `Settings()` the test builds uses it. Modules that touch state parametrise it over both
    (`pytestmark = both_databases`)."""
    backend: str = getattr(request, "param", TEST_DATABASE)
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        monkeypatch.setenv("SILKROUTE_DATABASE_URL", server.url(server.new_schema()))
    return backend


@pytest.fixture(autouse=True)
def no_leaked_sqlite_threads() -> Iterator[None]:
    """Fail the test that leaves an aiosqlite connection open: its worker thread keeps the test process
    from ever exiting (the run hangs after printing its summary), which would otherwise surface nowhere."""
    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        if "_connection_worker_thread" in thread.name:
            thread.join(timeout=2)
            assert not thread.is_alive(), "a test left an aiosqlite connection open (close the StateDB)"
