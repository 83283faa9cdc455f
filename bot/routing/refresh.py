"""The bot's background data refresh: every interval after a good build, sooner after a failure.

A fresh install whose first `data update` fails (a mirror down, a cut connection) has no data at all, so
waiting a whole interval (a day) before the next try is the worst choice: failures are retried after a
few minutes, the wait doubling (the shared `Backoff`) up to the interval, and each one is kept for
`/status`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.errors import DomainError
from bot.core.settings import Settings
from bot.net.backoff import Backoff
from bot.routing.importer import ImportReport
from bot.routing.update import background_update

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=2)
MIN_WAIT_SECONDS = 1.0

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class RefreshState:
    """What `/status` says about the refresh: failures since the last good one and when it tries next."""

    failures: int = 0
    last_error: str = ""
    last_failure_at: datetime | None = None
    next_attempt_at: datetime | None = None

    def describe(self) -> str:
        """One line for /status, or "" when the last attempt worked."""
        if not self.failures:
            return ""
        when = self.next_attempt_at.strftime("%Y-%m-%d %H:%M UTC") if self.next_attempt_at else "soon"
        return (
            f"data update failed {self.failures} time(s) in a row, last: {self.last_error}; "
            f"next attempt {when}"
        )


async def refresh_forever(
    settings: Settings,
    on_new_snapshot: Callable[[], Awaitable[object]],
    last_built: Callable[[], datetime | None],
    run_update: Callable[[Settings], Awaitable[ImportReport]] = background_update,
    *,
    state: RefreshState | None = None,
    now: Clock = utc_now,
    sleep: Sleep = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
) -> None:
    """Refresh every `silkroute_update_interval_hours` (0 = never); failures back off from FIRST_RETRY.

    `now`, `sleep` and `jitter` are injected so tests run refresh cycles without waiting for them; `state`
    is what /status shows.
    """
    state = state if state is not None else RefreshState()
    interval = timedelta(hours=settings.routing.silkroute_update_interval_hours)
    if not interval:
        return
    backoff = Backoff(FIRST_RETRY.total_seconds(), interval.total_seconds(), jitter)
    while True:
        start = now()
        built = last_built()
        if state.failures and state.last_failure_at is not None:
            due = state.last_failure_at + timedelta(seconds=backoff.delay(state.failures - 1))
        else:
            due = built + interval if built else start
        wait = max((due - start).total_seconds(), MIN_WAIT_SECONDS)
        state.next_attempt_at = start + timedelta(seconds=wait)
        await sleep(wait)
        try:
            await run_update(settings)
            await on_new_snapshot()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, DomainError):
                # Expected failures (offline, a source down) already say what went wrong: no traceback.
                log.warning("background routing data refresh failed: %s", exc.message)
                state.last_error = exc.message
            else:
                log.exception("background routing data refresh failed; the current snapshot keeps serving")
                state.last_error = f"{type(exc).__name__}: {exc}"
            state.failures += 1
            state.last_failure_at = now()
        else:
            state.failures, state.last_error, state.last_failure_at = 0, "", None
