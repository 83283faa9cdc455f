"""The import's row reader (`MrtReader.read_rows` into `WireRows`) holds exactly what the event reader says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.routing.mrt import AsPath, MrtReader
from bot.routing.rib_workers import WireRows, absorb, parse_part
from bot.routing.route_build import WITHDRAWN, RouteAccumulator, path_of_words, prefix_key_of_text
from tests.bot.routing import mrt_writer as w
from tests.bot.routing.test_interning import prefix_words, sequences
from tests.conftest import SHARED_DATA

# every real MRT file (collected by name; the `shared_data` fixture skips or fails without the folder)
MRT_FILES = sorted(p.name for p in (SHARED_DATA / "mrt").glob("*.*")) or ["(shared data missing)"]


def table(routes: RouteAccumulator) -> dict[tuple[str, int], list[tuple[list[int], int, AsPath | None]]]:
    """Every vantage's rows in arrival order as (prefix words, ADD-PATH id, path or None for a withdrawal)."""
    routes.spill_all()
    prefixes = sequences(routes.prefixes.table)
    paths = [path_of_words(words) for words in sequences(routes.paths.table)]
    out = {}
    for vantage, v in routes.vantages.items():
        spilled = routes.scratch / f"rib-{v}.bin"
        rows = (
            np.fromfile(spilled, dtype=np.uint32).reshape(-1, 3)
            if spilled.exists()
            else np.zeros((0, 3), dtype=np.uint32)
        )
        out[(vantage.peer_ip, vantage.peer_asn)] = [
            (prefixes[p], a, None if q == WITHDRAWN else paths[q]) for p, a, q in rows.tolist()
        ]
    return out


@pytest.mark.parametrize("name", MRT_FILES)
def test_rows_hold_every_event(shared_data: Path, tmp_path: Path, name: str) -> None:
    """Every real MRT file (RIBs v1 and v2, ADD-PATH, updates with AS4_PATH, MP_REACH/MP_UNREACH, peer-downs,
    corrupt and cut-off records): same vantages, paths, rows in the same order, same report and span."""
    path = shared_data / "mrt" / name
    by_events = RouteAccumulator(tmp_path / "events")
    events = MrtReader(path)
    by_events.consume("", events)
    by_rows = RouteAccumulator(tmp_path / "rows")
    rows = WireRows(by_rows)
    reader = MrtReader(path)
    span = reader.read_rows(rows)
    assert list(by_rows.vantages) == list(by_events.vantages)
    assert (by_rows.dropped, by_rows.rib_routes) == (by_events.dropped, by_events.rib_routes)
    assert table(by_rows) == table(by_events)
    assert sequences(by_rows.paths.table) == sequences(by_events.paths.table)
    assert reader.report == events.report
    assert reader.report.peer_keys == events.report.peer_keys
    noted = by_events.collector_ranges.get("")
    assert span == (tuple(noted) if noted else None)


def test_two_encodings_of_a_prefix_are_one_prefix(tmp_path: Path) -> None:
    """A prefix sent with host bits set has another wire encoding than the clean one: one prefix all the
    same (its host bits cleared as bgpdump does), and the later announcement replaces the earlier."""
    peer, t = w.Peer("192.0.2.1", 64501), 1_717_200_000
    dirty = bytes((23, 10, 1, 3))  # 10.1.2.0/23 with a host bit set
    clean_attrs = w.path_attributes([(2, [64501, 174, 65001])])
    other_attrs = w.path_attributes([(2, [64501, 3356, 65002])])
    records = [
        w.bgp4mp(t, peer, w.bgp_update(attributes=clean_attrs, announced=w.nlri(["10.1.2.0/23"]))),
        w.bgp4mp(t + 1, peer, w.bgp_update(attributes=other_attrs, announced=dirty)),
    ]
    updates = w.write(tmp_path / "updates.20240601.0000", records)
    partial = parse_part(updates, tmp_path / "part", (0, 1))
    assert partial.prefixes == 1
    routes = RouteAccumulator(tmp_path / "all")
    absorb(routes, "c", partial)
    assert sequences(routes.prefixes.table) == prefix_words(prefix_key_of_text("10.1.2.0/23"))
    routes.spill_all()
    prefix, path = routes.vantage_routes(0, np.zeros(1, dtype=np.uint32))
    assert prefix.tolist() == [0]
    assert sequences(routes.paths.table)[int(path[0])] == [64501, 3356, 65002]
