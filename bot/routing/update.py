"""`data update`: download the current public routing data, resumably, then import it as a new snapshot.

Full RIBs are hundreds of MB and real downloads get cut, so each file is fetched into a `.part` file that the
next attempt continues with an HTTP Range request; size and time caps stop a runaway mirror. Most sources are
"latest" URLs whose bytes change daily, so a `.part` is only resumed under the validator (ETag or
Last-Modified) its bytes came with, sent as `If-Range`: a changed file comes back whole instead of spliced.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

import aiohttp
from tqdm import tqdm

from bot.core.errors import DataUnavailable, DomainError
from bot.core.settings import Settings
from bot.live.http_client import HttpLayer
from bot.routing.importer import ImportReport, import_files

log = logging.getLogger(__name__)
CHUNK = 1 << 16
WRITE_BATCH = 1 << 22  # 4 MiB per hand-off to a writer thread: few thread hops, bounded memory
IMPORT_HINT = "silkroute data import FILE... (RIB/updates .bz2/.gz, delegated stats, AS names)"


@dataclass(frozen=True, slots=True)
class DataSource:
    """One file to fetch: a human name for messages, its URL, and the local name the importer will see."""

    name: str
    url: str
    filename: str


class DownloadFailed(DataUnavailable):
    """A source could not be fetched; the message names it and suggests importing local files instead."""


class NotOnServer(DownloadFailed):
    """The server answered 404/410: the file does not exist (an archive's missing date), unlike a failure."""


def sources_for(settings: Settings, day: datetime | None = None) -> list[DataSource]:
    """The four public sources, the RouteViews URL filled with yesterday's date (today's may not exist yet)."""
    routing = settings.routing
    date = (day or datetime.now(UTC)) - timedelta(days=1)
    rib_url = routing.silkroute_routeviews_rib_url.format(
        yyyy=f"{date:%Y}", mm=f"{date:%m}", yyyymmdd=f"{date:%Y%m%d}"
    )
    bview_path = urlparse(routing.silkroute_ris_bview_url).path.strip("/").split("/")
    collector = next((part for part in bview_path if part.startswith("rrc")), "ris")
    return [
        DataSource("RouteViews RIB", rib_url, f"routeviews-rib.{date:%Y%m%d}.bz2"),
        DataSource(
            f"RIPE RIS {collector} bview", routing.silkroute_ris_bview_url, f"ris-{collector}-bview.latest.gz"
        ),
        DataSource(
            "NRO delegated-extended stats", routing.silkroute_delegated_url, "nro-delegated-stats.txt"
        ),
        DataSource("AS names", routing.silkroute_asnames_url, "asnames.txt"),
    ]


class PartialDownload:
    """A download in progress: the `.part` bytes plus, next to them, the validator they were served under.

    Without the validator a leftover `.part` could be yesterday's file, so it is never resumed blind.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.with_name(target.name + ".part")
        self.validator_path = target.with_name(target.name + ".part.validator")

    def resume_point(self) -> tuple[int, str]:
        """Bytes held and their validator; a part without a validator is deleted (it cannot be proven current)."""
        validator = (
            self.validator_path.read_text(encoding="utf-8").strip() if self.validator_path.exists() else ""
        )
        if not validator:
            self.path.unlink(missing_ok=True)
            return 0, ""
        return (self.path.stat().st_size if self.path.exists() else 0), validator

    def open_at(self, offset: int, validator: str) -> BinaryIO:
        """Append after `offset` bytes, or start over recording the new validator before the first byte lands."""
        if offset:
            return self.path.open("ab")
        if validator:
            self.validator_path.write_text(validator, encoding="utf-8")
        else:
            self.validator_path.unlink(missing_ok=True)
        return self.path.open("wb")

    def finish(self, modified: datetime | None) -> None:
        """Move the complete file into place, dated like the server's copy so importers can tell its age."""
        if modified is not None:
            os.utime(self.path, (modified.timestamp(), modified.timestamp()))
        self.path.replace(self.target)
        self.validator_path.unlink(missing_ok=True)


async def download(
    session: aiohttp.ClientSession,
    source: DataSource,
    folder: Path,
    settings: Settings,
    *,
    show_progress: bool = True,
) -> Path:
    """Fetch one source into `folder`, resuming a `.part` left by an earlier attempt; retries wait as long as
    the live HTTP layer's would, so every retrying client follows one backoff policy."""
    routing = settings.routing
    part = PartialDownload(folder / source.filename)
    policy = HttpLayer(settings)
    for attempt in range(routing.silkroute_download_retries + 1):
        try:
            async with asyncio.timeout(routing.silkroute_download_timeout_seconds):
                modified = await _fetch_into(
                    session, source, part, routing.silkroute_download_max_bytes, show_progress
                )
            await asyncio.to_thread(part.finish, modified)
            return part.target
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as exc:
            if isinstance(exc, aiohttp.ClientResponseError) and 400 <= exc.status < 500:
                raise (NotOnServer if exc.status in (404, 410) else DownloadFailed)(
                    f"{source.name}: {source.url} answered HTTP {exc.status}.", example=IMPORT_HINT
                ) from None
            if attempt == routing.silkroute_download_retries:
                raise DownloadFailed(
                    f"{source.name} could not be downloaded from {source.url} "
                    f"({type(exc).__name__}: {exc or 'no details'}). Offline? Import local files instead.",
                    example=IMPORT_HINT,
                ) from None
            delay = policy.backoff(attempt)
            log.info("download of %s failed (%s), retry %d in %.1fs", source.name, exc, attempt + 1, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")


def _validator(headers: Mapping[str, str]) -> str:
    """A strong ETag, else Last-Modified: what If-Range accepts (RFC 9110 13.1.5; a weak ETag is not allowed)."""
    etag = headers.get("ETag", "")
    return etag if etag and not etag.startswith("W/") else headers.get("Last-Modified", "")


def _last_modified(headers: Mapping[str, str]) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(headers["Last-Modified"])
    except (KeyError, TypeError, ValueError):
        return None


async def _fetch_into(
    session: aiohttp.ClientSession,
    source: DataSource,
    part: PartialDownload,
    max_bytes: int,
    show_progress: bool,
) -> datetime | None:
    """Stream the source into `part`, returning the server's Last-Modified date if it gave one."""
    have, validator = await asyncio.to_thread(part.resume_point)
    headers = {"Range": f"bytes={have}-", "If-Range": validator} if have else {}
    async with session.get(source.url, headers=headers) as response:
        if response.status == 416 and have:
            return _last_modified(response.headers)  # the validator matched: the part is already whole
        response.raise_for_status()
        if response.status != 206:
            have = 0  # the file changed since the part was cut (If-Range failed) or ranges are unsupported
        total = (response.content_length or 0) + have
        if total > max_bytes:
            raise DownloadFailed(
                f"{source.name} is {total:,} bytes, over SILKROUTE_DOWNLOAD_MAX_BYTES={max_bytes:,}.",
                example=IMPORT_HINT,
            )
        out = await asyncio.to_thread(part.open_at, have, _validator(response.headers))
        pending: list[bytes] = []
        buffered = 0
        try:
            with tqdm(
                total=total or None,
                initial=have,
                unit="B",
                unit_scale=True,
                desc=source.filename,
                leave=False,
                disable=not (show_progress and sys.stderr.isatty()),
            ) as bar:
                async for chunk in response.content.iter_chunked(CHUNK):
                    have += len(chunk)
                    if have > max_bytes:
                        raise DownloadFailed(
                            f"{source.name} grew over SILKROUTE_DOWNLOAD_MAX_BYTES={max_bytes:,}.",
                            example=IMPORT_HINT,
                        )
                    pending.append(chunk)
                    buffered += len(chunk)
                    bar.update(len(chunk))
                    if buffered >= WRITE_BATCH:  # disk writes stay off the event loop
                        batch, pending, buffered = b"".join(pending), [], 0
                        await asyncio.to_thread(out.write, batch)
        finally:
            # bytes that arrived before a cut are kept: the next attempt resumes after them
            await asyncio.to_thread(_write_and_close, out, b"".join(pending))
        if response.content_length is not None and have < total:
            raise aiohttp.ClientPayloadError(f"connection closed after {have:,} of {total:,} bytes")
        return _last_modified(response.headers)


def _write_and_close(out: BinaryIO, tail: bytes) -> None:
    with out:
        out.write(tail)


async def download_all(
    settings: Settings, folder: Path, sources: list[DataSource] | None = None, *, show_progress: bool = True
) -> list[Path]:
    """Fetch every source (one at a time: they share one link); the first failure stops the update.

    `show_progress` draws a progress bar on an interactive stderr; the bot's background refresh turns it off.
    """
    if settings.core.silkroute_offline:
        raise DownloadFailed(
            "silkroute is offline (SILKROUTE_OFFLINE=1): nothing can be downloaded.", example=IMPORT_HINT
        )
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    timeout = aiohttp.ClientTimeout(
        sock_connect=settings.routing.silkroute_download_connect_timeout,
        sock_read=settings.routing.silkroute_download_connect_timeout * 6,
    )
    headers = {"User-Agent": f"{settings.live.silkroute_client_name} data update"}
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        return [
            await download(session, source, folder, settings, show_progress=show_progress)
            for source in sources or sources_for(settings)
        ]


async def update(
    settings: Settings, sources: list[DataSource] | None = None, *, show_progress: bool = True
) -> ImportReport:
    """Download everything, then import it; the previous snapshot serves until the new one is in place."""
    data_dir = settings.core.silkroute_data_dir
    files = await download_all(settings, data_dir / "downloads", sources, show_progress=show_progress)
    report = await asyncio.to_thread(import_files, files, data_dir)
    for path in files:
        path.unlink(missing_ok=True)  # the snapshot records their sha256; the bytes are not needed again
    return report


async def background_update(settings: Settings) -> ImportReport:
    """The bot's scheduled update: no progress bar, which would scribble over the bot's log output."""
    return await update(settings, show_progress=False)


async def refresh_forever(
    settings: Settings,
    on_new_snapshot: Callable[[ImportReport], Awaitable[object]],
    last_built: Callable[[], datetime | None],
    run_update: Callable[[Settings], Awaitable[ImportReport]] = background_update,
) -> None:
    """Refresh every `silkroute_update_interval_hours` (0 = never); a failure is logged and retried next time."""
    interval = timedelta(hours=settings.routing.silkroute_update_interval_hours)
    if not interval:
        return
    while True:
        built = last_built()
        wait = (built + interval - datetime.now(UTC)).total_seconds() if built else 0.0
        await asyncio.sleep(max(wait, 1.0))
        try:
            await on_new_snapshot(await run_update(settings))
        except asyncio.CancelledError:
            raise
        except DomainError as exc:
            # Expected failures (offline, a source down) already say what went wrong: no traceback.
            log.warning("background routing data refresh failed: %s", exc.message)
            await asyncio.sleep(interval.total_seconds())
        except Exception:
            log.exception("background routing data refresh failed; the current snapshot keeps serving")
            await asyncio.sleep(interval.total_seconds())
