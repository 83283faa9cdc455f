"""The long-lived parts a command may use (data snapshot, live clients, state), started and closed together.

Each area adds its component here; a component reports its own health for `/status`, so the status
command needs no knowledge of the areas.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from bot.answer import Section
from bot.settings import Settings


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


def build_services(settings: Settings) -> Services:
    """Create every component from settings, without starting anything (no I/O here)."""
    return Services(settings=settings)
