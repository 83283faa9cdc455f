"""BGP4MP UPDATE records decoded a batch at a time in numpy: the updates-file half of an import's reading.

An updates file is mostly small records (a few prefixes each, a fresh attribute blob in half of them), so
decoding one record at a time in Python costs more per route than a RIB, whose records hold a prefix for
every vantage. Here the records of a batch are decoded together: header fields, the attribute walk and the
NLRI fields are gathered with array indexing, each step over every record (or field) still being read.

Only the plain shape is decoded here: MESSAGE and MESSAGE_AS4 subtypes, IPv4/IPv6 unicast, well-formed
lengths, at most one MP_REACH_NLRI and one MP_UNREACH_NLRI, no multicast. Every other record (state
changes, ADD-PATH, the collector's own messages, anything malformed) is marked `fallback` and left to the
record-at-a-time decoder, in its place in the file, so the two give the same routes, counts and errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.routing.interning import spans

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
BOOL = npt.NDArray[np.bool_]

_AS4_MESSAGE, _MESSAGE = 4, 1
_WITHDRAWN_FIELD, _MP_UNREACH_FIELD, _MP_REACH_FIELD, _TRAILING_FIELD = range(4)  # the order routes come in
_TRACKED = {2: 0, 17: 1, 14: 2, 15: 3}  # AS_PATH, AS4_PATH, MP_REACH_NLRI, MP_UNREACH_NLRI -> column


@dataclass(slots=True)
class DecodedUpdates:
    """What a batch of BGP4MP records holds, per record and per prefix (prefixes in route order)."""

    fallback: BOOL  # decode these one at a time: not the plain shape
    asn: I64  # the peer's ASN
    peer_at: I64  # where the peer's address is, and how long it is
    peer_len: I64
    path_at: I64  # the AS_PATH attribute's value (-1: none), and the AS4_PATH's
    path_end: I64
    as4_at: I64
    as4_end: I64
    prefix_record: I64  # per prefix: its record, where its NLRI encoding is and how long, its family
    prefix_at: I64
    prefix_len: I64
    prefix_v6: BOOL
    prefix_withdrawn: BOOL

    def peer(self, buf: bytes, record: int) -> tuple[bytes, int]:
        """(address as wire bytes, ASN) of the record's peer."""
        start = int(self.peer_at[record])
        return buf[start : start + int(self.peer_len[record])], int(self.asn[record])


class _Bytes:
    """Big-endian reads at many offsets of one buffer; offsets outside it read 0 (the caller checks
    lengths separately and sends such records to the fallback)."""

    def __init__(self, buf: bytes) -> None:
        self.data = np.frombuffer(buf, dtype=np.uint8)
        self._last = len(buf) - 1

    def u8(self, at: I64) -> I64:
        inside = (at >= 0) & (at <= self._last)
        return np.where(inside, self.data[np.clip(at, 0, self._last)], 0).astype(np.int64)

    def u16(self, at: I64) -> I64:
        return (self.u8(at) << 8) | self.u8(at + 1)

    def u32(self, at: I64) -> I64:
        return (self.u16(at) << 16) | self.u16(at + 2)


def decode(buf: bytes, starts: I64, ends: I64, subtypes: I64) -> DecodedUpdates:
    """The records `buf[starts[i]:ends[i]]` (BGP4MP bodies, after BGP4MP_ET's microseconds)."""
    b = _Bytes(buf)
    as4 = subtypes == _AS4_MESSAGE
    fallback = ~(as4 | (subtypes == _MESSAGE))
    head = np.where(as4, 12, 8)
    fallback |= starts + head > ends
    asn = np.where(as4, b.u32(starts), b.u16(starts))
    afi = b.u16(starts + head - 2)
    fallback |= (afi != 1) & (afi != 2)
    peer_len = np.where(afi == 2, 16, 4)
    peer_at = starts + head
    message = peer_at + 2 * peer_len
    fallback |= message + 19 > ends
    marker = b.data[np.clip(message[:, None] + np.arange(16), 0, len(buf) - 1)]
    fallback |= ~(marker == 0xFF).all(axis=1)
    length, kind = b.u16(message + 16), b.u8(message + 18)
    update = (kind == 2) & ~fallback
    message_end = message + length
    withdrawn_at = message + 21
    withdrawn_end = withdrawn_at + b.u16(message + 19)
    attrs_at = withdrawn_end + 2
    attrs_end = attrs_at + b.u16(withdrawn_end)
    fallback |= update & ((length < 23) | (message_end > ends) | (withdrawn_end > message_end))
    fallback |= update & (attrs_end > message_end)
    update &= ~fallback

    found, odd = _walk_attributes(b, np.where(update, attrs_at, 0), np.where(update, attrs_end, 0))
    fallback |= odd
    fields = np.full((len(starts), 4, 3), -1, dtype=np.int64)  # (start, end, is IPv6) per field kind
    fields[:, _WITHDRAWN_FIELD] = np.stack((withdrawn_at, withdrawn_end, np.zeros_like(starts)), axis=1)
    fields[:, _TRAILING_FIELD] = np.stack((attrs_end, message_end, np.zeros_like(starts)), axis=1)
    fallback |= _mp_field(b, found[:, 2], fields[:, _MP_REACH_FIELD], reach=True)
    fallback |= _mp_field(b, found[:, 3], fields[:, _MP_UNREACH_FIELD], reach=False)
    fields[~update | fallback] = -1

    flat = fields.reshape(-1, 3)  # field k of record r is row 4 r + k: route order
    field_of, at, size, odd_field = _split_nlri(b, flat[:, 0], flat[:, 1], flat[:, 2] == 1)
    fallback[odd_field // 4] = True
    record = field_of // 4
    keep = ~fallback[record]
    field_of, at, size, record = field_of[keep], at[keep], size[keep], record[keep]
    kind_of = field_of % 4
    return DecodedUpdates(
        fallback=fallback,
        asn=asn,
        peer_at=peer_at,
        peer_len=peer_len,
        path_at=found[:, 0, 0],
        path_end=found[:, 0, 1],
        as4_at=found[:, 1, 0],
        as4_end=found[:, 1, 1],
        prefix_record=record,
        prefix_at=at,
        prefix_len=size,
        prefix_v6=flat[field_of, 2] == 1,
        prefix_withdrawn=(kind_of == _WITHDRAWN_FIELD) | (kind_of == _MP_UNREACH_FIELD),
    )


def _walk_attributes(b: _Bytes, at: I64, end: I64) -> tuple[I64, BOOL]:
    """(start, end) of each record's AS_PATH, AS4_PATH, MP_REACH and MP_UNREACH values (-1 where absent),
    and which records the walk cannot read the way the one-at-a-time decoder does: a header or value
    running past the block, or a second MP_REACH/MP_UNREACH."""
    found = np.full((len(at), 4, 2), -1, dtype=np.int64)
    odd = np.zeros(len(at), dtype=bool)
    cursor = at.copy()
    active = np.flatnonzero(cursor < end)
    while len(active):
        here, limit = cursor[active], end[active]
        flags, code = b.u8(here), b.u8(here + 1)
        extended = (flags & 0x10) != 0
        value_at = here + np.where(extended, 4, 3)
        value_end = value_at + np.where(extended, b.u16(here + 2), b.u8(here + 2))
        bad = (here + 3 > limit) | (value_at > limit) | (value_end > limit)
        for attribute, column in _TRACKED.items():
            hit = ~bad & (code == attribute)
            rows = active[hit]
            if column >= 2:  # the one-at-a-time decoder reads a repeated MP attribute twice: leave it to it
                bad[hit] |= found[rows, column, 0] >= 0
            found[rows, column, 0], found[rows, column, 1] = value_at[hit], value_end[hit]
        odd[active[bad]] = True
        good = ~bad
        cursor[active[good]] = value_end[good]
        active = active[good][value_end[good] < limit[good]]
    return found, odd


def _mp_field(b: _Bytes, span: I64, out: I64, *, reach: bool) -> BOOL:
    """Fill `out` (start, end, is IPv6) with the NLRI field of each MP_REACH (`reach`) or MP_UNREACH value
    in `span`; records whose attribute is malformed, multicast or has SNPAs are returned for the fallback.
    Attributes of other families, and MP_REACH's abbreviated next-hop-only form, hold no routes we read."""
    start, end = span[:, 0], span[:, 1]
    present = start >= 0
    afi, safi = b.u16(start), b.u8(start + 2)
    ours = present & ((afi == 1) | (afi == 2)) & ((safi == 1) | (safi == 2))
    if reach:
        ours &= b.u8(start) == 0
        nlri_at = start + 5 + b.u8(start + 3)
        odd = present & (start + 5 > end)
        odd |= ours & ((nlri_at > end) | (b.u8(nlri_at - 1) != 0))
    else:
        nlri_at = start + 3
        odd = present & (start + 3 > end)
    odd |= ours & (safi == 2)
    use = ours & ~odd
    out[use, 0], out[use, 1], out[use, 2] = nlri_at[use], end[use], afi[use] == 2
    return odd


def _split_nlri(b: _Bytes, start: I64, end: I64, v6: BOOL) -> tuple[I64, I64, I64, I64]:
    """Every prefix of the fields `[start, end)`, sorted by (field, place): its field, where its encoding
    is and how long (length byte + octets); and the fields with a prefix cut short or too long."""
    longest = np.where(v6, 128, 32)
    cursor = start.copy()
    active = np.flatnonzero((start >= 0) & (start < end))
    fields, places, sizes, odd = [], [], [], []
    while len(active):
        here = cursor[active]
        bits = b.u8(here)
        size = 1 + ((bits + 7) >> 3)
        stop = here + size
        bad = (stop > end[active]) | (bits > longest[active])
        odd.append(active[bad])
        good = ~bad
        fields.append(active[good])
        places.append(here[good])
        sizes.append(size[good])
        cursor[active[good]] = stop[good]
        active = active[good][stop[good] < end[active[good]]]
    if not fields:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    field, place, size = np.concatenate(fields), np.concatenate(places), np.concatenate(sizes)
    order = np.lexsort((place, field))
    return field[order], place[order], size[order], np.concatenate(odd)


def gathered_prefix_keys(b: bytes, at: I64, size: I64, v6: BOOL) -> tuple[bytes, I64]:
    """`route_build.prefix_key` of each NLRI encoding `b[at[i]:at[i] + size[i]]`, end to end, and their
    lengths: a family byte in front of each."""
    data = np.frombuffer(b, dtype=np.uint8)
    lengths = size + 1
    key_at = np.cumsum(lengths) - lengths
    out = np.empty(int(lengths.sum()), dtype=np.uint8)
    out[key_at] = v6
    source, _ = spans(at, size)
    target, _ = spans(key_at + 1, size)
    out[target] = data[source]
    return out.tobytes(), lengths


@dataclass(slots=True)
class PlainPaths:
    """Which AS_PATH values (at -1: none, the empty path) are the usual shape, one 4-byte AS_SEQUENCE with no
    AS0, whose interned words are just its ASNs (`route_build.path_words`); their ASNs end to end, and where
    each record's start and how many (0 for the rest)."""

    plain: BOOL
    asns: npt.NDArray[np.uint32]
    asn_at: I64
    count: I64

    def of(self, records: I64) -> npt.NDArray[np.uint32]:
        """The ASNs of these records' plain paths, end to end."""
        index, _ = spans(self.asn_at[records], self.count[records])
        return self.asns[index]


def plain_paths(b: bytes, at: I64, end: I64) -> PlainPaths:
    """The usual-shape paths of the AS_PATH values `b[at[i]:end[i]]`, read as 4-byte ASNs."""
    reader = _Bytes(b)
    absent = at < 0
    count = np.where(absent, 0, reader.u8(at + 1))
    plain = absent | ((reader.u8(at) == 2) & (end - at == 2 + 4 * count) & (count > 0))
    count = np.where(plain, count, 0)
    index, owner = spans(at[plain] + 2, 4 * count[plain])
    asns = reader.data[index].view(">u4").astype(np.uint32)
    owner = np.flatnonzero(plain)[owner[::4]]
    with_zero = np.unique(owner[asns == 0])
    if len(with_zero):  # AS0 (RFC 7607) is interned in the tagged form: decoded one at a time
        asns = asns[~np.isin(owner, with_zero)]
        plain[with_zero], count[with_zero] = False, 0
    return PlainPaths(plain, asns, np.cumsum(count) - count, count)


@dataclass(slots=True)
class UpdateRoutes:
    """Routes of a run of UPDATE records, in file order, for `RouteRows.add_updates`: per route its vantage,
    its prefix (`route_build.prefix_key`s end to end) and its record's place among the announcing records
    (-1: a withdrawal); per announcing record its path, as ASNs when `plain`, else in `unusual`."""

    vantage: I64
    prefix_keys: bytes
    key_lengths: I64
    path: I64
    plain: BOOL
    asns: npt.NDArray[np.uint32]
    asn_counts: I64
    unusual: dict[int, tuple[int | frozenset[int], ...]]


def headers(buf: bytes, at: I64) -> tuple[I64, I64, I64, I64, I64]:
    """(timestamp, type, subtype, body start, end) of the MRT records at `at`; BGP4MP_ET's body starts after
    its microseconds."""
    b = _Bytes(buf)
    rtype = b.u16(at + 4)
    end = at + 12 + b.u32(at + 8)
    return b.u32(at), rtype, b.u16(at + 6), at + 12 + np.where(rtype == 17, 4, 0), end


def peer_groups(buf: bytes, decoded: DecodedUpdates, records: I64) -> tuple[I64, I64]:
    """The distinct (peer address, peer ASN) of `records`: each one's first record, in order of first
    appearance, and each record's place in that list."""
    b = _Bytes(buf)
    keys = np.zeros((len(records), 24), dtype=np.uint8)
    keys[:, :8] = (
        (decoded.asn[records] << 8 | decoded.peer_len[records]).astype(">u8").view(np.uint8).reshape(-1, 8)
    )
    at, size = decoded.peer_at[records], decoded.peer_len[records]
    index, owner = spans(at, size)
    keys[owner, 8 + index - np.repeat(at, size)] = b.data[index]
    _, first, inverse = np.unique(keys.view("V24").ravel(), return_index=True, return_inverse=True)
    order = np.argsort(first)
    place = np.empty(len(order), dtype=np.int64)
    place[order] = np.arange(len(order))
    return records[first[order]], place[inverse.ravel()]
