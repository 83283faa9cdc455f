"""Per-prefix history on the shared real MRT files: a prefix whose origin differs between 2014 and 2019 (found
in the data, not assumed) gets points holding each date's origins, `/history` shows the origins added and
removed with their dates, a covered prefix follows its covering prefix, and asked-about prefixes are kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.commands import Context
from bot.frontends.discord.embeds import EMBED_TOTAL_LIMIT, EMBEDS_PER_MESSAGE, FIELD_LIMIT, render_messages
from bot.history.changes import changes
from bot.history.prefixes import covering, prefix_key
from bot.history.recorder import HistoryRecorder, Watched
from bot.history.store import HistoryStore, StoredPoint
from bot.history.views import View
from bot.routing.snapshot import Snapshot
from tests.bot.history.conftest import ask, serving


def differing_prefix(older: Snapshot, newer: Snapshot) -> tuple[str, set[int], set[int]]:
    """The first IPv4 prefix announced on both dates whose origin ASes differ, with both origin sets."""
    for prefix_id in range(older.n_v4):
        prefix = older.prefix(prefix_id)
        other = newer.prefix_id(prefix)
        if other is None:
            continue
        before = {o.asn for o in older.origins_of_prefix(prefix_id)}
        after = {o.asn for o in newer.origins_of_prefix(other)}
        if before != after:
            return prefix, before, after
    raise AssertionError("no prefix changed origin between the two files")


def covered_only(snapshot: Snapshot) -> tuple[str, str]:
    """A /24 not announced itself, inside an announced shorter prefix: (the /24, its covering prefix)."""
    for prefix_id in range(snapshot.n_v4):
        prefix = snapshot.prefix(prefix_id)
        net, length = prefix.split("/")
        inside = f"{net}/24"
        if int(length) < 24 and snapshot.prefix_id(inside) is None:
            found = covering(snapshot, inside, strict=True)
            assert found is not None
            return inside, found[0]
    raise AssertionError("no announced prefix shorter than /24")


@pytest.fixture
async def ctx(alone: dict[str, Snapshot], tmp_path: Path) -> AsyncIterator[Context]:
    async with serving(alone["2019-01-01"], tmp_path / "history.sqlite3") as context:
        yield context


async def test_a_watched_prefix_shows_its_origin_changes_with_dates(
    ctx: Context, alone: dict[str, Snapshot]
) -> None:
    older, newer = alone["2014-05-23"], alone["2019-01-01"]
    prefix, before, after = differing_prefix(older, newer)
    inside, cover = covered_only(newer)

    async def watched() -> Watched:
        return Watched(prefixes=[prefix, inside])

    store = ctx.services.history.store
    recorder = HistoryRecorder(store, [], watched)
    for snapshot in (older, newer):
        assert await recorder.record(snapshot.folder) is not None

    points = store.series(prefix)
    assert [p.date for p in points] == ["2014-05-23", "2019-01-01"]
    for point, snapshot in zip(points, (older, newer), strict=True):
        prefix_id = snapshot.prefix_id(prefix)
        assert prefix_id is not None
        assert point.view["origins"] == [
            [o.asn, o.vantage_points] for o in snapshot.origins_of_prefix(prefix_id)
        ]
    (inside_now,) = [p for p in store.series(inside) if p.date == "2019-01-01"]
    assert inside_now.view["origins"] == [] and inside_now.view["covering"] == cover
    cover_id = newer.prefix_id(cover)
    assert cover_id is not None
    assert {asn for asn, _ in inside_now.view["covering_origins"]} == {
        o.asn for o in newer.origins_of_prefix(cover_id)
    }

    answer = await ask(ctx, f"/history target:{prefix}")
    assert answer.data["target"] == prefix and [p["date"] for p in answer.data["points"]] == [
        "2014-05-23",
        "2019-01-01",
    ]
    added = {c["after"] for c in answer.data["changes"] if c["kind"] == "origin_added"}
    removed = {c["before"] for c in answer.data["changes"] if c["kind"] == "origin_removed"}
    assert added == {f"AS{a}" for a in after - before} and removed == {f"AS{a}" for a in before - after}
    assert added | removed and {c["date"] for c in answer.data["changes"]} == {"2019-01-01"}
    assert "changes of origin" in answer.summary and not answer.attachments  # no exit shares to chart
    table = answer.sections[1].table
    assert table is not None and table.rows[0][0] == "2019-01-01"  # newest first
    for message in render_messages(answer):
        assert len(message.embeds) <= EMBEDS_PER_MESSAGE
        for embed in message.embeds:
            assert len(embed) <= EMBED_TOTAL_LIMIT
            assert all(len(f.value or "") <= FIELD_LIMIT for f in embed.fields)


def test_covering_prefix_changes_are_reported_as_such() -> None:
    """The edge cases no real pair of files holds: the covering prefix itself changes, or keeps its prefix and
    changes origin (said with the covering prefix)."""

    def point(day: str, covering: str | None, origins: list[list[int]]) -> StoredPoint:
        view: View = {"kind": "prefix", "prefix": "192.0.2.0/24", "origins": [], "covering": covering}
        return StoredPoint(day, "rrc00", view | {"covering_origins": origins})

    found = changes(
        [
            point("2020-01-01", "192.0.0.0/16", [[64500, 3]]),
            point("2020-02-01", "192.0.0.0/16", [[64501, 2]]),
            point("2020-03-01", "192.0.0.0/20", [[64501, 2]]),
        ],
        threshold=0.1,
    )
    assert [(c.date, c.kind, c.before, c.after) for c in found] == [
        ("2020-03-01", "covering_prefix", "192.0.0.0/16", "192.0.0.0/20"),
        ("2020-02-01", "covering_origin_added", None, {"asn": "AS64501", "via": "192.0.0.0/16"}),
        ("2020-02-01", "covering_origin_removed", {"asn": "AS64500", "via": "192.0.0.0/16"}, None),
    ]


async def test_asked_about_prefixes_are_kept_and_recorded(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")

    async def watched() -> Watched:
        return Watched(prefixes=["95.56.1.1/16", "2a00:1a28:0::/32"])

    assert store.keep("95.56.0.0/16") and store.keep("203.0.113.0/24") and not store.keep("203.0.113.0/24")
    targets = await HistoryRecorder(store, ["KZ"], watched).targets()
    assert targets.prefixes == ["95.56.0.0/16", "2a00:1a28::/32", "203.0.113.0/24"]  # canonical, once each
    assert prefix_key("2a00:1a28:0:0::/32") == "2a00:1a28::/32"
