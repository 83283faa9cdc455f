"""The shared real MRT files of three dates, each imported alone with the real registry: built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current

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
