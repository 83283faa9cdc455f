"""Write small MRT files (RFC 6396 / RFC 8050) byte by byte, so every edge case has a fixture we control.

Encoding here is written from the RFCs independently of `bot.routing.mrt`, which only decodes: a round
trip through both is evidence that the reader follows the wire format, not just itself.
"""

from __future__ import annotations

import bz2
import gzip
import ipaddress
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

AS_SET, AS_SEQUENCE, AS_CONFED_SEQUENCE, AS_CONFED_SET = 1, 2, 3, 4
Segment = tuple[int, Sequence[int]]


def record(timestamp: int, rtype: int, subtype: int, body: bytes, microseconds: int | None = None) -> bytes:
    """MRT common header (+ the _ET microsecond field, which RFC 6396 §3 counts in the length)."""
    if microseconds is not None:
        body = struct.pack(">I", microseconds) + body
    return struct.pack(">IHHI", timestamp, rtype, subtype, len(body)) + body


def attribute(code: int, value: bytes, flags: int = 0x40) -> bytes:
    """One path attribute; values over 255 bytes get the extended-length flag (RFC 4271 §4.3)."""
    if len(value) > 255:
        return struct.pack(">BBH", flags | 0x10, code, len(value)) + value
    return struct.pack(">BBB", flags, code, len(value)) + value


def as_path_value(segments: Iterable[Segment], asn_size: int) -> bytes:
    code = "I" if asn_size == 4 else "H"
    return b"".join(struct.pack(f">BB{len(asns)}{code}", kind, len(asns), *asns) for kind, asns in segments)


def nlri(prefixes: Iterable[str], path_ids: Sequence[int] | None = None) -> bytes:
    """Prefixes in NLRI encoding, optionally each preceded by an ADD-PATH path identifier (RFC 7911)."""
    out = b""
    for index, text in enumerate(prefixes):
        net = ipaddress.ip_network(text, strict=False)
        octets = (net.prefixlen + 7) // 8
        if path_ids is not None:
            out += struct.pack(">I", path_ids[index])
        out += bytes((net.prefixlen,)) + net.network_address.packed[:octets]
    return out


def path_attributes(
    segments: Iterable[Segment],
    asn_size: int = 4,
    as4_segments: Iterable[Segment] | None = None,
    extra: bytes = b"",
) -> bytes:
    """ORIGIN, AS_PATH (+ AS4_PATH, optional transitive) and NEXT_HOP, then any extra attributes."""
    out = attribute(1, b"\x00") + attribute(2, as_path_value(segments, asn_size))
    if as4_segments is not None:
        out += attribute(17, as_path_value(as4_segments, 4), flags=0xC0)
    return out + attribute(3, bytes((192, 0, 2, 1))) + extra


def mp_reach_full(prefixes: Iterable[str], safi: int = 1, path_ids: Sequence[int] | None = None) -> bytes:
    """MP_REACH_NLRI for IPv6 as sent in a BGP UPDATE (RFC 4760 §3)."""
    hop = ipaddress.ip_address("2001:db8::1").packed
    value = struct.pack(">HBB", 2, safi, len(hop)) + hop + b"\x00" + nlri(prefixes, path_ids)
    return attribute(14, value, flags=0x80)


def mp_unreach(prefixes: Iterable[str], afi: int = 2, safi: int = 1) -> bytes:
    return attribute(15, struct.pack(">HB", afi, safi) + nlri(prefixes), flags=0x80)


def mp_reach_abbreviated() -> bytes:
    """The next-hop-only MP_REACH_NLRI form TABLE_DUMP_V2 RIB entries carry (RFC 6396 §4.3.4)."""
    hop = ipaddress.ip_address("2001:db8::1").packed
    return attribute(14, bytes((len(hop),)) + hop, flags=0x80)


@dataclass(frozen=True)
class Peer:
    ip: str
    asn: int
    bgp_id: str = "192.0.2.254"


def peer_index_table(peers: Sequence[Peer], collector: str = "198.51.100.1", view: str = "test") -> bytes:
    body = ipaddress.ip_address(collector).packed + struct.pack(">H", len(view)) + view.encode()
    body += struct.pack(">H", len(peers))
    for peer in peers:
        address = ipaddress.ip_address(peer.ip)
        as4 = peer.asn > 0xFFFF
        body += bytes(((2 if as4 else 0) | (1 if address.version == 6 else 0),))
        body += ipaddress.ip_address(peer.bgp_id).packed + address.packed
        body += struct.pack(">I" if as4 else ">H", peer.asn)
    return record(1_400_000_000, 13, 1, body)


@dataclass(frozen=True)
class RibEntry:
    peer_index: int
    attributes: bytes
    path_id: int | None = None


def rib(
    timestamp: int, sequence: int, prefix: str, entries: Sequence[RibEntry], multicast: bool = False
) -> bytes:
    """RIB_IPV4/IPV6_UNICAST (or _MULTICAST), ADD-PATH subtypes (RFC 8050) when entries carry path ids."""
    net = ipaddress.ip_network(prefix, strict=False)
    addpath = entries[0].path_id is not None
    subtype = (4 if net.version == 6 else 2) + (1 if multicast else 0) + (6 if addpath else 0)
    body = struct.pack(">I", sequence) + nlri([prefix]) + struct.pack(">H", len(entries))
    for entry in entries:
        body += struct.pack(">HI", entry.peer_index, timestamp - 60)
        if entry.path_id is not None:
            body += struct.pack(">I", entry.path_id)
        body += struct.pack(">H", len(entry.attributes)) + entry.attributes
    return record(timestamp, 13, subtype, body)


def table_dump_v1(timestamp: int, prefix: str, peer: Peer, attributes: bytes, sequence: int = 0) -> bytes:
    """Legacy TABLE_DUMP (RFC 6396 §4.2): one route per record, 2-byte ASNs. `prefix` may carry host bits."""
    iface = ipaddress.ip_interface(prefix)
    v6 = iface.version == 6
    body = struct.pack(">HH", 0, sequence) + iface.ip.packed + bytes((iface.network.prefixlen, 1))
    body += struct.pack(">I", timestamp - 60) + ipaddress.ip_address(peer.ip).packed
    body += struct.pack(">HH", peer.asn, len(attributes)) + attributes
    return record(timestamp, 12, 2 if v6 else 1, body)


def bgp_update(withdrawn: bytes = b"", attributes: bytes = b"", announced: bytes = b"") -> bytes:
    body = struct.pack(">H", len(withdrawn)) + withdrawn + struct.pack(">H", len(attributes)) + attributes
    body += announced
    return b"\xff" * 16 + struct.pack(">HB", 19 + len(body), 2) + body


def keepalive() -> bytes:
    return b"\xff" * 16 + struct.pack(">HB", 19, 4)


def bgp4mp(
    timestamp: int,
    peer: Peer,
    message: bytes,
    *,
    as4: bool = True,
    addpath: bool = False,
    local: bool = False,
    microseconds: int | None = None,
    local_asn: int = 12654,
) -> bytes:
    """BGP4MP(_ET) MESSAGE / _AS4 / _LOCAL / _ADDPATH. The header always lists the peer first and the
    collector second (RFC 6396 §4.4.3); _LOCAL only says the collector sent this message to the peer."""
    subtype = {(False, False): 1, (True, False): 4, (False, True): 6, (True, True): 7}[(as4, local)]
    if addpath:
        subtype = {1: 8, 4: 9, 6: 10, 7: 11}[subtype]
    body = _bgp4mp_header(subtype, peer, Peer(_collector_ip(peer), local_asn), as4) + message
    return _bgp4mp_record(timestamp, subtype, body, microseconds)


def state_change(
    timestamp: int, peer: Peer, old: int, new: int, *, as4: bool = True, microseconds: int | None = None
) -> bytes:
    subtype = 5 if as4 else 0
    local = Peer(_collector_ip(peer), 12654)
    body = _bgp4mp_header(subtype, peer, local, as4) + struct.pack(">HH", old, new)
    return _bgp4mp_record(timestamp, subtype, body, microseconds)


def _collector_ip(peer: Peer) -> str:
    """The collector's side of the session, in the peer's address family as RFC 6396 §4.4 requires."""
    return "198.51.100.1" if ipaddress.ip_address(peer.ip).version == 4 else "2001:db8::fe"


def _bgp4mp_header(subtype: int, first: Peer, second: Peer, as4: bool) -> bytes:
    first_ip, second_ip = ipaddress.ip_address(first.ip), ipaddress.ip_address(second.ip)
    code = ">IIHH" if as4 else ">HHHH"
    head = struct.pack(code, first.asn, second.asn, 0, 2 if first_ip.version == 6 else 1)
    return head + first_ip.packed + second_ip.packed


def _bgp4mp_record(timestamp: int, subtype: int, body: bytes, microseconds: int | None) -> bytes:
    return record(timestamp, 16 if microseconds is None else 17, subtype, body, microseconds)


def write(path: Path, records: Iterable[bytes], compression: str = "plain", cut: int | None = None) -> Path:
    """Write records plain, gzip or bzip2; `cut` keeps only that many bytes of the final file (a cut download)."""
    data = b"".join(records)
    if compression == "gzip":
        data = gzip.compress(data)
    elif compression == "bzip2":
        data = bz2.compress(data)
    path.write_bytes(data if cut is None else data[:cut])
    return path
