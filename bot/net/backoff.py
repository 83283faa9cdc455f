"""One retry-wait formula for every client that retries: capped exponential steps with jitter.

The live APIs' HTTP layer and the routing data downloader both wait by it, so an operator tunes retries
in one place (SILKROUTE_HTTP_BACKOFF_SECONDS, SILKROUTE_HTTP_RETRY_AFTER_MAX) and clients never stampede.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.settings import Settings


@dataclass(frozen=True, slots=True)
class Backoff:
    """Wait `step * 2**attempt` seconds, at most `cap`, scaled by 50-100 % jitter."""

    step: float
    cap: float
    jitter: Callable[[], float] = random.random

    @classmethod
    def from_settings(cls, settings: Settings, jitter: Callable[[], float] = random.random) -> Backoff:
        live = settings.live
        return cls(live.silkroute_http_backoff_seconds, live.silkroute_http_retry_after_max, jitter)

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.step * 2.0**attempt) * (0.5 + self.jitter() / 2)
