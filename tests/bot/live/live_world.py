"""Services with a snapshot and live sources pointed at the fake upstreams, for answers that add live parts.

Used by the /lookup, /transit and /reach tests: the clock is driven by hand so cached answers expire
without sleeping (stale-if-error needs an expired entry and a failing refresh).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot.app.wiring import Services
from bot.core.settings import CoreSettings, Settings
from bot.live import LiveSources
from bot.live.cache import LiveCache
from bot.routing.snapshot_store import SnapshotStore
from tests.bot.live.fake_upstreams import FakeUpstreams
from tests.helpers import make_services


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def live_services(
    fake: FakeUpstreams,
    snapshot_store: SnapshotStore,
    *,
    offline: bool = False,
    clock: Clock | None = None,
    **sections: Any,
) -> AsyncIterator[Services]:
    """Services holding `snapshot_store` and a LiveSources on the fake server (other settings sections as given)."""
    online = fake.settings()
    settings = Settings(**{"core": CoreSettings(silkroute_offline=offline), "live": online.live, **sections})
    live = LiveSources(settings, cache=LiveCache(timer=clock or Clock()))
    services = make_services(settings, snapshots=snapshot_store, live=live)
    try:
        yield services
    finally:
        await services.close()
