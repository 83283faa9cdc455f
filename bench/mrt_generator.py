"""Write real MRT files of a full table's shape at any size, for benchmarks and the CI memory ceiling test.

Run: .venv/bin/python bench/mrt_generator.py OUT_DIR [--routes 10000000] [--vantages 30] [--updates-peers 4]
Writes `gen-rib.<date>.gz` (TABLE_DUMP_V2: PEER_INDEX_TABLE, then RIB_IPV4_UNICAST / RIB_IPV6_UNICAST records,
one per prefix with an entry per vantage) and, with --updates-peers, `gen-updates.<date>.gz` (BGP4MP_ET
MESSAGE_AS4 UPDATEs: those peers re-announce the table as a session start does, a path shared by several
prefixes per message, IPv6 in MP_REACH_NLRI, a few withdrawals). `bgpdump -m` reads both.

Shape, from public RIB statistics (RouteViews/RIS, 2024): prefixes are 85 % IPv4, 15 % IPv6; IPv4 lengths
/24 61 %, /23 11 %, /22 13 %, /21 5 %, /20 4 %, /19 3 %, /16-/18 3 %; IPv6 /48 48 %, /32 17 %,
/44 8 %, /40 7 %, /36 5 %, /29 5 %, /46-/47 and /33-/39 the rest. Paths: the peer's AS, one of 15 tier-1s,
0-2 transit ASes, the origin (70,000 origins holding runs of 4 neighbouring prefixes, 40 % of them 4-byte ASNs); 5 % of routes prepend the origin
1-3 times, 0.1 % end in an AS_SET (aggregates), and 3 % of routes take a vantage-specific detour.
Speed: ~7 min for 60 M routes (1.2 M prefixes x 50 vantages, 184 MB) on the busy 2-core dev machine.
"""

from __future__ import annotations

import argparse
import gzip
import random
import struct
import time
from collections.abc import Iterator
from pathlib import Path

TIMESTAMP = 1_717_200_000  # 2024-06-01 00:00 UTC
V4_LENGTHS = [(24, 61), (23, 11), (22, 13), (21, 5), (20, 4), (19, 3), (16, 1), (18, 1), (17, 1)]
V6_LENGTHS = [(48, 48), (32, 17), (44, 8), (40, 7), (36, 5), (29, 5), (46, 3), (47, 2), (33, 2), (39, 3)]
ORIGINS = 70_000
TIER1 = [174, 209, 286, 701, 1239, 1299, 2828, 2914, 3257, 3320, 3356, 3491, 5511, 6453, 6762]


def _lengths(table: list[tuple[int, int]], count: int, rng: random.Random) -> list[int]:
    lengths = [length for length, weight in table for _ in range(weight)]
    return [rng.choice(lengths) for _ in range(count)]


def prefixes(count: int, rng: random.Random) -> list[tuple[bool, int, int]]:
    """(is IPv6, network as int, length), distinct and in address order, as a RIB lists them; many
    are more-specifics inside the prefix before them (as in real tables, which is also what keeps
    a million IPv4 prefixes inside the address space)."""
    n6 = count * 15 // 100
    return _family(False, _lengths(V4_LENGTHS, count - n6, rng), 1 << 24, rng) + _family(
        True, _lengths(V6_LENGTHS, n6, rng), 0x2001 << 112, rng
    )


def _family(v6: bool, lengths: list[int], start: int, rng: random.Random) -> list[tuple[bool, int, int]]:
    bits = 128 if v6 else 32
    out = []
    net = start
    cover_end = inner = 0
    for length in lengths:
        size = 1 << (bits - length)
        if rng.random() < 0.6:
            place = (inner + size - 1) // size * size
            if place + size <= cover_end and size < cover_end - inner:
                out.append((v6, place, length))
                inner = place + size
                continue
        net = (net + size - 1) // size * size
        if net + size > 1 << bits:
            raise ValueError(f"{len(out):,} prefixes fill the IPv{6 if v6 else 4} space: ask for fewer")
        out.append((v6, net, length))
        inner, cover_end = net, net + size
        net += size * rng.choice((1, 1, 1, 1, 2))  # gaps, as unannounced space leaves
    return out


def _origin_asn(index: int) -> int:
    """40 % 4-byte ASNs (from 196608), the rest 2-byte public ones from 1000."""
    return 196_608 + index if index % 5 < 2 else 1000 + index


def path_of(
    prefix_index: int, vantage: int, peer_asn: int, rng: random.Random
) -> tuple[list[int], list[int]]:
    """(AS_SEQUENCE, AS_SET) of one route; the set is empty for all but aggregates."""
    origin_index = (prefix_index >> 2) * 7919 % ORIGINS  # origins hold runs of neighbouring prefixes
    origin = _origin_asn(origin_index)
    upstream = 3000 + origin_index % 3000
    hops = [peer_asn, TIER1[(origin_index + vantage) % len(TIER1)]]
    if origin_index % 3:
        hops.append(upstream)
    if origin_index % 11 == 0:
        hops.append(20_000 + origin_index % 500)
    roll = rng.random()
    if roll < 0.03:
        hops.append(30_000 + vantage)  # a vantage-specific detour
    hops.append(origin)
    if origin_index % 20 == 0:
        hops.extend([origin] * (1 + origin_index % 3))  # prepending
    aggregate = [origin, _origin_asn((origin_index + 1) % ORIGINS)] if roll > 0.999 else []
    return hops, aggregate


def _as_path(sequence: list[int], as_set: list[int]) -> bytes:
    value = struct.pack(f">BB{len(sequence)}I", 2, len(sequence), *sequence)
    if as_set:
        value += struct.pack(f">BB{len(as_set)}I", 1, len(as_set), *as_set)
    return _attribute(2, value)


def _attribute(code: int, value: bytes) -> bytes:
    flags = 0x80 if code == 14 else 0x40  # MP_REACH_NLRI is optional non-transitive, the others well-known
    if len(value) > 255:
        return struct.pack(">BBH", flags | 0x10, code, len(value)) + value
    return struct.pack(">BBB", flags, code, len(value)) + value


def _nlri(v6: bool, net: int, length: int) -> bytes:
    octets = (length + 7) // 8
    return bytes((length,)) + net.to_bytes(16 if v6 else 4, "big")[:octets]


def _record(rtype: int, subtype: int, body: bytes) -> bytes:
    return struct.pack(">IHHI", TIMESTAMP, rtype, subtype, len(body)) + body


def peers(count: int) -> list[tuple[bool, int, int]]:
    """(is IPv6 session, address, ASN): a third over IPv6, two thirds 4-byte ASNs like a big collector."""
    return [
        (
            v % 3 == 2,
            (0x2001_0DB8 << 96) + v + 1 if v % 3 == 2 else 0xC6336400 + v + 1,
            6000 + v if v % 3 == 0 else 200_000 + v,
        )
        for v in range(count)
    ]


def rib_records(table: list[tuple[bool, int, int]], vantages: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    peer_list = peers(vantages)
    index = struct.pack(">4sH", bytes((192, 0, 2, 1)), 3) + b"gen" + struct.pack(">H", len(peer_list))
    for v6, address, asn in peer_list:
        index += bytes((0b11 if v6 else 0b10,)) + struct.pack(">I", 0x0A000000 + asn)
        index += address.to_bytes(16 if v6 else 4, "big") + struct.pack(">I", asn)
    yield _record(13, 1, index)
    blobs: dict[tuple[bool, tuple[int, ...], tuple[int, ...]], bytes] = {}
    origin_attr = _attribute(1, b"\x00")
    hop4 = _attribute(3, bytes((192, 0, 2, 254)))
    hop6 = _attribute(
        14, bytes((16,)) + (0x2001_0DB8 << 96 | 0xFE).to_bytes(16, "big")
    )  # RFC 6396 §4.3.4 form
    for seq, (v6, net, length) in enumerate(table):
        entries = []
        for v, (_, _, peer_asn) in enumerate(peer_list):
            hops, as_set = path_of(seq, v, peer_asn, rng)
            key = (v6, tuple(hops), tuple(as_set))
            blob = blobs.get(key)
            if blob is None:
                blob = origin_attr + _as_path(hops, as_set) + (hop6 if v6 else hop4)
                if len(blobs) < 2_000_000:
                    blobs[key] = blob
            entries.append(struct.pack(">HIH", v, TIMESTAMP - 3600, len(blob)) + blob)
        body = struct.pack(">I", seq) + _nlri(v6, net, length) + struct.pack(">H", len(entries))
        yield _record(13, 4 if v6 else 2, body + b"".join(entries))


def update_records(table: list[tuple[bool, int, int]], vantages: int, seed: int) -> Iterator[bytes]:
    """Each peer announces the table, up to 8 prefixes of one family sharing a path per UPDATE; 1 % of the
    prefixes are withdrawn again at the end."""
    rng = random.Random(seed + 1)
    for v, (session_v6, address, peer_asn) in enumerate(peers(vantages)):
        alen = 16 if session_v6 else 4
        head = struct.pack(">IIHH", peer_asn, 12654, 0, 2 if session_v6 else 1)
        head += address.to_bytes(alen, "big") + (1 if session_v6 else 0x0A000001).to_bytes(alen, "big")
        batch: list[tuple[bool, int, int]] = []
        batch_path: tuple[list[int], list[int]] | None = None
        for seq, route in enumerate(table):
            path = path_of(seq, v, peer_asn, rng)
            if batch and (path != batch_path or route[0] != batch[0][0] or len(batch) == 8):
                yield _update(head, batch, batch_path, v)
                batch = []
            batch.append(route)
            batch_path = path
        if batch:
            yield _update(head, batch, batch_path, v)
        gone = [route for route in table if not route[0]][::100]
        for start in range(0, len(gone), 50):
            withdrawn = b"".join(_nlri(False, net, length) for _, net, length in gone[start : start + 50])
            yield _message(head, struct.pack(">H", len(withdrawn)) + withdrawn + b"\x00\x00", v)


def _update(
    head: bytes, batch: list[tuple[bool, int, int]], path: tuple[list[int], list[int]] | None, v: int
) -> bytes:
    assert path is not None
    nlri = b"".join(_nlri(v6, net, length) for v6, net, length in batch)
    attrs = _attribute(1, b"\x00") + _as_path(*path)
    if batch[0][0]:
        hop = (0x2001_0DB8 << 96 | 0xFE).to_bytes(16, "big")
        attrs += _attribute(14, struct.pack(">HBB", 2, 1, 16) + hop + b"\x00" + nlri)
        nlri = b""
    else:
        attrs += _attribute(3, bytes((192, 0, 2, 254)))
    return _message(head, b"\x00\x00" + struct.pack(">H", len(attrs)) + attrs + nlri, v)


def _message(head: bytes, update: bytes, v: int) -> bytes:
    message = b"\xff" * 16 + struct.pack(">HB", 19 + len(update), 2) + update
    return _record(17, 4, struct.pack(">I", v * 1000) + head + message)  # BGP4MP_ET / MESSAGE_AS4


def write(path: Path, records: Iterator[bytes]) -> int:
    """gzip level 1: RIS publishes gzip, and a fast level keeps generation out of the way."""
    written = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        chunk: list[bytes] = []
        for record in records:
            chunk.append(record)
            if len(chunk) == 4096:
                written += out.write(b"".join(chunk))
                chunk = []
        written += out.write(b"".join(chunk))
    return written


def generate(out: Path, routes: int, vantages: int, updates_peers: int = 0, seed: int = 1) -> list[Path]:
    """The RIB (`routes` routes over `vantages` peers) and, when asked, the updates file; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    table = prefixes(max(1, routes // vantages), random.Random(seed))
    rib = out / "gen-rib.20240601.0000.gz"
    write(rib, rib_records(table, vantages, seed))
    files = [rib]
    if updates_peers:
        updates = out / "gen-updates.20240601.0005.gz"
        write(updates, update_records(table, updates_peers, seed))
        files.append(updates)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--routes",
        type=int,
        default=10_000_000,
        help="RIB routes (the 100 M-route goal is two files of 60000000: bench/README.md)",
    )
    parser.add_argument("--vantages", type=int, default=30)
    parser.add_argument(
        "--updates-peers", type=int, default=0, help="peers re-announcing the table as updates"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    for path in generate(args.out, args.routes, args.vantages, args.updates_peers, args.seed):
        print(f"{path}: {path.stat().st_size / 1e6:,.1f} MB compressed")
    print(f"generated in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
