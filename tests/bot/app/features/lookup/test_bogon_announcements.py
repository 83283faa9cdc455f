"""Special-purpose space answered from the table as it is (issue 12, row 13): the RouteViews table of
2014-05-13 carries 100.112.0.0/13 (inside CGNAT space) from AS6697, as bare pyasn and Team Cymru say."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.answer import BadInput, Severity
from bot.app.features.lookup.command import lookup
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current


@pytest.fixture(scope="module")
def routeviews_2014(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    data = tmp_path_factory.mktemp("rv2014")
    import_files([shared_data / "ipasn" / "ipasn-routeviews.20140513.dat.gz"], data)
    snapshot = load_current(data)
    assert snapshot is not None
    return snapshot


@pytest.mark.parametrize("target", ["100.117.127.67", "100.112.0.0/13"])
async def test_an_announced_bogon_is_answered_and_flagged(routeviews_2014: Snapshot, target: str) -> None:
    answer = await lookup(routeviews_2014, target, None)
    assert answer.severity is Severity.WARNING
    assert answer.data["special_purpose"] == "carrier-grade NAT (100.64.0.0/10)"
    assert "announcement of special-purpose (bogon) space" in answer.summary
    assert "AS6697" in answer.summary


@pytest.mark.parametrize("target", ["100.64.0.1", "10.0.0.1", "169.254.1.1"])
async def test_no_route_is_said_only_when_none_exists(routeviews_2014: Snapshot, target: str) -> None:
    with pytest.raises(BadInput, match="no public route leads to it"):
        await lookup(routeviews_2014, target, None)


async def test_without_a_snapshot_special_space_is_still_explained() -> None:
    with pytest.raises(BadInput, match="carrier-grade NAT"):
        await lookup(None, "100.117.127.67", None)
