"""`data backfill` against a local server laid out like the RouteViews and RIS archives, serving the shared MRT
files under dated paths: a cut download stops the run, the next run resumes it (Range) and skips what is done,
a missing month is reported and skipped, one raw file at most is on disk, and nothing starts serving."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from aiohttp import web

from bot.app.features.backfill import backfill_command
from bot.core.errors import InvalidInput
from bot.core.settings import CoreSettings, HistorySettings, RoutingSettings, Settings
from bot.history.backfill import Every, nearest_days, parse_every, wanted_dates
from bot.history.recorder import HistoryRecorder, Watched
from bot.history.store import HistoryStore
from bot.routing.update import DownloadFailed
from tests.bot.routing.test_update import FakeTty, Mirror, serve

RIS_JAN = "/rrc00/2019.01/bview.20190101.0000.gz"
RV_JAN = "/bgpdata/2019.01/RIBS/rib.20190102.0000.bz2"  # the day after: the nearest one is found
RIS_MAR = "/rrc00/2019.03/bview.20190301.0000.gz"


class ArchiveMirror(Mirror):
    """The archive, also checking on every request that the backfill holds at most one raw file."""

    raw: Path = Path("unset")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        held = list(self.raw.iterdir()) if self.raw.exists() else []
        assert len([p for p in held if not p.name.endswith(".validator")]) <= 1, held
        return await super().handle(request)


def settings_for(base: str, data_dir: Path, retries: int) -> Settings:
    return Settings(
        core=CoreSettings(silkroute_data_dir=data_dir, silkroute_offline=False),
        routing=RoutingSettings(silkroute_download_retries=retries),
        history=HistorySettings(
            silkroute_routeviews_archive_url=base
            + "/{collector_dir}bgpdata/{yyyy}.{mm}/RIBS/rib.{yyyymmdd}.{hhmm}.bz2",
            silkroute_ris_archive_url=base + "/{collector}/{yyyy}.{mm}/bview.{yyyymmdd}.{hhmm}.gz",
            silkroute_backfill_search_days=1,
        ),
    )


async def watched() -> Watched:
    return Watched()


async def test_backfill_resumes_skips_done_dates_and_reports_missing_months(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = ArchiveMirror(
        {
            RIS_JAN: (shared_data / "mrt/ris-rrc00-updates.20190101.0000.gz").read_bytes(),
            RV_JAN: (shared_data / "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2").read_bytes(),
            RIS_MAR: (shared_data / "mrt/ris-rrc01-updates.20241001.0055.gz").read_bytes(),
        },
        drop_once={RV_JAN},
    )
    data_dir = tmp_path / "data"
    mirror.raw = data_dir / "backfill" / "raw"
    monkeypatch.setattr(sys, "stderr", FakeTty(mirror.bar_drawn))  # the mirror cuts once the bar is drawn
    runner, base = await serve(mirror)
    try:
        await check_backfill(shared_data, tmp_path, mirror, base, data_dir)
    finally:
        await runner.cleanup()


async def check_backfill(
    shared_data: Path, tmp_path: Path, mirror: ArchiveMirror, base: str, data_dir: Path
) -> None:
    registry = [
        shared_data / "registry/delegated-derived.20260201.txt.gz",
        shared_data / "asnames/asnames-libloc.20221029.json.gz",
    ]
    store = HistoryStore(tmp_path / "history.sqlite3")
    history = HistoryRecorder(store, ["KZ"], watched)
    args = ("2019-01-01", "2019-03-01", "1mo", "rrc00,route-views2", registry)
    with pytest.raises(DownloadFailed):  # the RouteViews RIB is cut mid-body, with no retries: the run stops
        await backfill_command(settings_for(base, data_dir, 0), history, *args)
    assert [r.date for r in store.recordings()] == ["2019-01-01"]
    assert (mirror.raw / "route-views2-rib.20190102.0000.bz2.part").exists()

    lines: list[str] = []
    answer = await backfill_command(settings_for(base, data_dir, 0), history, *args, say=lines.append)
    assert [r.date for r in store.recordings()] == ["2014-05-23", "2019-01-01", "2024-10-01"]
    assert [(r["wanted"], r["collector"]) for r in answer.data["skipped"]] == [("2019-01-01", "rrc00")]
    assert {(r["wanted"], r["collector"]) for r in answer.data["missing"]} == {
        ("2019-02-01", "rrc00"),
        ("2019-02-01", "route-views2"),
        ("2019-03-01", "route-views2"),
    }
    assert any("2019-02-01: no archived RIB" in line for line in lines)
    rv_requests = [r for r in mirror.requests if r[0] == RV_JAN]
    assert len(rv_requests) == 2 and rv_requests[1][1].startswith("bytes=")  # resumed, not restarted
    assert [r for r in mirror.requests if r[0] == RIS_JAN] == [
        (RIS_JAN, "", "")
    ]  # done dates not fetched again
    assert list(mirror.raw.iterdir()) == []  # every raw file deleted after its point
    assert not (data_dir / "current").exists()  # nothing was ever served

    again = await backfill_command(settings_for(base, data_dir, 0), history, *args)
    assert len(again.data["skipped"]) == 3 and not again.data["recorded"]
    assert len(store.series("KZ")) == 3  # no duplicate points


def test_dates_steps_and_the_search_window() -> None:
    assert parse_every("1mo") == Every(months=1) and parse_every("2w") == Every(days=14)
    with pytest.raises(InvalidInput, match="not a step"):
        parse_every("monthly")
    assert wanted_dates(date(2021, 1, 31), date(2021, 4, 30), Every(months=1)) == [
        date(2021, 1, 31),
        date(2021, 2, 28),
        date(2021, 3, 31),
        date(2021, 4, 30),
    ]
    with pytest.raises(InvalidInput, match="before"):
        wanted_dates(date(2021, 2, 1), date(2021, 1, 1), Every(days=1))
    assert nearest_days(date(2021, 1, 1), 1) == [date(2021, 1, 1), date(2021, 1, 2), date(2020, 12, 31)]
