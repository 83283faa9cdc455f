"""The long-lived parts a command may use (data snapshot, live clients, state), started and closed together.

Each area adds its component here; a component reports its own health for `/status`, so the status
command needs no knowledge of the areas.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from bot.alerts.service import AlertSystem
from bot.core.settings import Settings
from bot.core.values import Section
from bot.live import LiveSources
from bot.routing.snapshot_store import SnapshotStore

T = TypeVar("T")


class Component(Protocol):
    """A part with a lifetime and a health line; `/status` shows every component's `status()`."""

    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def status(self) -> Section: ...


@dataclass
class Services:
    """Everything handlers share. Built once per process by `build_services`."""

    settings: Settings
    started_at: float = field(default_factory=time.time)
    failed_extensions: dict[str, str] = field(default_factory=dict)
    components: list[Component] = field(default_factory=list)

    def find(self, kind: type[T]) -> T | None:
        """The component of this type, or None when this process runs without it."""
        return next((c for c in self.components if isinstance(c, kind)), None)

    async def start(self) -> None:
        for component in self.components:
            await component.start()

    async def close(self) -> None:
        """Close in reverse start order; one failing close must not keep the others open."""
        for component in reversed(self.components):
            try:
                await component.close()
            except Exception:
                logging.getLogger(__name__).exception("closing %s failed", component.name)


def build_services(settings: Settings, *, long_running: bool = True) -> Services:
    """Create every component from settings, without starting anything (no I/O here).

    A one-shot `silkroute ask` is not long-running: it must not start the daily data refresh, which
    would begin a download at once when there is no snapshot yet.
    """
    services = Services(settings=settings)
    services.components.append(
        SnapshotStore(settings.core.silkroute_data_dir, settings if long_running else None)
    )
    services.components.append(LiveSources(settings))
    services.components.append(AlertSystem(settings, components=services.components))
    return services
