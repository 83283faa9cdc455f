"""Streaming MRT reader (RFC 6396, RFC 8050): BGP routes out of RIB dumps and update files.

Built for throughput: records are decoded in place with `struct.unpack_from` on one buffer, path attributes
are decoded once per distinct attribute blob (RIB dumps repeat the same blob across thousands of entries)
and prefixes once per distinct NLRI encoding, and peer/prefix strings are shared. An import (`read_rows`)
decodes BGP4MP UPDATE records a batch at a time in numpy instead (`bot.routing.mrt_updates`), leaving
every shape that batch does not take to the record-at-a-time code, in its place in the file.

AS paths: AS4_PATH is merged into a 2-byte AS_PATH per RFC 6793 §4.2.3; an AS_SET becomes one frozenset
element; AS_CONFED_SEQUENCE / AS_CONFED_SET segments are dropped, because they only describe hops inside
the collector peer's own confederation (RFC 5065 §5.3 strips them at the confederation border and they
never count towards path length), so they say nothing about inter-domain routing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, TypeVar, cast

import numpy as np
import numpy.typing as npt

from bot.net.decompress import Inflater, StreamReport
from bot.routing import mrt_updates

AsPath = tuple[int | frozenset[int], ...]


class RouteEvent(NamedTuple):
    """One route fact from an MRT file; `kind` B = RIB entry, A = announce, W = withdraw, D = peer down."""

    kind: str
    timestamp: int
    peer_ip: str
    peer_asn: int
    prefix: str
    as_path: AsPath
    path_id: int | None


# One NLRI field: (is IPv6, each prefix's wire encoding = length byte + significant octets, ADD-PATH ids or None).
Nlri = tuple[bool, list[bytes], list[int] | None]


class RouteRows(Protocol):
    """Where `MrtReader.read_rows` puts routes as integers: the reader keeps no per-route object or text."""

    withdrawn: int  # the path id of a withdrawal row

    def vantage(self, peer_raw: bytes, peer_asn: int) -> int:
        """The id of a peer (its address as wire bytes); the reader asks once per peer."""

    def path_id(self, path: AsPath) -> int:
        """The id of an AS path; the reader asks once per distinct attribute block it decodes."""

    def add(self, vantage: int, path_id: int, nlri: Nlri) -> None:
        """The prefixes of one NLRI field, all with the same path (or `withdrawn`), in order."""

    def add_rib(
        self, prefix: bytes, v6: bool, vantages: list[int], add_path_ids: list[int], path_ids: list[int]
    ) -> None:
        """One RIB record: a prefix with an entry per vantage (its ADD-PATH id and path id), in order."""

    def add_updates(self, routes: mrt_updates.UpdateRoutes) -> None:
        """A run of UPDATE records' routes, decoded together (`mrt_updates`)."""

    def down(self, vantage: int) -> None:
        """The peer's session went down: its routes so far are void."""


_R = TypeVar("_R")


class MrtFormatError(ValueError):
    """The input is not MRT at all (or is empty); the message says what it looked like instead."""


@dataclass
class MrtReport(StreamReport):
    """What was read and what was lost, so an import can state how complete its data is."""

    records: int = 0
    events: int = 0
    skipped_corrupt: int = 0
    skipped_unsupported: int = 0
    skipped_no_peer_index: int = 0
    malformed_nlri: int = 0
    multicast_skipped: int = 0
    peers_seen: int = 0
    truncated: bool = False
    bytes_read: int = 0
    bytes_lost_estimate: int = 0
    records_lost_estimate: int = 0
    events_lost_estimate: int = 0
    first_timestamp: int | None = None
    last_timestamp: int | None = None
    record_types: Counter[str] = field(default_factory=Counter)
    collector_bgp_id: str | None = None
    view_name: str | None = None
    peer_index_size: int | None = None
    errors: list[str] = field(default_factory=list)
    peer_keys: set[tuple[bytes, int]] = field(default_factory=set, repr=False)  # (address bytes, ASN)

    def note_error(self, message: str) -> None:
        """Keep the first few problems verbatim; the counters carry the totals."""
        if len(self.errors) < MAX_ERROR_MESSAGES:
            self.errors.append(message)

    def estimate_loss(self) -> None:
        """Records and routes lost to a cut, from the bytes lost at the average record size read."""
        if self.truncated and self.records:
            per_record = self.bytes_read / self.records
            self.records_lost_estimate = max(1, round(self.bytes_lost_estimate / per_record))
            self.events_lost_estimate = round(self.records_lost_estimate * self.events / self.records)

    @classmethod
    def of_parts(cls, parts: list[MrtReport]) -> MrtReport:
        """One file's report from the reports of its parts (`MrtReader(part=...)`), in part order."""
        last = parts[-1]
        merged = cls(
            compression=last.compression,
            compressed_bytes=last.compressed_bytes,
            truncation_reason=last.truncation_reason,
            truncated=last.truncated,
            bytes_lost_estimate=last.bytes_lost_estimate,
            last_timestamp=last.last_timestamp,
            collector_bgp_id=last.collector_bgp_id,
            view_name=last.view_name,
            peer_index_size=last.peer_index_size,
            peer_keys=set().union(*(p.peer_keys for p in parts)),
            first_timestamp=next((p.first_timestamp for p in parts if p.first_timestamp is not None), None),
        )
        for name in (
            "records",
            "events",
            "skipped_corrupt",
            "skipped_unsupported",
            "skipped_no_peer_index",
            "malformed_nlri",
            "multicast_skipped",
            "bytes_read",
        ):
            setattr(merged, name, sum(getattr(p, name) for p in parts))
        for part in parts:
            merged.record_types.update(part.record_types)
            for error in part.errors:
                merged.note_error(error)
        merged.peers_seen = len(merged.peer_keys)
        merged.estimate_loss()
        return merged

    def summary(self) -> str:
        """One line for logs and answers: counts first, then anything that was lost."""
        text = f"{self.records:,} records, {self.events:,} routes"
        skipped = self.skipped_corrupt + self.skipped_no_peer_index
        if skipped:
            text += f", {skipped:,} corrupt/unusable records skipped"
        if self.skipped_unsupported:
            text += f", {self.skipped_unsupported:,} records of unsupported types ignored"
        if self.truncated:
            text += (
                f"; TRUNCATED ({self.truncation_reason}): about {self.bytes_lost_estimate:,} bytes "
                f"(~{self.records_lost_estimate:,} records, ~{self.events_lost_estimate:,} routes) lost"
            )
        return text


MAX_ERROR_MESSAGES = 20
MAX_RECORD_LENGTH = 16 * 1024 * 1024  # far above any real record (a 1000-peer RIB record is < 1 MiB)
_STRETCH = 2 * 1024 * 1024  # decompressed bytes read before their records are decoded (see `_stretches`)
_CACHE_LIMIT = 150_000  # distinct attribute blobs / NLRI encodings kept before the caches are reset (memory)

T_TABLE_DUMP, T_TABLE_DUMP_V2, T_BGP4MP, T_BGP4MP_ET = 12, 13, 16, 17
ESTABLISHED = 6

_TYPE_NAMES = {
    11: "OSPFv2",
    12: "TABLE_DUMP",
    13: "TABLE_DUMP_V2",
    16: "BGP4MP",
    17: "BGP4MP_ET",
    32: "ISIS",
    33: "ISIS_ET",
    48: "OSPFv3",
    49: "OSPFv3_ET",
}
_SUBTYPE_NAMES = {
    12: {1: "AFI_IPv4", 2: "AFI_IPv6"},
    13: {
        1: "PEER_INDEX_TABLE",
        2: "RIB_IPV4_UNICAST",
        3: "RIB_IPV4_MULTICAST",
        4: "RIB_IPV6_UNICAST",
        5: "RIB_IPV6_MULTICAST",
        6: "RIB_GENERIC",
        8: "RIB_IPV4_UNICAST_ADDPATH",
        9: "RIB_IPV4_MULTICAST_ADDPATH",
        10: "RIB_IPV6_UNICAST_ADDPATH",
        11: "RIB_IPV6_MULTICAST_ADDPATH",
        12: "RIB_GENERIC_ADDPATH",
    },
    16: {
        0: "STATE_CHANGE",
        1: "MESSAGE",
        4: "MESSAGE_AS4",
        5: "STATE_CHANGE_AS4",
        6: "MESSAGE_LOCAL",
        7: "MESSAGE_AS4_LOCAL",
        8: "MESSAGE_ADDPATH",
        9: "MESSAGE_AS4_ADDPATH",
        10: "MESSAGE_LOCAL_ADDPATH",
        11: "MESSAGE_AS4_LOCAL_ADDPATH",
    },
}
_SUBTYPE_NAMES[17] = _SUBTYPE_NAMES[16]
_MAX_SUBTYPE = {11: 1000, 12: 2, 13: 12, 16: 11, 17: 11, 32: 1000, 33: 1000, 48: 1000, 49: 1000}

# TABLE_DUMP_V2 RIB subtypes -> (is IPv6, has ADD-PATH ids); multicast carries no unicast routes.
_RIB_UNICAST = {2: (False, False), 4: (True, False), 8: (False, True), 10: (True, True)}
_RIB_MULTICAST = {3: (False, False), 5: (True, False), 9: (False, True), 11: (True, True)}
_BGP4MP_AS4 = {4, 5, 7, 9, 11}
_BGP4MP_LOCAL = {6, 7, 10, 11}
_BGP4MP_ADDPATH = {8, 9, 10, 11}
_BGP4MP_MESSAGES = {1, 4, 6, 7, 8, 9, 10, 11}
_BGP4MP_TYPES = (T_BGP4MP, T_BGP4MP_ET)

_HEADER = struct.Struct(">IHHI")
_RIB_ENTRY = struct.Struct(">H4xH")  # peer index, originated time, attribute length
_RIB_ENTRY_ADDPATH = struct.Struct(">H4xIH")
_ONE_SEQUENCE = [struct.Struct(f">{count}I") for count in range(256)]  # a 4-byte AS_PATH of one AS_SEQUENCE
_MARKER = b"\xff" * 16
_new_event = tuple.__new__


class _Corrupt(Exception):
    """A record whose bytes contradict their own lengths; it is skipped and counted, never fatal."""


def _record_name(rtype: int, subtype: int) -> str:
    name = _TYPE_NAMES.get(rtype, f"type{rtype}")
    return f"{name}/{_SUBTYPE_NAMES.get(rtype, {}).get(subtype, subtype)}"


def looks_like_mrt(head: bytes) -> bool:
    """True when the first decompressed bytes hold plausible MRT headers (the first two, when present)."""
    if len(head) < _HEADER.size:
        return False
    pos = 0
    checked = 0
    while pos + _HEADER.size <= len(head) and checked < 2:
        _, rtype, subtype, length = _HEADER.unpack_from(head, pos)
        if rtype not in _MAX_SUBTYPE or subtype > _MAX_SUBTYPE[rtype] or length > MAX_RECORD_LENGTH:
            return False
        if rtype in _SUBTYPE_NAMES and subtype not in _SUBTYPE_NAMES[rtype]:
            return False
        checked += 1
        pos += _HEADER.size + length
    return True


def prefix_text(raw: bytes, v6: bool) -> str:
    """`raw` is the NLRI encoding (length byte + significant octets); host bits are cleared like bgpdump."""
    plen = raw[0]
    if plen > (128 if v6 else 32):
        raise _Corrupt(f"prefix length /{plen} is too long")
    addr = bytearray(raw[1:])
    spare = plen & 7
    if spare:
        addr[-1] &= (0xFF << (8 - spare)) & 0xFF
    addr.extend(bytes((16 if v6 else 4) - len(addr)))
    return f"{socket.inet_ntop(socket.AF_INET6 if v6 else socket.AF_INET, bytes(addr))}/{plen}"


def _segments(blob: bytes, pos: int, end: int, asn_size: int) -> list[tuple[int, tuple[int, ...]]]:
    code = "I" if asn_size == 4 else "H"
    segments = []
    while pos < end:
        if pos + 2 > end:
            raise _Corrupt("AS_PATH segment header cut short")
        seg_type, count = blob[pos], blob[pos + 1]
        pos += 2
        if seg_type not in (1, 2, 3, 4) or pos + count * asn_size > end:
            raise _Corrupt(f"bad AS_PATH segment (type {seg_type}, {count} ASNs)")
        segments.append((seg_type, struct.unpack_from(f">{count}{code}", blob, pos)))
        pos += count * asn_size
    return segments


def _path_length(segments: list[tuple[int, tuple[int, ...]]]) -> int:
    """RFC 4271 §9.1.2.2: a sequence counts per AS, a set counts 1, confederation segments count 0."""
    return sum(len(asns) if kind == 2 else 1 if kind == 1 else 0 for kind, asns in segments)


def _merge_as4(
    old: list[tuple[int, tuple[int, ...]]], new: list[tuple[int, tuple[int, ...]]]
) -> list[tuple[int, tuple[int, ...]]]:
    """RFC 6793 §4.2.3: keep the leading part of AS_PATH that AS4_PATH does not cover, then AS4_PATH."""
    keep = _path_length(old) - _path_length(new)
    if keep < 0:
        return old
    merged: list[tuple[int, tuple[int, ...]]] = []
    for kind, asns in old:
        if keep <= 0:
            break
        if kind == 2:
            merged.append((kind, asns[:keep]))
            keep -= len(asns[:keep])
        else:
            merged.append((kind, asns))
            keep -= kind == 1
    return merged + [(kind, asns) for kind, asns in new if kind in (1, 2)]


def _flatten(segments: list[tuple[int, tuple[int, ...]]]) -> AsPath:
    path: list[int | frozenset[int]] = []
    for kind, asns in segments:
        if kind == 2:
            path.extend(asns)
        elif kind == 1:
            path.append(frozenset(asns))
    return tuple(path)


class _Attrs(NamedTuple):
    as_path: AsPath
    announced: list[Nlri]
    withdrawn: list[Nlri]
    multicast_skipped: int


class _Message(NamedTuple):
    """What one BGP4MP record says, before it becomes events or rows."""

    peer_raw: bytes
    peer_asn: int
    down: bool
    withdrawn: list[Nlri]
    announced: list[Nlri]
    as_path: AsPath


_NO_ATTRS = _Attrs((), [], [], 0)
_MpNlri = tuple[bool, Nlri] | None  # (is multicast, its prefixes)


class MrtReader:
    """Iterate `RouteEvent`s from an MRT file or binary stream, or put its routes straight into integer
    rows (`read_rows`, what an import uses); `report` fills in while reading.

    Multicast routes (SAFI 2, and the RIB_*_MULTICAST subtypes) are left out and counted by default: they
    steer multicast RPF, not unicast forwarding, so mixing them in would give wrong IP -> AS answers.

    `part=(k, n)` reads only the k-th of n parts of a file, so n processes can share one big RIB: a record
    belongs to the part whose share of the *compressed* file holds the stream position at which the record
    was completed. Every part decodes the same stream the same way, so the n parts together yield exactly
    the whole file's events, in order, each once; the PEER_INDEX_TABLE is read by every part, counted by
    its owner. Part k stops decompressing after its share (and so decompresses the shares before it too:
    see `bot.routing.rib_workers` for why compressed files are split all the same).
    """

    _rows: RouteRows  # set by `read_rows`, used only by the row handlers

    def __init__(
        self, source: Path | BinaryIO, *, include_multicast: bool = False, part: tuple[int, int] = (0, 1)
    ) -> None:
        self.source = source
        self.include_multicast = include_multicast
        self.part = part
        self._rib_subtypes = _RIB_UNICAST | _RIB_MULTICAST if include_multicast else _RIB_UNICAST
        self.report = MrtReport()
        self._peer_ips: dict[bytes, str] = {}
        self._v4_prefixes: dict[bytes, str] = {}
        self._v6_prefixes: dict[bytes, str] = {}
        self._rib_paths: dict[bytes, AsPath] = {}
        self._v1_paths: dict[bytes, AsPath] = {}
        self._paths: dict[tuple[bytes, bytes | None, int], AsPath] = {}
        self._update_attrs: dict[tuple[bytes, int, bool], _Attrs] = {}
        self._peer_table: list[tuple[str, int]] | None = None
        self._peer_raws: list[tuple[bytes, int]] = []
        # rows mode: where the routes go, each peer's and each attribute block's id
        self._peer_vantages: list[int] = []
        self._vantages: dict[tuple[bytes, int], int] = {}
        self._rib_path_ids: dict[bytes, int] = {}
        self._v1_path_ids: dict[bytes, int] = {}

    @property
    def name(self) -> str:
        if isinstance(self.source, Path):
            return self.source.name
        return str(getattr(self.source, "name", "stream"))

    def __iter__(self) -> Iterator[RouteEvent]:
        handlers = {
            T_TABLE_DUMP: self._table_dump,
            T_TABLE_DUMP_V2: self._table_dump_v2,
            T_BGP4MP: self._bgp4mp,
            T_BGP4MP_ET: self._bgp4mp_et,
        }
        with self._open() as raw:
            for _, events in self._scan(raw, handlers):
                self.report.events += len(events)
                yield from events

    def read_rows(self, rows: RouteRows) -> tuple[int, int] | None:
        """Every route into `rows` as integers, in file order (the same routes `iter` yields as events);
        returns the (first, last) timestamp of the records that held routes, None when none did."""
        self._rows = rows
        self._vantages.clear()
        self._rib_path_ids.clear()
        self._v1_path_ids.clear()
        handlers = {
            T_TABLE_DUMP: self._table_dump_rows,
            T_TABLE_DUMP_V2: self._table_dump_v2_rows,
            T_BGP4MP: self._bgp4mp_rows,
            T_BGP4MP_ET: self._bgp4mp_et_rows,
        }
        first = last = None
        with self._open() as raw:
            for ts, count in self._scan(
                raw, handlers, lambda buf, batch: self._updates(buf, batch, handlers)
            ):
                self.report.events += count
                if first is None:
                    first = ts
                last = ts
        return None if first is None or last is None else (first, last)

    @contextlib.contextmanager
    def _open(self) -> Iterator[BinaryIO]:
        if isinstance(self.source, Path):
            with self.source.open("rb") as raw:
                yield raw
        else:
            yield self.source

    # -- record framing -------------------------------------------------------------------------------

    def _scan(
        self,
        raw: BinaryIO,
        handlers: Mapping[int, Callable[[bytes, int, int, int, int], _R]],
        decode_batch: Callable[[bytes, array[int]], Iterator[tuple[int, _R]]] | None = None,
    ) -> Iterator[tuple[int, _R]]:
        """(timestamp, handler result) of each record of this part that yields anything, in file order.
        With `decode_batch` (rows mode: `_updates`) BGP4MP records are collected and decoded a batch at a
        time, each batch before the next record decoded on its own and before the buffer moves on; a batch
        yields fewer pairs than records, with the same sum and first and last timestamps."""
        batch = array("q")  # (position, record number) of each BGP4MP record not yet decoded
        report = self.report = MrtReport()
        self._peer_table = None
        inflater = Inflater(raw, report)
        unpack_header = _HEADER.unpack_from
        names: dict[tuple[int, int], str] = {}
        buf = b""
        pos = 0
        started = False
        for chunk, mine, past in self._stretches(inflater, raw):
            buf = buf[pos:] + chunk if pos < len(buf) else chunk
            pos = 0
            if not started:
                self._check_head(buf)
                started = True
            size = len(buf)
            while size - pos >= 12:
                ts, rtype, subtype, length = unpack_header(buf, pos)
                end = pos + 12 + length
                if length > MAX_RECORD_LENGTH or rtype not in _MAX_SUBTYPE:
                    pos = self._resync(buf, pos, ts, counted=mine)
                    continue
                if end > size:
                    break
                if not mine:
                    report.last_timestamp = ts  # resynchronising needs it; the owner counts the record
                    if rtype == T_TABLE_DUMP_V2 and subtype == 1:
                        with contextlib.suppress(_Corrupt, struct.error, IndexError, ValueError):
                            self._peer_index(buf, pos + 12, end)
                    pos = end
                    continue
                key = (rtype, subtype)
                name = names.get(key)
                if name is None:
                    name = names[key] = _record_name(rtype, subtype)
                if report.first_timestamp is None:
                    report.first_timestamp = ts
                if decode_batch is not None and rtype in _BGP4MP_TYPES:
                    # this record and the sane ones of the same kind right after it, onto the batch
                    first, number = pos, report.records
                    while True:
                        number += 1
                        batch.extend((pos, number))
                        pos, last = end, ts
                        if size - pos < 12:
                            break
                        ts, next_type, next_subtype, length = unpack_header(buf, pos)
                        end = pos + 12 + length
                        if (
                            next_type != rtype
                            or next_subtype != subtype
                            or length > MAX_RECORD_LENGTH
                            or end > size
                        ):
                            break
                    report.record_types[name] += number - report.records
                    report.records = number
                    report.bytes_read += pos - first
                    report.last_timestamp = last
                    continue
                report.record_types[name] += 1
                report.records += 1
                report.bytes_read += end - pos
                report.last_timestamp = ts
                handler = handlers.get(rtype)
                if handler is None:
                    report.skipped_unsupported += 1
                    pos = end
                    continue
                if decode_batch is not None and batch:
                    yield from decode_batch(buf, batch)
                out = self._decode_one(handler, buf, pos, end, report.records)
                pos = end
                if out:
                    yield ts, out
            if decode_batch is not None and batch:
                yield from decode_batch(buf, batch)
            for cache in (
                self._rib_paths,
                self._v1_paths,
                self._update_attrs,
                self._paths,
                self._rib_path_ids,
                self._v1_path_ids,
            ):
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
            if past:
                return  # the rest belongs to later parts, and so does any loss at the end
        if not started:
            where = "decompresses to nothing" if report.compression != "plain" else "is empty"
            raise MrtFormatError(f"{self.name} {where}: no MRT records to read")
        self._finish(buf, pos, inflater)

    def _stretches(self, inflater: Inflater, raw: BinaryIO) -> Iterator[tuple[bytes, bool, bool]]:
        """The decompressed stream in stretches of about `_STRETCH` bytes, each with whether its records are
        this part's and whether it reaches past the part's share. A record is this part's when the
        compressed position at which its last byte came out lies in the share; the decompressor's own
        chunks (~32 KiB of input) are joined only while that answer stays the same, so it is the same
        answer as chunk by chunk, with fewer, larger batches for `mrt_updates`."""
        share_start, share_end = self._share(raw)
        held: list[bytes] = []
        size = 0
        mine = True
        for chunk in inflater.chunks():
            at = self.report.compressed_bytes
            if held and (share_start < at <= share_end) != mine:
                yield b"".join(held), mine, False
                held, size = [], 0
            mine, past = share_start < at <= share_end, at > share_end
            held.append(chunk)
            size += len(chunk)
            if size >= _STRETCH or past:
                yield b"".join(held), mine, past
                held, size = [], 0
                if past:
                    return
        if held:
            yield b"".join(held), mine, False

    def _decode_one(
        self, handler: Callable[[bytes, int, int, int, int], _R], buf: bytes, pos: int, end: int, number: int
    ) -> _R | None:
        """The handler's result for the record at `pos` (record `number` of the part); None, counted and
        noted, when the record turns out corrupt."""
        ts, rtype, subtype = _HEADER.unpack_from(buf, pos)[:3]
        try:
            return handler(buf, pos + 12, end, ts, subtype)
        except (_Corrupt, struct.error, IndexError, ValueError, OSError) as exc:
            self.report.skipped_corrupt += 1
            self.report.note_error(f"record {number} ({_record_name(rtype, subtype)}) at byte {pos:,}: {exc}")
            return None

    def _share(self, raw: BinaryIO) -> tuple[float, float]:
        """(start, end] of this part's share of the compressed file; the whole file for a single part."""
        k, n = self.part
        if n == 1:
            return -1.0, float("inf")
        size = os.fstat(raw.fileno()).st_size
        return (size * k / n if k else -1.0), (size * (k + 1) / n if k + 1 < n else float("inf"))

    def _check_head(self, head: bytes) -> None:
        """Only the first header must be sane here: later corruption is the record loop's job."""
        if looks_like_mrt(head[: _HEADER.size]):
            return
        sample = head[:16]
        if sample[:1] in (b"<", b"{", b"[") or all(32 <= b < 127 or b in (9, 10, 13) for b in sample):
            what = f"it starts with text {sample.decode('ascii', 'replace')!r}"
        else:
            what = f"its first bytes ({sample.hex(' ')}) are not an MRT record header"
        raise MrtFormatError(f"{self.name} is not an MRT (RFC 6396) file: {what}")

    def _resync(self, buf: bytes, pos: int, ts: int, *, counted: bool = True) -> int:
        """Find the next plausible header after a corrupt one: same timestamp high bytes, sane fields."""
        report = self.report
        if counted:
            report.skipped_corrupt += 1
            report.note_error(f"corrupt MRT header at byte {pos:,}; resynchronising")
        stamp = (report.last_timestamp if report.last_timestamp is not None else ts).to_bytes(4, "big")[:2]
        probe = pos + 1
        while True:
            probe = buf.find(stamp, probe)
            if probe < 0 or probe + 12 > len(buf):
                return len(buf) - 11 if len(buf) - 11 > pos else pos + 1
            if looks_like_mrt(buf[probe : probe + 4096]):
                return probe
            probe += 1

    def _finish(self, buf: bytes, pos: int, inflater: Inflater) -> None:
        report = self.report
        leftover = len(buf) - pos
        missing_rest = 0
        if leftover >= 12:
            missing_rest = _HEADER.unpack_from(buf, pos)[3] + 12 - leftover
        if leftover and not inflater.stream_cut:
            report.truncation_reason = f"the last record is cut off ({leftover:,} of its bytes present)"
        if not (leftover or inflater.stream_cut):
            return
        report.truncated = True
        report.bytes_lost_estimate = leftover + max(missing_rest, inflater.undecoded_estimate())
        report.estimate_loss()

    # -- TABLE_DUMP (v1) ------------------------------------------------------------------------------

    def _table_dump_entry(
        self, buf: bytes, pos: int, end: int, subtype: int
    ) -> tuple[bool, bytes, bytes, int, bytes] | None:
        """(is IPv6, prefix encoding, peer address, peer ASN, attribute block) of a TABLE_DUMP record."""
        if subtype not in (1, 2):
            self.report.skipped_unsupported += 1
            return None
        v6 = subtype == 2
        alen = 16 if v6 else 4
        addr = buf[pos + 4 : pos + 4 + alen]
        pos += 4 + alen
        plen = buf[pos]
        if plen > alen * 8:
            raise _Corrupt(f"prefix length /{plen} is too long")
        pos += 6  # prefix length, status, originated time
        peer_raw = buf[pos : pos + alen]
        peer_asn, attr_len = struct.unpack_from(">HH", buf, pos + alen)
        pos += alen + 4
        if pos + attr_len > end:
            raise _Corrupt("attributes run past the record")
        prefix = bytes((plen,)) + addr[: (plen + 7) >> 3]
        return v6, prefix, peer_raw, peer_asn, buf[pos : pos + attr_len]

    def _v1_path(self, blob: bytes) -> AsPath:
        path = self._v1_paths.get(blob)
        return path if path is not None else self._rib_path(blob, 2, self._v1_paths)

    def _table_dump(self, buf: bytes, pos: int, end: int, ts: int, subtype: int) -> list[RouteEvent]:
        entry = self._table_dump_entry(buf, pos, end, subtype)
        if entry is None:
            return []
        v6, prefix, peer_raw, peer_asn, blob = entry
        event = (
            "B",
            ts,
            self._peer_ip(peer_raw),
            peer_asn,
            prefix_text(prefix, v6),
            self._v1_path(blob),
            None,
        )
        return [_new_event(RouteEvent, event)]

    def _table_dump_rows(self, buf: bytes, pos: int, end: int, ts: int, subtype: int) -> int:
        entry = self._table_dump_entry(buf, pos, end, subtype)
        if entry is None:
            return 0
        v6, prefix, peer_raw, peer_asn, blob = entry
        rows = self._rows
        q = self._v1_path_ids.get(blob)
        if q is None:
            q = self._v1_path_ids[blob] = rows.path_id(self._v1_path(blob))
        rows.add(self._vantage(peer_raw, peer_asn), q, (v6, [prefix], None))
        return 1

    # -- TABLE_DUMP_V2 --------------------------------------------------------------------------------

    def _rib_head(
        self, buf: bytes, pos: int, end: int, ts: int, subtype: int
    ) -> tuple[bool, bool, bytes, int, int] | None:
        """(is IPv6, has ADD-PATH ids, prefix encoding, entry count, first entry's position) of a RIB
        record; None for the records without unicast routes (the peer table is read, the rest counted)."""
        shape = self._rib_subtypes.get(subtype)
        if shape is None:
            if subtype == 1:
                self._peer_index(buf, pos, end)
            elif subtype in _RIB_MULTICAST:
                plen = buf[pos + 4]
                (count,) = struct.unpack_from(">H", buf, pos + 5 + ((plen + 7) >> 3))
                self.report.multicast_skipped += count
            else:  # RIB_GENERIC (other AFI/SAFI pairs) is counted, not decoded
                self.report.skipped_unsupported += 1
            return None
        if self._peer_table is None:
            self.report.skipped_no_peer_index += 1
            self.report.note_error(f"RIB record at {ts} comes before any PEER_INDEX_TABLE; skipped")
            return None
        v6, addpath = shape
        plen = buf[pos + 4]
        if plen > (128 if v6 else 32):
            raise _Corrupt(f"prefix length /{plen} is too long")
        stop = pos + 5 + ((plen + 7) >> 3)
        (count,) = struct.unpack_from(">H", buf, stop)
        return v6, addpath, buf[pos + 4 : stop], count, stop + 2

    def _rib_entries(
        self, buf: bytes, pos: int, end: int, addpath: bool, count: int
    ) -> tuple[list[int], list[int] | None, list[bytes]]:
        """A RIB record's entries as (peer indexes, ADD-PATH ids or None, attribute blocks)."""
        indexes: list[int] = []
        blobs: list[bytes] = []
        path_ids: list[int] | None = [] if addpath else None
        unpack_entry = (_RIB_ENTRY_ADDPATH if addpath else _RIB_ENTRY).unpack_from
        for _ in range(count):
            if path_ids is not None:
                index, path_id, attr_len = unpack_entry(buf, pos)
                path_ids.append(path_id)
                start = pos + 12
            else:
                index, attr_len = unpack_entry(buf, pos)
                start = pos + 8
            pos = start + attr_len
            if pos > end:
                raise _Corrupt("RIB entry runs past the record")
            indexes.append(index)
            blobs.append(buf[start:pos])
        return indexes, path_ids, blobs

    def _table_dump_v2(self, buf: bytes, pos: int, end: int, ts: int, subtype: int) -> list[RouteEvent]:
        head = self._rib_head(buf, pos, end, ts, subtype)
        if head is None:
            return []
        v6, addpath, raw, count, pos = head
        indexes, path_ids, blobs = self._rib_entries(buf, pos, end, addpath, count)
        cache = self._rib_paths
        paths = [cache[blob] if blob in cache else self._rib_path(blob, 4, cache) for blob in blobs]
        prefix = prefix_text(raw, v6)
        peers = self._peer_table or []
        ids: Iterable[int | None] = repeat(None) if path_ids is None else path_ids
        return [
            _new_event(RouteEvent, ("B", ts, *peers[index], prefix, path, path_id))
            for index, path, path_id in zip(indexes, paths, ids, strict=False)  # repeat() never ends
        ]

    def _table_dump_v2_rows(self, buf: bytes, pos: int, end: int, ts: int, subtype: int) -> int:
        head = self._rib_head(buf, pos, end, ts, subtype)
        if head is None:
            return 0
        v6, addpath, prefix, count, pos = head
        indexes, path_ids, blobs = self._rib_entries(buf, pos, end, addpath, count)
        ids, vantages = self._rib_path_ids, self._peer_vantages
        path_ids_of = [ids.get(blob) for blob in blobs]
        vantages_of = [vantages[index] for index in indexes]
        if None in path_ids_of or -1 in vantages_of:
            vantages_of, path_ids_of = self._new_rib_ids(indexes, blobs)
        self._rows.add_rib(prefix, v6, vantages_of, path_ids or [0] * count, cast("list[int]", path_ids_of))
        return count

    def _new_rib_ids(self, indexes: list[int], blobs: list[bytes]) -> tuple[list[int], list[int | None]]:
        """Ids for a record's entries when some vantage or path is new: every path decoded first (a corrupt
        one raises before anything got an id, as in event mode), then ids in entry order."""
        ids, paths, vantages = self._rib_path_ids, self._rib_paths, self._peer_vantages
        for blob in blobs:
            if blob not in ids and blob not in paths:
                self._rib_path(blob, 4, paths)
        vantages_of: list[int] = []
        path_ids_of: list[int | None] = []
        for index, blob in zip(indexes, blobs, strict=True):
            v = vantages[index]
            if v < 0:
                v = vantages[index] = self._vantage(*self._peer_raws[index])
            q = ids.get(blob)
            if q is None:
                q = ids[blob] = self._rows.path_id(paths[blob])
            vantages_of.append(v)
            path_ids_of.append(q)
        return vantages_of, path_ids_of

    def _peer_index(self, buf: bytes, pos: int, end: int) -> None:
        report = self.report
        report.collector_bgp_id = socket.inet_ntop(socket.AF_INET, buf[pos : pos + 4])
        (name_len,) = struct.unpack_from(">H", buf, pos + 4)
        report.view_name = buf[pos + 6 : pos + 6 + name_len].decode("utf-8", "replace")
        pos += 6 + name_len
        (count,) = struct.unpack_from(">H", buf, pos)
        pos += 2
        peers: list[tuple[str, int]] = []
        raws: list[tuple[bytes, int]] = []
        for _ in range(count):
            peer_type = buf[pos]
            alen = 16 if peer_type & 1 else 4
            pos += 5
            raw = buf[pos : pos + alen]
            pos += alen
            if peer_type & 2:
                (asn,) = struct.unpack_from(">I", buf, pos)
                pos += 4
            else:
                (asn,) = struct.unpack_from(">H", buf, pos)
                pos += 2
            peers.append((self._peer_ip(raw), asn))
            raws.append((raw, asn))
            report.peer_keys.add((raw, asn))
        if pos > end:
            raise _Corrupt("PEER_INDEX_TABLE runs past the record")
        self._peer_table = peers
        self._peer_raws = raws
        self._peer_vantages = [-1] * count
        report.peer_index_size = count
        report.peers_seen = len(report.peer_keys)

    # -- BGP4MP / BGP4MP_ET ---------------------------------------------------------------------------

    def _bgp4mp_et(self, buf: bytes, pos: int, end: int, ts: int, subtype: int) -> list[RouteEvent]:
        return self._bgp4mp(buf, pos + 4, end, ts, subtype)  # microseconds are below our resolution

    def _bgp4mp(self, buf: bytes, pos: int, end: int, ts: int, subtype: int) -> list[RouteEvent]:
        message = self._message(buf, pos, end, subtype)
        if message is None:
            return []
        peer_ip, peer_asn = self._peer_ip(message.peer_raw), message.peer_asn
        if message.down:
            return [_new_event(RouteEvent, ("D", ts, peer_ip, peer_asn, "", (), None))]
        events: list[RouteEvent] = []
        for nlri in message.withdrawn:
            events += self._events("W", ts, peer_ip, peer_asn, (), nlri)
        for nlri in message.announced:
            events += self._events("A", ts, peer_ip, peer_asn, message.as_path, nlri)
        return events

    def _events(
        self, kind: str, ts: int, peer_ip: str, peer_asn: int, path: AsPath, nlri: Nlri
    ) -> list[RouteEvent]:
        v6, raws, path_ids = nlri
        text = self._prefix_text
        ids: Iterable[int | None] = repeat(None) if path_ids is None else path_ids
        return [
            _new_event(RouteEvent, (kind, ts, peer_ip, peer_asn, text(raw, v6), path, path_id))
            for raw, path_id in zip(raws, ids, strict=False)  # repeat() never ends
        ]

    def _bgp4mp_et_rows(self, buf: bytes, pos: int, end: int, ts: int, subtype: int) -> int:
        return self._bgp4mp_rows(buf, pos + 4, end, ts, subtype)

    def _bgp4mp_rows(self, buf: bytes, pos: int, end: int, ts: int, subtype: int) -> int:
        message = self._message(buf, pos, end, subtype)
        if message is None:
            return 0
        rows = self._rows
        if message.down:
            rows.down(self._vantage(message.peer_raw, message.peer_asn))
            return 1
        count = 0
        v = q = -1
        for nlri in message.withdrawn:
            if nlri[1]:
                v = self._vantage(message.peer_raw, message.peer_asn) if v < 0 else v
                rows.add(v, rows.withdrawn, nlri)
                count += len(nlri[1])
        for nlri in message.announced:
            if nlri[1]:
                v = self._vantage(message.peer_raw, message.peer_asn) if v < 0 else v
                q = rows.path_id(message.as_path) if q < 0 else q
                rows.add(v, q, nlri)
                count += len(nlri[1])
        return count

    def _message(self, buf: bytes, pos: int, end: int, subtype: int) -> _Message | None:
        """A BGP4MP record decoded whole (None when it holds no routes), before any route is handed on."""
        as4 = subtype in _BGP4MP_AS4
        if as4:
            peer_asn, local_asn, _, afi = struct.unpack_from(">IIHH", buf, pos)
            pos += 12
        else:
            peer_asn, local_asn, _, afi = struct.unpack_from(">HHHH", buf, pos)
            pos += 8
        if afi == 1:
            alen = 4
        elif afi == 2:
            alen = 16
        else:
            raise _Corrupt(f"unknown address family {afi}")
        peer_raw = buf[pos : pos + alen]
        peer_keys = self.report.peer_keys
        if (peer_raw, peer_asn) not in peer_keys:
            peer_keys.add((peer_raw, peer_asn))
            self.report.peers_seen = len(peer_keys)
        if subtype in (0, 5):
            old_state, new_state = struct.unpack_from(">HH", buf, pos + 2 * alen)
            if old_state == ESTABLISHED and new_state != ESTABLISHED:
                return _new_event(_Message, (peer_raw, peer_asn, True, [], [], ()))
            return None
        if subtype not in _BGP4MP_MESSAGES:
            self.report.skipped_unsupported += 1
            return None
        if subtype in _BGP4MP_LOCAL:  # sent by the collector: the speaker is the local side (as bgpdump)
            peer_raw = buf[pos + alen : pos + 2 * alen]
            peer_asn = local_asn
        pos += 2 * alen
        if buf[pos : pos + 16] != _MARKER:
            raise _Corrupt("BGP message marker is not all ones")
        msg_len, msg_type = struct.unpack_from(">HB", buf, pos + 16)
        msg_end = pos + msg_len
        if msg_type != 2:  # OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH carry no routes
            return None
        if msg_len < 23 or msg_end > end:
            raise _Corrupt(f"BGP UPDATE length {msg_len} does not fit the record")
        return self._update(buf, pos + 19, msg_end, peer_raw, peer_asn, as4, subtype)

    def _update(
        self, buf: bytes, pos: int, end: int, peer_raw: bytes, peer_asn: int, as4: bool, subtype: int
    ) -> _Message:
        addpath = subtype in _BGP4MP_ADDPATH
        (wlen,) = struct.unpack_from(">H", buf, pos)
        pos += 2
        withdrawn: list[Nlri] = []
        if wlen:
            if pos + wlen > end:
                raise _Corrupt("withdrawn routes run past the message")
            withdrawn.append(self._nlri(buf, pos, pos + wlen, False, addpath))
        pos += wlen
        (alen,) = struct.unpack_from(">H", buf, pos)
        pos += 2
        if pos + alen > end:
            raise _Corrupt("path attributes run past the message")
        attrs = _NO_ATTRS
        if alen:
            blob = buf[pos : pos + alen]
            key = (blob, 4 if as4 else 2, addpath)
            cached = self._update_attrs.get(key)
            attrs = cached if cached is not None else self._parse_update_attrs(key)
            if attrs.multicast_skipped:
                self.report.multicast_skipped += attrs.multicast_skipped
        pos += alen
        withdrawn += attrs.withdrawn
        announced = attrs.announced
        if pos < end:
            announced = [*announced, self._nlri(buf, pos, end, False, addpath)]
        return _new_event(_Message, (peer_raw, peer_asn, False, withdrawn, announced, attrs.as_path))

    def _updates(
        self,
        buf: bytes,
        batch: array[int],
        handlers: Mapping[int, Callable[[bytes, int, int, int, int], int]],
    ) -> Iterator[tuple[int, int]]:
        """Decode the `batch` of BGP4MP records (`mrt_updates`) into the rows: the plain ones together, each
        run of them before the next record that needs the one-at-a-time decoder, which then decodes it."""
        marks = np.frombuffer(batch, dtype=np.int64).reshape(-1, 2).copy()
        del batch[:]  # the scanner goes on filling the same array
        at, numbers = marks[:, 0], marks[:, 1]
        ts, rtypes, subtypes, starts, ends = mrt_updates.headers(buf, at)
        decoded = mrt_updates.decode(buf, starts, ends, subtypes)
        plain = mrt_updates.plain_paths(buf, decoded.path_at, decoded.path_end)
        unusual = self._unusual_paths(buf, decoded, subtypes == 4, plain.plain)
        lo = 0
        for stop in [*np.flatnonzero(decoded.fallback).tolist(), len(at)]:
            if stop > lo:
                yield from self._update_run(buf, decoded, plain, unusual, ts, lo, stop)
            if stop < len(at):
                count = self._decode_one(
                    handlers[int(rtypes[stop])], buf, int(at[stop]), int(ends[stop]), int(numbers[stop])
                )
                if count:
                    yield int(ts[stop]), count
            lo = stop + 1

    def _unusual_paths(
        self,
        buf: bytes,
        decoded: mrt_updates.DecodedUpdates,
        as4: npt.NDArray[np.bool_],
        plain: npt.NDArray[np.bool_],
    ) -> dict[int, AsPath]:
        """Each UPDATE's path that is not a 4-byte session's `plain` one (`mrt_updates.plain_paths`), decoded
        here; a record whose path is corrupt goes to the fallback, to be counted as the one-at-a-time
        decoder counts it."""
        paths: dict[int, AsPath] = {}
        for record in np.flatnonzero(~decoded.fallback & (decoded.path_at >= 0) & ~(plain & as4)).tolist():
            as_path = buf[decoded.path_at[record] : decoded.path_end[record]]
            as4_path = (
                buf[decoded.as4_at[record] : decoded.as4_end[record]] if decoded.as4_at[record] >= 0 else None
            )
            try:
                paths[record] = self._as_path(as_path, as4_path, 4 if as4[record] else 2)
            except (_Corrupt, struct.error, IndexError, ValueError):
                decoded.fallback[record] = True
        return paths

    def _update_run(
        self,
        buf: bytes,
        decoded: mrt_updates.DecodedUpdates,
        plain: mrt_updates.PlainPaths,
        unusual: dict[int, AsPath],
        ts: npt.NDArray[np.int64],
        lo: int,
        hi: int,
    ) -> Iterator[tuple[int, int]]:
        """Records lo..hi-1 of the batch, all plain: their peers noted, their routes into the rows."""
        report = self.report
        first_of_peer, peer_of = mrt_updates.peer_groups(buf, decoded, np.arange(lo, hi))
        report.peer_keys.update(decoded.peer(buf, record) for record in first_of_peer.tolist())
        report.peers_seen = len(report.peer_keys)
        begin, end = np.searchsorted(decoded.prefix_record, (lo, hi))
        record = decoded.prefix_record[begin:end]
        if not len(record):
            return
        routes_peer = peer_of[record - lo]
        used, first = np.unique(routes_peer, return_index=True)
        vantage_of = np.zeros(len(first_of_peer), dtype=np.int64)
        for peer in used[np.argsort(first)].tolist():  # new vantages numbered in order of their first route
            vantage_of[peer] = self._vantage(*decoded.peer(buf, int(first_of_peer[peer])))
        withdrawn = decoded.prefix_withdrawn[begin:end]
        announcing = np.unique(record[~withdrawn])  # the records whose path the routes use, in file order
        in_unusual = np.isin(announcing, np.fromiter(unusual, dtype=np.int64, count=len(unusual)))
        usual = announcing[~in_unusual]  # a 2-byte session's path is plain only when it has none
        asn_counts = np.zeros(len(announcing), dtype=np.int64)
        asn_counts[~in_unusual] = plain.count[usual]
        keys, key_lengths = mrt_updates.gathered_prefix_keys(
            buf, decoded.prefix_at[begin:end], decoded.prefix_len[begin:end], decoded.prefix_v6[begin:end]
        )
        self._rows.add_updates(
            mrt_updates.UpdateRoutes(
                vantage=vantage_of[routes_peer],
                prefix_keys=keys,
                key_lengths=key_lengths,
                path=np.where(withdrawn, -1, np.searchsorted(announcing, record)),
                plain=~in_unusual,
                asns=plain.of(usual),
                asn_counts=asn_counts,
                unusual={i: unusual[r] for i, r in enumerate(announcing.tolist()) if r in unusual},
            )
        )
        counts = np.bincount(record - lo, minlength=hi - lo)
        has = np.flatnonzero(counts)
        total, last = int(counts.sum()), int(counts[has[-1]])
        if total > last:  # what `read_rows` keeps of the records with routes: the sum, first and last times
            yield int(ts[lo + has[0]]), total - last
        yield int(ts[lo + has[-1]]), last

    # -- shared decoders ------------------------------------------------------------------------------

    def _peer_ip(self, raw: bytes) -> str:
        ip = self._peer_ips.get(raw)
        if ip is None:
            ip = self._peer_ips[raw] = socket.inet_ntop(
                socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw
            )
        return ip

    def _vantage(self, peer_raw: bytes, peer_asn: int) -> int:
        key = (peer_raw, peer_asn)
        v = self._vantages.get(key)
        if v is None:
            v = self._vantages[key] = self._rows.vantage(peer_raw, peer_asn)
        return v

    def _prefix_text(self, raw: bytes, v6: bool) -> str:
        cache = self._v6_prefixes if v6 else self._v4_prefixes
        text = cache.get(raw)
        if text is None:
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            text = cache[raw] = prefix_text(raw, v6)
        return text

    def _nlri(self, buf: bytes, pos: int, end: int, v6: bool, addpath: bool) -> Nlri:
        """Prefixes of an NLRI field as wire encodings; a prefix cut short ends the list (counted), earlier
        ones stay; a prefix longer than the family allows makes the record corrupt."""
        longest = 128 if v6 else 32
        raws: list[bytes] = []
        append = raws.append
        path_ids: list[int] | None = None
        if not addpath:  # the common case, kept tight: it runs once per route of an updates file
            while pos < end:
                plen = buf[pos]
                stop = pos + 1 + ((plen + 7) >> 3)
                if stop > end:
                    break
                if plen > longest:
                    raise _Corrupt(f"prefix length /{plen} is too long")
                append(buf[pos:stop])
                pos = stop
        else:
            path_ids = []
            while pos + 4 < end:
                plen = buf[pos + 4]
                stop = pos + 5 + ((plen + 7) >> 3)
                if stop > end:
                    break
                if plen > longest:
                    raise _Corrupt(f"prefix length /{plen} is too long")
                path_ids.append(struct.unpack_from(">I", buf, pos)[0])
                append(buf[pos + 4 : stop])
                pos = stop
        if pos < end:
            self.report.malformed_nlri += 1
            self.report.note_error(f"NLRI ends with a prefix cut short ({end - pos} stray bytes)")
        return v6, raws, path_ids

    def _walk_attrs(self, blob: bytes) -> Iterator[tuple[int, int, int]]:
        """(type code, value start, value end) per attribute; extended length (flag 0x10) allows > 255."""
        pos = 0
        size = len(blob)
        while pos < size:
            if pos + 3 > size:
                raise _Corrupt("path attribute header cut short")
            flags, code = blob[pos], blob[pos + 1]
            if flags & 0x10:
                (length,) = struct.unpack_from(">H", blob, pos + 2)
                pos += 4
            else:
                length = blob[pos + 2]
                pos += 3
            if pos + length > size:
                raise _Corrupt(f"path attribute {code} runs past the attribute block")
            yield code, pos, pos + length
            pos += length

    def _as_path(self, as_path: bytes | None, as4_path: bytes | None, asn_size: int) -> AsPath:
        """Decoded once per distinct AS_PATH (+AS4_PATH) value: blobs differ by next hop, MED or
        communities far more often than by path, and equal paths then share one tuple in memory."""
        if as_path is None:
            return ()
        key = (as_path, as4_path if asn_size == 2 else None, asn_size)
        path = self._paths.get(key)
        if path is None and asn_size == 4 and len(as_path) == 2 + 4 * as_path[1] and as_path[0] == 2:
            path = self._paths[key] = _ONE_SEQUENCE[as_path[1]].unpack_from(as_path, 2)  # the usual shape
        elif path is None:
            segments = _segments(as_path, 0, len(as_path), asn_size)
            if key[1] is not None:
                segments = _merge_as4(segments, _segments(as4_path or b"", 0, len(as4_path or b""), 4))
            path = self._paths[key] = _flatten(segments)
        return path

    def _rib_path(self, blob: bytes, asn_size: int, cache: dict[bytes, AsPath]) -> AsPath:
        """AS path of a RIB entry; its MP_REACH_NLRI (next hop only, or a full copy) is not needed."""
        as_path = as4_path = None
        pos = 0
        size = len(blob)
        while pos < size:  # inline attribute walk: this runs once per distinct blob of a whole RIB
            if pos + 3 > size:
                raise _Corrupt("path attribute header cut short")
            code = blob[pos + 1]
            if blob[pos] & 0x10:
                length = (blob[pos + 2] << 8) | blob[pos + 3]
                pos += 4
            else:
                length = blob[pos + 2]
                pos += 3
            stop = pos + length
            if stop > size:
                raise _Corrupt(f"path attribute {code} runs past the attribute block")
            if code == 2:
                as_path = blob[pos:stop]
            elif code == 17:
                as4_path = blob[pos:stop]
            pos = stop
        path = cache[blob] = self._as_path(as_path, as4_path, asn_size)
        return path

    def _parse_update_attrs(self, key: tuple[bytes, int, bool]) -> _Attrs:
        blob, asn_size, addpath = key
        as_path = as4_path = None
        announced: list[Nlri] = []
        withdrawn: list[Nlri] = []
        multicast = 0
        for code, start, stop in self._walk_attrs(blob):
            if code == 2:
                as_path = blob[start:stop]
            elif code == 17:
                as4_path = blob[start:stop]
            elif code in (14, 15):
                mp = (self._mp_reach if code == 14 else self._mp_unreach)(blob, start, stop, addpath)
                if mp is None:
                    continue
                is_multicast, nlri = mp
                if is_multicast and not self.include_multicast:
                    multicast += len(nlri[1])
                else:
                    (announced if code == 14 else withdrawn).append(nlri)
        attrs = _Attrs(self._as_path(as_path, as4_path, asn_size), announced, withdrawn, multicast)
        self._update_attrs[key] = attrs
        return attrs

    def _mp_family(self, blob: bytes, pos: int) -> tuple[bool, bool] | None:
        """(is IPv6, is multicast) for IPv4/IPv6 unicast or multicast; None for families we do not read."""
        afi, safi = struct.unpack_from(">HB", blob, pos)
        if safi not in (1, 2) or afi not in (1, 2):
            return None
        return afi == 2, safi == 2

    def _mp_reach(self, blob: bytes, pos: int, end: int, addpath: bool) -> _MpNlri:
        if blob[pos] != 0:  # abbreviated RIB form (next hop only) some dumpers also write into updates
            return None
        family = self._mp_family(blob, pos)
        if family is None:
            return None
        hop_len = blob[pos + 3]
        pos += 4 + hop_len
        snpa = blob[pos]  # RFC 4760 "Reserved"; RFC 2858 SNPA count (always 0 in practice)
        pos += 1
        for _ in range(snpa):
            pos += 1 + ((blob[pos] + 1) >> 1)
        if pos > end:
            raise _Corrupt("MP_REACH_NLRI next hop runs past the attribute")
        return family[1], self._nlri(blob, pos, end, family[0], addpath)

    def _mp_unreach(self, blob: bytes, pos: int, end: int, addpath: bool) -> _MpNlri:
        family = self._mp_family(blob, pos)
        if family is None:
            return None
        return family[1], self._nlri(blob, pos + 3, end, family[0], addpath)
