"""Resumable HTTP downloads of large files, with size and time caps: a foundation any capability can use.

Real downloads of hundreds of MB get cut, so each file is fetched into a `.part` file that the next
attempt continues with an HTTP Range request; size and time caps stop a runaway mirror. "Latest" URLs
change their bytes daily, so a `.part` is only resumed under the validator (ETag or Last-Modified) its
bytes came with, sent as `If-Range`: a changed file comes back whole instead of spliced.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import aiohttp
from tqdm import tqdm

from bot.core.errors import DataUnavailable

log = logging.getLogger(__name__)
CHUNK = 1 << 16
WRITE_BATCH = 1 << 22  # 4 MiB per hand-off to a writer thread: few thread hops, bounded memory


class DownloadFailed(DataUnavailable):
    """A file could not be fetched; the message names it and why."""


class NotOnServer(DownloadFailed):
    """The server answered 404/410: the file does not exist (an archive's missing date), unlike a failure."""


@dataclass(frozen=True, slots=True)
class DownloadLimits:
    """How hard to try: attempts after the first, seconds per attempt, bytes at most, the wait between."""

    retries: int
    seconds: float
    max_bytes: int
    backoff: Callable[[int], float]
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


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


async def download_resumable(
    session: aiohttp.ClientSession,
    name: str,
    url: str,
    target: Path,
    limits: DownloadLimits,
    *,
    show_progress: bool = True,
) -> Path:
    """Fetch `url` into `target`, resuming a `.part` left by an earlier attempt; `name` is for messages."""
    part = PartialDownload(target)
    for attempt in range(limits.retries + 1):
        try:
            async with asyncio.timeout(limits.seconds):
                modified = await _fetch_into(session, name, url, part, limits.max_bytes, show_progress)
            await asyncio.to_thread(part.finish, modified)
            return part.target
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as exc:
            if isinstance(exc, aiohttp.ClientResponseError) and 400 <= exc.status < 500:
                missing = exc.status in (404, 410)
                raise (NotOnServer if missing else DownloadFailed)(
                    f"{name}: {url} answered HTTP {exc.status}."
                ) from None
            if attempt == limits.retries:
                raise DownloadFailed(
                    f"{name} could not be downloaded from {url} "
                    f"({type(exc).__name__}: {exc or 'no details'}). Offline? Import local files instead."
                ) from None
            delay = limits.backoff(attempt)
            log.info("download of %s failed (%s), retry %d in %.1fs", name, exc, attempt + 1, delay)
            await limits.sleep(delay)
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
    name: str,
    url: str,
    part: PartialDownload,
    max_bytes: int,
    show_progress: bool,
) -> datetime | None:
    """Stream `url` into `part`, returning the server's Last-Modified date if it gave one."""
    have, validator = await asyncio.to_thread(part.resume_point)
    headers = {"Range": f"bytes={have}-", "If-Range": validator} if have else {}
    async with session.get(url, headers=headers) as response:
        if response.status == 416 and have:
            return _last_modified(response.headers)  # the validator matched: the part is already whole
        response.raise_for_status()
        if response.status != 206:
            have = 0  # the file changed since the part was cut (If-Range failed) or ranges are unsupported
        total = (response.content_length or 0) + have
        if total > max_bytes:
            raise DownloadFailed(
                f"{name} is {total:,} bytes, over SILKROUTE_DOWNLOAD_MAX_BYTES={max_bytes:,}."
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
                desc=part.target.name,
                leave=False,
                disable=not (show_progress and sys.stderr.isatty()),
            ) as bar:
                async for chunk in response.content.iter_chunked(CHUNK):
                    have += len(chunk)
                    if have > max_bytes:
                        raise DownloadFailed(f"{name} grew over SILKROUTE_DOWNLOAD_MAX_BYTES={max_bytes:,}.")
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
