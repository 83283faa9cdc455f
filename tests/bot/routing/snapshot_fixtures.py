"""Small MRT, registry and names files whose snapshot contents are known exactly (written with mrt_writer)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.bot.routing import mrt_writer as w

T0 = 1_546_300_800  # 2019-01-01 00:00 UTC
PEER_A = w.Peer("192.0.2.10", 3216)
PEER_B = w.Peer("192.0.2.20", 9002)
PEER_C = w.Peer("2001:db8::30", 31133)


def attrs(*path: int, as_set: tuple[int, ...] = ()) -> bytes:
    segments: list[w.Segment] = [(w.AS_SEQUENCE, path)]
    if as_set:
        segments.append((w.AS_SET, as_set))
    return w.path_attributes(segments)


def write_rib(path: Path, compression: str = "plain", cut: int | None = None) -> Path:
    """rrc99 RIB: three peers; MOAS on 185.12.0.0/24; an AS_SET path; an IPv6 route from peer C."""
    records = [
        w.peer_index_table([PEER_A, PEER_B, PEER_C], view=""),
        w.rib(
            T0,
            0,
            "2.72.0.0/18",
            [w.RibEntry(0, attrs(3216, 9198, 29355)), w.RibEntry(1, attrs(9002, 9198, 29355))],
        ),
        w.rib(T0, 1, "2.72.64.0/18", [w.RibEntry(0, attrs(3216, 9198, 9198, 29355))]),
        w.rib(T0, 2, "95.56.0.0/14", [w.RibEntry(0, attrs(3216, 9198)), w.RibEntry(1, attrs(9002, 9198))]),
        w.rib(
            T0,
            3,
            "185.12.0.0/24",
            [
                w.RibEntry(0, attrs(3216, 20764)),
                w.RibEntry(1, attrs(9002, 43727)),
                w.RibEntry(2, attrs(31133, 20764)),
            ],
        ),
        w.rib(T0, 4, "193.0.0.0/21", [w.RibEntry(1, attrs(9002, 1299, as_set=(7, 8)))]),
        w.rib(
            T0,
            5,
            "2a00:1a48::/29",
            [w.RibEntry(2, w.path_attributes([(w.AS_SEQUENCE, (31133, 9198))]) + w.mp_reach_abbreviated())],
        ),
    ]
    return w.write(path, records, compression, cut)


def write_updates(path: Path) -> Path:
    """rrc99 updates after the RIB: B re-routes 2.72.0.0/18, A withdraws 2.72.64.0/18, A goes down and comes back."""
    announce = w.bgp_update(attributes=attrs(9002, 31133, 9198, 29355), announced=w.nlri(["2.72.0.0/18"]))
    withdraw = w.bgp_update(withdrawn=w.nlri(["2.72.64.0/18"]))
    back = w.bgp_update(attributes=attrs(3216, 9198), announced=w.nlri(["95.56.0.0/14"]))
    records = [
        w.bgp4mp(T0 + 60, PEER_B, announce),
        w.bgp4mp(T0 + 61, PEER_A, withdraw),
        w.state_change(T0 + 62, PEER_A, 6, 1),
        w.bgp4mp(T0 + 63, PEER_A, back),
    ]
    return w.write(path, records, "gzip")


def write_registry(path: Path) -> Path:
    lines = [
        "2|ripencc|20190101|4|19830705|20190101|+0000",
        "ripencc|KZ|asn|9198|1|19980507|allocated",
        "ripencc|KZ|asn|29355|1|20030602|assigned",
        "ripencc|RU|asn|31133|1|20040101|assigned",
        "ripencc|KZ|ipv4|95.56.0.0|262144|20080905|allocated",
        "ripencc|KZ|ipv4|2.72.0.0|524288|20100101|allocated",
    ]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def write_names(path: Path) -> Path:
    names = {
        "9198": "KAZTELECOM-AS JSC Kazakhtelecom, KZ",
        "29355": "KCELL-AS, KZ",
        "3216": "SOVAM-AS, RU",
        "9002": "RETN-AS, GB",
    }
    path.write_text(json.dumps(names))
    return path


def all_files(folder: Path) -> list[Path]:
    """Names that say nothing about content, so detection must read the bytes."""
    return [
        write_rib(folder / "rrc99-rib.20190101.0000.bz2", "bzip2"),
        write_updates(folder / "rrc99-updates.20190101.0000.gz"),
        write_registry(folder / "stats"),
        write_names(folder / "names.dat"),
    ]
