from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.app.answer import as_command_error
from bot.app.features.data import status_command, update_command
from bot.core.settings import CoreSettings, LiveSettings, RoutingSettings, Settings
from bot.net.download import DownloadFailed
from bot.routing.importer import ImportReport, import_files
from bot.routing.refresh import refresh_forever
from bot.routing.snapshot import load_current
from bot.routing.snapshot_store import SnapshotStore
from bot.routing.update import background_update, download_all, sources_for
from tests.bot.routing.ixp_fixtures import peeringdb_ix, peeringdb_ixpfx
from tests.bot.routing.snapshot_fixtures import write_names, write_registry, write_rib


@dataclass
class Mirror:
    """A local mirror in the public layout; `drop_once` cuts the first response of a file mid-body.

    The cut waits for `bar_drawn` (set by a `FakeTty` stderr): the client draws its progress bar after opening
    its `.part` and just before it awaits the body, so the half it is sent is read, not lost. aiohttp raises
    the cut as soon as it sees it, dropping bytes still in its buffer, e.g. while the client opens the file.

    Like a real static server it sends an ETag (unless `validators` is off) and Last-Modified, and honours
    `If-Range`: a Range whose validator no longer matches gets the whole current file with 200.
    """

    files: dict[str, bytes]
    drop_once: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    validators: bool = True
    modified: datetime = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    bar_drawn: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.path
        self.requests.append((name, request.headers.get("Range", ""), request.headers.get("If-Range", "")))
        body = self.files.get(name)
        if body is None:
            raise web.HTTPNotFound()
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if_range = request.headers.get("If-Range")
        start = (
            int(request.headers["Range"].removeprefix("bytes=").rstrip("-"))
            if "Range" in request.headers and if_range in (None, etag)
            else 0
        )
        response = web.StreamResponse(status=206 if start else 200)
        response.content_length = len(body) - start
        if self.validators:
            response.headers["ETag"] = etag
            response.last_modified = self.modified
        if name not in self.drop_once:
            await response.prepare(request)
            await response.write(body[start:])
            return response
        self.drop_once.discard(name)
        self.bar_drawn.clear()  # downloads run one at a time: the next bar drawn is this file's
        await response.prepare(request)
        await self.bar_drawn.wait()
        await response.write(body[start : start + (len(body) - start) // 2])
        assert request.transport is not None
        request.transport.close()  # a dropped connection, as real downloads suffer (buffered bytes still go out)
        return response


PEERINGDB = {"/api/ix": peeringdb_ix(), "/api/ixpfx": peeringdb_ixpfx()}


def routing_settings(base: str, data_dir: Path, **extra: object) -> Settings:
    routing = RoutingSettings(
        silkroute_routeviews_rib_url=base + "/bgpdata/{yyyy}.{mm}/RIBS/rib.{yyyymmdd}.0000.bz2",
        silkroute_ris_bview_url=base + "/rrc00/latest-bview.gz",
        silkroute_delegated_url=base + "/nro-delegated-stats",
        silkroute_asnames_url=base + "/asn.txt",
        silkroute_peeringdb_ix_url=base + "/api/ix",
        silkroute_peeringdb_ixpfx_url=base + "/api/ixpfx",
        **({"silkroute_download_retries": 2} | extra),  # type: ignore[arg-type]
    )
    return Settings(core=CoreSettings(silkroute_data_dir=data_dir, silkroute_offline=False), routing=routing)


async def serve(mirror: Mirror) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/{tail:.*}", mirror.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def real_mirror(shared: Path, rib_path: str) -> Mirror:
    return Mirror(
        {
            rib_path: (shared / "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2").read_bytes(),
            "/rrc00/latest-bview.gz": (shared / "mrt/ris-rrc00-updates.20190101.0000.gz").read_bytes(),
            "/nro-delegated-stats": (shared / "registry/delegated-derived.20260201.txt.gz").read_bytes(),
            "/asn.txt": (shared / "asnames/asnames-pyasn.2016.json.gz").read_bytes(),
            **PEERINGDB,
        }
    )


@pytest.fixture
async def mirror_factory() -> AsyncIterator[list[web.AppRunner]]:
    runners: list[web.AppRunner] = []
    yield runners
    for runner in runners:
        await runner.cleanup()


async def test_update_from_mirror_resumes_a_dropped_download(
    shared_data: Path, tmp_path: Path, mirror_factory: list[web.AppRunner], monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = routing_settings("http://x", tmp_path)
    rib_path = "/" + sources_for(probe)[0].url.split("/", 3)[3]
    mirror = real_mirror(shared_data, rib_path)
    mirror.drop_once.add(rib_path)
    monkeypatch.setattr(sys, "stderr", FakeTty(mirror.bar_drawn))
    runner, base = await serve(mirror)
    mirror_factory.append(runner)
    settings = routing_settings(base, tmp_path / "data")
    settings.live = LiveSettings(silkroute_http_backoff_seconds=0.0)  # the resume is retried at once
    answer = await update_command(settings)
    rib_requests = [r for r in mirror.requests if r[0] == rib_path]
    assert (
        rib_requests[0][1] == ""
        and rib_requests[1][1].startswith("bytes=")
        and rib_requests[1][1] != "bytes=0-"
    )
    snapshot = load_current(tmp_path / "data")
    assert snapshot is not None
    rib = next(f for f in snapshot.provenance.files if f.name.startswith("routeviews-rib"))
    assert rib.sha256 == hashlib.sha256(mirror.files[rib_path]).hexdigest()
    assert {c.name for c in snapshot.provenance.collectors} == {"routeviews", "rrc00"}
    assert answer.command == "data update" and "truncated" in answer.sections[0].text
    assert not list((tmp_path / "data" / "downloads").iterdir())
    status = await status_command(tmp_path / "data")
    assert status.data["vantage_points"] == snapshot.provenance.vantage_points
    kaz_ix = next(ixp for ixp in snapshot.ixps() if ixp.name == "KAZ-IX")
    assert (kaz_ix.members, kaz_ix.city, kaz_ix.prefixes) == (
        21,
        "Karaganda",
        ("195.2.230.0/24", "2001:7f8:31::/64"),
    )
    assert "GONE-IX" not in {ixp.name for ixp in snapshot.ixps()}


async def test_a_missing_peeringdb_file_fails_the_update_naming_it(
    tmp_path: Path, mirror_factory: list[web.AppRunner]
) -> None:
    mirror = Mirror({"/api/ix": peeringdb_ix()})
    runner, base = await serve(mirror)
    mirror_factory.append(runner)
    settings = routing_settings(base, tmp_path / "data")
    ix, ixpfx = sources_for(settings)[4:]
    (path,) = await download_all(settings, tmp_path / "dl", [ix])
    assert path.read_bytes() == peeringdb_ix()
    with pytest.raises(DownloadFailed, match=r"PeeringDB peering LANs: .*/api/ixpfx answered HTTP 404"):
        await download_all(settings, tmp_path / "dl", [ixpfx])


def closed_port_base() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass
class Waits:
    """An injected `sleep`: records each retry wait and returns at once."""

    seconds: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.seconds.append(delay)


async def test_server_down_fails_naming_the_source_and_how_to_import_instead(tmp_path: Path) -> None:
    settings = routing_settings(closed_port_base(), tmp_path / "data")
    settings.live = LiveSettings(silkroute_http_backoff_seconds=0.0)
    with pytest.raises(DownloadFailed, match="RouteViews RIB could not be downloaded") as caught:
        await update_command(settings)
    assert "silkroute data import" in as_command_error(caught.value).user_text()
    assert not (tmp_path / "data" / "current").exists()


async def test_download_retries_follow_the_live_backoff_policy(tmp_path: Path) -> None:
    """One backoff formula for every retrying client: the live layer's step and cap, doubling per retry."""
    settings = routing_settings(closed_port_base(), tmp_path, silkroute_download_retries=4)
    settings.live = LiveSettings(silkroute_http_backoff_seconds=2.0, silkroute_http_retry_after_max=10.0)
    waits = Waits()
    with pytest.raises(DownloadFailed, match="AS names could not be downloaded"):
        await download_all(settings, tmp_path / "dl", [sources_for(settings)[3]], sleep=waits)
    steps = [2.0, 4.0, 8.0, 10.0]  # the cap stops the doubling
    assert len(waits.seconds) == len(steps)
    assert all(step / 2 <= wait <= step for wait, step in zip(waits.seconds, steps, strict=True))


async def test_offline_and_size_cap(tmp_path: Path, mirror_factory: list[web.AppRunner]) -> None:
    offline = Settings(core=CoreSettings(silkroute_data_dir=tmp_path, silkroute_offline=True))
    with pytest.raises(DownloadFailed, match="offline"):
        await download_all(offline, tmp_path / "dl")
    mirror = Mirror({"/asn.txt": b"9198 KAZTELECOM-AS, KZ\n" * 100})
    runner, base = await serve(mirror)
    mirror_factory.append(runner)
    settings = routing_settings(base, tmp_path / "data", silkroute_download_max_bytes=1000)
    with pytest.raises(DownloadFailed, match="SILKROUTE_DOWNLOAD_MAX_BYTES"):
        await download_all(settings, tmp_path / "dl", [sources_for(settings)[3]])
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        await download_all(settings, tmp_path / "dl", [sources_for(settings)[0]])


async def test_background_refresh_keeps_serving_old_snapshot(
    tmp_path: Path, mirror_factory: list[web.AppRunner], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    probe = routing_settings("http://x", tmp_path)
    rib_path = "/" + sources_for(probe)[0].url.split("/", 3)[3]
    mirror = Mirror(
        {
            rib_path: write_rib(files / "rib", "bzip2").read_bytes(),
            "/rrc00/latest-bview.gz": write_rib(files / "bview", "gzip").read_bytes(),
            "/nro-delegated-stats": write_registry(files / "reg").read_bytes(),
            "/asn.txt": write_names(files / "names").read_bytes(),
            **PEERINGDB,
        }
    )
    runner, base = await serve(mirror)
    mirror_factory.append(runner)
    old = import_files([write_rib(files / "rrc98-rib.x")], tmp_path / "data").folder
    settings = routing_settings(base, tmp_path / "data", silkroute_update_interval_hours=2)
    store = SnapshotStore(tmp_path / "data", None)  # serving, with the refresh driven by this test
    await store.start()
    assert store.current is not None and store.current.folder == old
    built = store.current.provenance.built_at
    refreshed = asyncio.Event()
    waits = Waits()
    served_during_update: list[Path] = []

    async def run_update(settings: Settings) -> ImportReport:
        report = await background_update(settings)
        assert report.tables is None  # not kept in the bot's memory: history records the served snapshot
        assert store.current is not None  # never a gap while the refresh downloads and imports
        served_during_update.append(store.current.folder)
        return report

    async def on_new_snapshot(report: ImportReport) -> None:
        await store.serve_import(report)  # what the store's own refresher does with the report
        refreshed.set()

    terminal = FakeTty()
    monkeypatch.setattr(sys, "stderr", terminal)  # the background refresh draws no progress bar even so
    clock = lambda: built + timedelta(hours=1, minutes=30)  # noqa: E731 - half an hour before it is due
    task = asyncio.create_task(
        refresh_forever(settings, on_new_snapshot, store.last_built, run_update, now=clock, sleep=waits)
    )
    await asyncio.wait_for(refreshed.wait(), 60)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert waits.seconds[0] == pytest.approx(1800)
    assert served_during_update == [old]
    assert not any(s.filename in terminal.getvalue() for s in sources_for(settings))  # no progress bar
    fresh = store.current
    assert fresh is not None and fresh.folder != old
    assert {c.name for c in fresh.provenance.collectors} == {"routeviews", "rrc00"}


async def test_the_store_runs_the_refresher_only_when_asked_and_online(tmp_path: Path) -> None:
    import_files([write_rib(tmp_path / "rrc98-rib.x")], tmp_path / "data")
    base = closed_port_base()
    on = SnapshotStore(
        tmp_path / "data", routing_settings(base, tmp_path / "data", silkroute_update_interval_hours=2)
    )
    await on.start()
    assert on.refresher is not None and on.current is not None
    await on.close()
    assert on.refresher is None
    off = SnapshotStore(
        tmp_path / "data", routing_settings(base, tmp_path / "data", silkroute_update_interval_hours=0)
    )
    await off.start()
    assert off.refresher is None and off.current is not None


async def test_a_file_changed_since_the_cut_is_fetched_whole_not_spliced(
    tmp_path: Path, mirror_factory: list[web.AppRunner], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`latest` URLs change daily: yesterday's cut `.part` must not get today's tail appended."""
    old, new = bytes(range(256)) * 400, bytes(reversed(range(256))) * 500
    mirror = Mirror({"/asn.txt": old}, drop_once={"/asn.txt"})
    monkeypatch.setattr(sys, "stderr", FakeTty(mirror.bar_drawn))
    runner, base = await serve(mirror)
    mirror_factory.append(runner)
    source = [sources_for(routing_settings(base, tmp_path))[3]]
    cut = routing_settings(base, tmp_path, silkroute_download_retries=0)
    with pytest.raises(DownloadFailed):
        await download_all(cut, tmp_path / "dl", source)
    assert (tmp_path / "dl" / "asnames.txt.part").stat().st_size == len(old) // 2
    mirror.files["/asn.txt"] = new  # the next day's file
    (path,) = await download_all(routing_settings(base, tmp_path), tmp_path / "dl", source, sleep=Waits())
    assert path.read_bytes() == new
    assert mirror.requests[1][1] == f"bytes={len(old) // 2}-" and mirror.requests[1][2].startswith('"')
    assert path.stat().st_mtime == mirror.modified.timestamp()  # dated like the server's copy
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == ["asnames.txt"]


async def test_a_part_without_validator_is_discarded(
    tmp_path: Path, mirror_factory: list[web.AppRunner], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b"9198 KAZTELECOM-AS, KZ\n" * 500
    mirror = Mirror({"/asn.txt": body}, drop_once={"/asn.txt"}, validators=False)
    monkeypatch.setattr(sys, "stderr", FakeTty(mirror.bar_drawn))
    runner, base = await serve(mirror)
    mirror_factory.append(runner)
    settings = routing_settings(base, tmp_path)
    (tmp_path / "dl").mkdir()
    (tmp_path / "dl" / "asnames.txt.part").write_bytes(b"left over from some earlier run")
    (path,) = await download_all(settings, tmp_path / "dl", [sources_for(settings)[3]], sleep=Waits())
    assert path.read_bytes() == body
    assert [r[1] for r in mirror.requests] == ["", ""]  # the cut (no validator) restarted from zero too


class FakeTty(io.StringIO):
    """An interactive stderr; each write (the download's progress bar) sets `drawn` if given."""

    def __init__(self, drawn: asyncio.Event | None = None) -> None:
        super().__init__()
        self.drawn = drawn

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.drawn is not None:
            self.drawn.set()
        return super().write(text)


async def test_progress_bar_only_on_a_terminal_and_never_in_the_background(
    tmp_path: Path, mirror_factory: list[web.AppRunner], monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = Mirror({"/asn.txt": b"9198 KAZTELECOM-AS, KZ\n" * 500})
    runner, base = await serve(mirror)
    mirror_factory.append(runner)
    settings = routing_settings(base, tmp_path)
    source = [sources_for(settings)[3]]
    for stderr, show, drawn in (
        (io.StringIO(), True, False),  # piped or logged: no bar
        (FakeTty(), True, True),
        (FakeTty(), False, False),  # the bot's background refresh
    ):
        monkeypatch.setattr(sys, "stderr", stderr)
        await download_all(settings, tmp_path / "dl", source, show_progress=show)
        assert ("asnames.txt" in stderr.getvalue()) is drawn
