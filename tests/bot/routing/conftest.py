"""Shared routing fixtures: the real Kazakh snapshot, and the fake RIPEstat/IHR server for live parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current
from tests.bot.live.conftest import fake_upstreams, live_settings

__all__ = ["fake_upstreams", "live_settings", "real_snapshot"]

REAL_FILES = (
    "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2",
    "mrt/ris-rrc00-updates.20190101.0000.gz",
    "registry/delegated-derived.20260201.txt.gz",
    "asnames/asnames-libloc.20221029.json.gz",
)


@pytest.fixture(scope="session")
def real_snapshot(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The 2014 RouteViews RIB replayed with the 2019 RIS updates, real registry and names: built once."""
    data_dir = tmp_path_factory.mktemp("real-snapshot")
    import_files([shared_data / name for name in REAL_FILES], data_dir)
    snapshot = load_current(data_dir)
    assert snapshot is not None
    return snapshot
