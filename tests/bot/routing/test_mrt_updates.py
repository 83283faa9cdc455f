"""Batch decoding of UPDATE records (`mrt_updates`): the plain ones decoded together, every other shape left
to the one-at-a-time decoder in its place, and the rows exactly what the event reader says."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from bot.routing import mrt_updates
from bot.routing.mrt import MrtReader
from bot.routing.rib_workers import WireRows
from bot.routing.route_build import RouteAccumulator
from tests.bot.routing import mrt_writer as w
from tests.bot.routing.test_interning import sequences
from tests.bot.routing.test_mrt_rows import table

T = 1_717_200_000
V4, V6, OLD = w.Peer("192.0.2.1", 4_200_000_001), w.Peer("2001:db8::1", 64502), w.Peer("192.0.2.9", 64503)


def _attrs(*asns: int, extra: bytes = b"") -> bytes:
    return w.path_attributes([(2, list(asns))], extra=extra)


def _cases() -> list[tuple[bytes, bool]]:
    """(record, decoded one at a time?) for each shape the batch decoder takes or leaves."""
    ipv6 = w.bgp_update(
        attributes=w.attribute(1, b"\x00")
        + w.attribute(2, w.as_path_value([(2, [64502, 3356])], 4))
        + w.mp_reach_full(["2001:db8:1::/48", "2001:db8:2::/48"])
    )
    bad_marker = bytearray(w.bgp_update(attributes=_attrs(64501, 7), announced=w.nlri(["10.9.0.0/16"])))
    bad_marker[3] = 0
    cut_short = w.bgp_update(attributes=_attrs(64501, 8), announced=w.nlri(["10.8.0.0/16"]) + bytes((24, 10)))
    too_long = w.bgp_update(attributes=_attrs(64501, 9), announced=bytes((33, 10, 0, 0, 0, 0)))
    two_mp = w.bgp_update(
        attributes=_attrs(64502, 1)
        + w.mp_reach_full(["2001:db8:3::/48"])
        + w.mp_reach_full(["2001:db8:4::/48"])
    )
    long_attrs = _attrs(64501, 174, extra=w.attribute(8, struct.pack(">300I", *range(300)), flags=0xC0))
    return [
        (
            w.bgp4mp(
                T,
                V4,
                w.bgp_update(
                    attributes=_attrs(64501, 174, 65001), announced=w.nlri(["10.0.0.0/8", "10.1.0.0/16"])
                ),
            ),
            False,
        ),
        (w.bgp4mp(T, V6, ipv6, microseconds=5), False),
        (w.bgp4mp(T, V4, w.bgp_update(withdrawn=w.nlri(["10.1.0.0/16"]))), False),
        (w.bgp4mp(T, V6, w.bgp_update(attributes=w.mp_unreach(["2001:db8:1::/48"]))), False),
        (w.bgp4mp(T, V4, w.keepalive()), False),
        # MP_REACH before MP_UNREACH in the block: the withdrawal still comes first, the prefix stays
        (
            w.bgp4mp(
                T,
                V6,
                w.bgp_update(
                    attributes=_attrs(64502, 5)
                    + w.mp_reach_full(["2001:db8:6::/48"])
                    + w.mp_unreach(["2001:db8:6::/48"])
                ),
            ),
            False,
        ),
        (w.bgp4mp(T, V4, w.bgp_update(attributes=long_attrs, announced=w.nlri(["10.2.0.0/16"]))), False),
        (
            w.bgp4mp(
                T, V4, w.bgp_update(attributes=_attrs(64501, 0, 65001), announced=w.nlri(["10.3.0.0/16"]))
            ),
            False,
        ),
        (
            w.bgp4mp(
                T,
                V4,
                w.bgp_update(
                    attributes=w.path_attributes([(2, [64501]), (1, [65001, 65002])]),
                    announced=w.nlri(["10.4.0.0/16"]),
                ),
            ),
            False,
        ),
        (
            w.bgp4mp(
                T,
                V4,
                w.bgp_update(
                    attributes=_attrs(64501, 1) + w.mp_reach_abbreviated(), announced=w.nlri(["10.5.0.0/16"])
                ),
            ),
            False,
        ),
        (
            w.bgp4mp(
                T,
                OLD,
                w.bgp_update(
                    attributes=w.path_attributes([(2, [64503, 23456])], 2, [(2, [64503, 4_200_000_009])]),
                    announced=w.nlri(["10.6.0.0/16"]),
                ),
                as4=False,
            ),
            False,
        ),
        (w.state_change(T, V4, 6, 1), True),  # peer down: voids what V4 announced so far
        (
            w.bgp4mp(
                T,
                V4,
                w.bgp_update(attributes=_attrs(64501, 2), announced=w.nlri(["10.7.0.0/16"], [7])),
                addpath=True,
            ),
            True,
        ),
        (
            w.bgp4mp(
                T,
                V4,
                w.bgp_update(attributes=_attrs(64501, 3), announced=w.nlri(["10.7.0.0/16"])),
                local=True,
            ),
            True,
        ),
        (w.bgp4mp(T, V4, bytes(bad_marker)), True),
        (w.bgp4mp(T, V4, cut_short), True),
        (w.bgp4mp(T, V4, too_long), True),
        (w.bgp4mp(T, V6, two_mp), True),
        (
            w.bgp4mp(
                T,
                V6,
                w.bgp_update(attributes=_attrs(64502, 4) + w.mp_reach_full(["2001:db8:5::/48"], safi=2)),
            ),
            True,
        ),
        # a corrupt AS_PATH: the batch takes it, the reader finds it decoding the path and hands it over
        (
            w.bgp4mp(
                T,
                V4,
                w.bgp_update(
                    attributes=w.attribute(2, b"\x02\x05\x00\x00"), announced=w.nlri(["10.10.0.0/16"])
                ),
            ),
            False,
        ),
        (
            w.bgp4mp(
                T + 1,
                V4,
                w.bgp_update(
                    attributes=_attrs(64501, 174, 65009), announced=w.nlri(["10.0.0.0/8", "10.11.0.0/16"])
                ),
            ),
            False,
        ),
    ]


def test_the_batch_decodes_the_plain_shapes_and_leaves_the_rest() -> None:
    records = [record for record, _ in _cases()]
    buf = b"".join(records)
    at = np.cumsum([0] + [len(r) for r in records[:-1]])
    _, _, subtypes, starts, ends = mrt_updates.headers(buf, at)
    decoded = mrt_updates.decode(buf, starts, ends, subtypes)
    # the malformed AS_PATH (record 18) is found when its path is decoded, which the reader does next
    assert decoded.fallback.tolist() == [one for _, one in _cases()]


def test_rows_of_a_mixed_stream_are_the_events(tmp_path: Path) -> None:
    """Every shape in one file, plain ones around each odd one: same vantages, rows in the same order,
    same paths, report (counts and error notes) and span as the event reader."""
    path = w.write(tmp_path / "updates.20240601.0000", [record for record, _ in _cases()])
    by_events = RouteAccumulator(tmp_path / "events")
    events = MrtReader(path)
    by_events.consume("", events)
    by_rows = RouteAccumulator(tmp_path / "rows")
    reader = MrtReader(path)
    span = reader.read_rows(WireRows(by_rows))
    assert list(by_rows.vantages) == list(by_events.vantages)
    assert (by_rows.dropped, by_rows.rib_routes) == (by_events.dropped, by_events.rib_routes)
    assert table(by_rows) == table(by_events)
    assert sequences(by_rows.paths.table) == sequences(by_events.paths.table)
    assert reader.report == events.report
    assert reader.report.skipped_corrupt == 3 and reader.report.malformed_nlri == 1
    assert span == (T, T + 1)
