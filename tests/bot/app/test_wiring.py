"""Which background work a process starts: a one-shot `ask` must not begin the daily data refresh."""

from __future__ import annotations

import pytest

from bot.app.wiring import build_services
from bot.core.settings import load_settings


@pytest.mark.parametrize("long_running", [False, True])
async def test_only_long_running_processes_refresh_routing_data(
    long_running: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILKROUTE_OFFLINE", "0")
    for variable in ("ROUTEVIEWS_RIB", "RIS_BVIEW", "DELEGATED", "ASNAMES"):  # never leave this machine
        monkeypatch.setenv(f"SILKROUTE_{variable}_URL", "http://127.0.0.1:9/unused")
    services = build_services(load_settings(None), long_running=long_running)
    await services.start()
    try:
        store = services.snapshots
        assert store is not None
        assert (store.refresher is not None) is long_running
    finally:
        await services.close()
