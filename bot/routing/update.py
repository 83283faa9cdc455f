"""`data update`: download the current public routing data, resumably, then import it as a new snapshot.

Which files, from where, and what to do with them is routing's; fetching them (resumable, capped, retried
with the shared backoff) is the foundation `bot.net.download`, so routing needs nothing from `bot.live`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import aiohttp

from bot.core.settings import Settings
from bot.net.backoff import Backoff
from bot.net.download import DownloadFailed, DownloadLimits, download_resumable
from bot.routing.importer import ImportReport, import_files

log = logging.getLogger(__name__)
IMPORT_HINT = "silkroute data import FILE... (RIB/updates .bz2/.gz, delegated stats, AS names)"


@dataclass(frozen=True, slots=True)
class DataSource:
    """One file to fetch: a human name for messages, its URL, and the local name the importer will see."""

    name: str
    url: str
    filename: str


def sources_for(settings: Settings, day: datetime | None = None) -> list[DataSource]:
    """The public sources (routes, registry, names, exchanges), the RouteViews URL filled with yesterday's date (today's may not exist yet)."""
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
        DataSource("PeeringDB exchanges", routing.silkroute_peeringdb_ix_url, "peeringdb-ix.json"),
        DataSource("PeeringDB peering LANs", routing.silkroute_peeringdb_ixpfx_url, "peeringdb-ixpfx.json"),
    ]


def download_limits(
    settings: Settings, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> DownloadLimits:
    """The caps and retries of every routing download (`data update`, `data backfill`), from settings."""
    routing = settings.routing
    return DownloadLimits(
        retries=routing.silkroute_download_retries,
        seconds=routing.silkroute_download_timeout_seconds,
        max_bytes=routing.silkroute_download_max_bytes,
        backoff=Backoff.from_settings(settings).delay,
        sleep=sleep,
    )


def download_session(settings: Settings, purpose: str) -> aiohttp.ClientSession:
    """One HTTP session for a run of downloads, with the connect/read timeouts and a User-Agent naming it."""
    timeout = aiohttp.ClientTimeout(
        sock_connect=settings.routing.silkroute_download_connect_timeout,
        sock_read=settings.routing.silkroute_download_connect_timeout * 6,
    )
    headers = {"User-Agent": f"{settings.live.silkroute_client_name} {purpose}"}
    return aiohttp.ClientSession(timeout=timeout, headers=headers)


async def download_all(
    settings: Settings,
    folder: Path,
    sources: list[DataSource] | None = None,
    *,
    show_progress: bool = True,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[Path]:
    """Fetch every source (one at a time: they share one link); the first failure stops the update.

    `show_progress` draws a progress bar on an interactive stderr; the bot's background refresh turns it off.
    Retries wait by the live HTTP layer's backoff (`bot.net.backoff`), through `sleep`.
    """
    if settings.core.silkroute_offline:
        raise DownloadFailed(
            "silkroute is offline (SILKROUTE_OFFLINE=1): nothing can be downloaded.", example=IMPORT_HINT
        )
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    limits = download_limits(settings, sleep)
    async with download_session(settings, "data update") as session:
        try:
            return [
                await download_resumable(
                    session,
                    source.name,
                    source.url,
                    folder / source.filename,
                    limits,
                    show_progress=show_progress,
                )
                for source in sources or sources_for(settings)
            ]
        except DownloadFailed as exc:
            raise DownloadFailed(exc.message, example=IMPORT_HINT) from None


async def update(
    settings: Settings, sources: list[DataSource] | None = None, *, show_progress: bool = True
) -> ImportReport:
    """Download everything, then import it; the previous snapshot serves until the new one is in place."""
    data_dir = settings.core.silkroute_data_dir
    files = await download_all(settings, data_dir / "downloads", sources, show_progress=show_progress)
    workers = settings.routing.silkroute_import_workers or None
    report = await asyncio.to_thread(import_files, files, data_dir, None, workers)
    for path in files:
        path.unlink(missing_ok=True)  # the snapshot records their sha256; the bytes are not needed again
    return report


async def background_update(settings: Settings) -> ImportReport:
    """The bot's scheduled update: no progress bar, which would scribble over the bot's log output. The
    import's in-memory tables are dropped at once: the bot records history through the snapshot it serves."""
    return replace(await update(settings, show_progress=False), tables=None)
