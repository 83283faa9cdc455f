"""The shared real MRT files of three dates, each imported alone with the real registry: built once per session;
and the commands' context over them, with its own history file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app.answer import Answer
from bot.app.catalog import build_registry
from bot.app.commands import Caller, Context, parse_command_line
from bot.app.runner import execute
from bot.core.settings import AlertSettings, CoreSettings, HistorySettings, Settings
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current
from tests.helpers import make_services

REGISTRY = ("registry/delegated-derived.20260201.txt.gz", "asnames/asnames-libloc.20221029.json.gz")
# Imported in this order by the tests: 2019, then 2024 (newer: serves), then 2014 (older: history only).
MRT = (
    ("mrt/ris-rrc00-updates.20190101.0000.gz", "2019-01-01"),
    ("mrt/ris-rrc01-updates.20241001.0055.gz", "2024-10-01"),
    ("mrt/routeviews2-rib.20140523.0600.first1MiB.bz2", "2014-05-23"),
)


@pytest.fixture(scope="session")
def alone(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Snapshot]:
    """Each MRT file imported on its own (with the same registry): the reference `/transit` answers."""
    snapshots = {}
    for name, date in MRT:
        data_dir = tmp_path_factory.mktemp(f"alone-{date}")
        import_files([shared_data / name] + [shared_data / r for r in REGISTRY], data_dir)
        snapshot = load_current(data_dir)
        assert snapshot is not None
        snapshots[date] = snapshot
    return snapshots


@asynccontextmanager
async def serving(
    snapshot: Snapshot, history_db: Path, alerts: AlertSettings | None = None
) -> AsyncIterator[Context]:
    """A started, offline context serving `snapshot`, its history points in `history_db` (none yet)."""
    settings = Settings(
        core=CoreSettings(silkroute_offline=True),
        alerts=alerts or AlertSettings(),
        history=HistorySettings(silkroute_history_db=history_db),
    )
    services = make_services(settings, snapshot=snapshot)
    await services.start()
    services.snapshots.current = snapshot
    try:
        yield Context(services=services, caller=Caller("tester", can_manage=False))
    finally:
        await services.close()


async def ask(ctx: Context, line: str) -> Answer:
    """Run one command line as a user types it."""
    invocation = parse_command_line(line, build_registry())
    return await execute(invocation.spec, ctx, invocation.options)
