"""One HTTP layer for every live source: one aiohttp session, polite identification, bounded retries.

Public APIs are slow, rate-limited and sometimes down; doing timeouts, retries, concurrency limits and a
size cap once here means each client only maps JSON to results, and every failure reaches the user as
one of the typed `UpstreamError`s below, whose message names the source. (aiohttp itself also resends an
idempotent request once when a kept-alive connection is reset before any response, per RFC 9112.)
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot import __version__
from bot.core.errors import DataUnavailable
from bot.core.settings import Settings
from bot.net.backoff import Backoff

log = logging.getLogger(__name__)

RIPESTAT = "ripestat"
IHR = "ihr"
RISLIVE = "rislive"
ATLAS = "atlas"
IODA = "ioda"


class UpstreamError(DataUnavailable):
    """A live source failed; the message is fit to show a user and names the source."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{display_name(source)}: {message}")
        self.source = source

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable despite keyword-only arguments: a cached "not found" crosses processes through Redis."""
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[UpstreamError], args: tuple[Any, ...], state: dict[str, Any]) -> UpstreamError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class LiveOffline(UpstreamError):
    """Live calls are switched off (SILKROUTE_OFFLINE=1); answers fall back to the local snapshot."""

    def __init__(self, source: str) -> None:
        super().__init__(
            source, "live sources are switched off (SILKROUTE_OFFLINE=1); using local data only."
        )


class UpstreamTimeout(UpstreamError):
    """No complete answer within the connect/read timeouts, after every retry."""


class UpstreamConnectionError(UpstreamError):
    """The connection failed, was reset, or the body was cut short, after every retry."""


class UpstreamBadResponse(UpstreamError):
    """The source answered, but not with something we can read (malformed JSON, too large, wrong shape)."""


class UpstreamHTTPError(UpstreamError):
    """The source answered with an HTTP error status; `body` is its decoded JSON error, if any."""

    def __init__(self, source: str, message: str, *, status: int, body: Any = None) -> None:
        super().__init__(source, message)
        self.status = status
        self.body = body


class UpstreamRateLimited(UpstreamHTTPError):
    """HTTP 429 after every retry: we are asking too often."""


class UpstreamRejected(UpstreamHTTPError):
    """A 4xx other than 404/429: the request itself is wrong, so retrying cannot help."""


class UpstreamNotFound(UpstreamHTTPError):
    """The source does not know the resource; cached briefly so repeated questions do not hammer it."""


_DISPLAY = {
    RIPESTAT: "RIPEstat",
    IHR: "Internet Health Report",
    RISLIVE: "RIS Live",
    ATLAS: "RIPE Atlas",
    IODA: "IODA",
}


def display_name(source: str) -> str:
    return _DISPLAY.get(source, source)


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """Where a source lives and how it wants to be identified; `no_retry` lists statuses not worth repeating."""

    key: str
    base_url: str
    identify: tuple[str, str] | None = None
    no_retry: frozenset[int] = frozenset()


@dataclass(slots=True)
class HttpStats:
    """Upstream traffic per source for `/status`: requests actually sent, retries, and final failures."""

    requests: int = 0
    retries: int = 0
    failures: int = 0


def source_configs(settings: Settings) -> dict[str, SourceConfig]:
    """Base URLs come from settings so tests and mirrors can point elsewhere."""
    live = settings.live
    name = live.silkroute_client_name
    return {
        RIPESTAT: SourceConfig(RIPESTAT, live.ripestat_url, ("sourceapp", name)),
        # IHR answers 504 after ~30 s for slow queries; repeating the same slow query only doubles the wait.
        IHR: SourceConfig(IHR, live.ihr_url, None, frozenset({504})),
        RISLIVE: SourceConfig(RISLIVE, live.rislive_url, ("client", name)),
        ATLAS: SourceConfig(ATLAS, live.ripe_atlas_url),
        IODA: SourceConfig(IODA, live.ioda_url),
    }


_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class HttpLayer:
    """The one aiohttp session and the retry/limit policy shared by every live client."""

    settings: Settings
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    jitter: Callable[[], float] = random.random
    stats: dict[str, HttpStats] = field(default_factory=dict)
    _session: aiohttp.ClientSession | None = field(default=None, init=False)
    _limits: dict[str, asyncio.Semaphore] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.sources = source_configs(self.settings)
        self.stats = {key: HttpStats() for key in self.sources}

    @property
    def offline(self) -> bool:
        return self.settings.core.silkroute_offline

    @property
    def user_agent(self) -> str:
        return f"silkroute/{__version__} (+{self.settings.live.silkroute_client_name})"

    def session(self) -> aiohttp.ClientSession:
        """The shared session, created on first use so building services does no I/O."""
        if self._session is None or self._session.closed:
            live = self.settings.live
            timeout = aiohttp.ClientTimeout(
                total=live.silkroute_http_connect_timeout + live.silkroute_http_read_timeout,
                sock_connect=live.silkroute_http_connect_timeout,
                sock_read=live.silkroute_http_read_timeout,
            )
            self._session = aiohttp.ClientSession(
                timeout=timeout, headers={"User-Agent": self.user_agent}, raise_for_status=False
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def check_online(self, source: str) -> None:
        if self.offline:
            raise LiveOffline(source)

    def url(self, source: str, path: str) -> str:
        return self.sources[source].base_url.rstrip("/") + "/" + path.lstrip("/")

    def identified(self, source: str, params: Mapping[str, str]) -> dict[str, str]:
        """Add the source's client-identification parameter (RIPEstat `sourceapp`, RIS Live `client`)."""
        merged = dict(params)
        identify = self.sources[source].identify
        if identify is not None:
            merged.setdefault(identify[0], identify[1])
        return merged

    def _limit(self, source: str) -> asyncio.Semaphore:
        if source not in self._limits:
            self._limits[source] = asyncio.Semaphore(self.settings.live.silkroute_http_concurrency)
        return self._limits[source]

    def backoff(self, attempt: int) -> float:
        """The shared retry wait (`bot.net.backoff`), with this layer's jitter source."""
        return Backoff.from_settings(self.settings, self.jitter).delay(attempt)

    async def get_json(self, source: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET `path` under the source's base URL and decode JSON, retrying what is worth retrying."""
        return await self.request_json(source, path, params=params)

    async def request_json(
        self,
        source: str,
        path: str,
        *,
        method: str = "GET",
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request and decode JSON. A GET is retried on any transient failure; other methods only
        on 429, where the server refused before acting, so a POST never creates something twice."""
        self.check_online(source)
        url = self.url(source, path)
        query = self.identified(source, params or {})
        retries = self.settings.live.silkroute_http_retries
        stats = self.stats[source]
        attempt = 0
        while True:
            try:
                async with self._limit(source):
                    stats.requests += 1
                    return await self._attempt(source, method, url, query, json_body, headers)
            except _Retryable as exc:
                retryable = method == "GET" or isinstance(exc.final, UpstreamRateLimited)
                if attempt >= retries or not retryable:
                    stats.failures += 1
                    raise exc.final from None
                delay = max(self.backoff(attempt), exc.retry_after)
                log.info(
                    "%s: %s; retry %d/%d in %.2f s", source, exc.final.message, attempt + 1, retries, delay
                )
                stats.retries += 1
                attempt += 1
                await self.sleep(delay)
            except UpstreamError:
                stats.failures += 1
                raise

    async def _attempt(
        self,
        source: str,
        method: str,
        url: str,
        query: Mapping[str, str],
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> Any:
        try:
            async with self.session().request(
                method, url, params=query, json=json_body, headers=headers
            ) as response:
                body = await self._read_capped(source, response)
                status = response.status
                retry_after = self._retry_after(response.headers.get("Retry-After"))
        except TimeoutError:
            raise _Retryable(UpstreamTimeout(source, "no answer in time; try again later.")) from None
        except aiohttp.ClientError as exc:
            raise _Retryable(
                UpstreamConnectionError(source, f"connection failed ({type(exc).__name__}); try again later.")
            ) from None
        if status >= 400:
            raise self._status_error(source, status, body, retry_after)
        try:
            return json.loads(body)
        except ValueError:
            raise UpstreamBadResponse(source, "answered with malformed JSON.") from None

    def _status_error(self, source: str, status: int, body: bytes, retry_after: float) -> Exception:
        decoded: Any = None
        with contextlib.suppress(ValueError):
            decoded = json.loads(body)
        if status == 404:
            return UpstreamNotFound(source, "not found.", status=status, body=decoded)
        if status == 429:
            error: UpstreamHTTPError = UpstreamRateLimited(
                source, "rate limit reached (HTTP 429); try again in a minute.", status=status, body=decoded
            )
        elif status >= 500:
            error = UpstreamHTTPError(
                source, f"server error (HTTP {status}); try again later.", status=status
            )
        else:
            return UpstreamRejected(
                source, f"rejected the request (HTTP {status}).", status=status, body=decoded
            )
        if status in _RETRY_STATUSES and status not in self.sources[source].no_retry:
            return _Retryable(error, retry_after)
        return error

    async def _read_capped(self, source: str, response: aiohttp.ClientResponse) -> bytes:
        """Stream the body and stop at the cap, so one huge answer cannot eat the bot's memory."""
        cap = self.settings.live.silkroute_http_max_bytes
        chunks = bytearray()
        async for chunk in response.content.iter_chunked(65536):
            chunks += chunk
            if len(chunks) > cap:
                raise UpstreamBadResponse(source, f"answer larger than the {cap:,}-byte limit; not read.")
        return bytes(chunks)

    def _retry_after(self, value: str | None) -> float:
        """Seconds from a Retry-After header (seconds or HTTP date), capped so a server cannot stall us."""
        if not value:
            return 0.0
        cap = self.settings.live.silkroute_http_retry_after_max
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return 0.0
            seconds = (when - datetime.now(UTC)).total_seconds()
        return min(cap, max(0.0, seconds))

    def ws_connect(self, source: str, params: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        """Open a WebSocket to the source's base URL on the shared session (used by RIS Live)."""
        self.check_online(source)
        self.stats[source].requests += 1
        return self.session().ws_connect(
            self.sources[source].base_url, params=self.identified(source, params or {}), **kwargs
        )


class _Retryable(Exception):
    """Internal signal: the attempt failed in a way worth retrying; `final` is what the user sees if not."""

    def __init__(self, final: UpstreamError, retry_after: float = 0.0) -> None:
        super().__init__(final.message)
        self.final = final
        self.retry_after = retry_after
