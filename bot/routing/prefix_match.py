"""Longest-prefix match as flat sorted intervals, built once at import and memory-mapped at load.

The most specific covering prefix is constant between consecutive prefix starts and ends, so the address
space is cut at every such boundary and each piece records the prefix id that covers it (-1: none). A
lookup is then one binary search (`np.searchsorted`, vectorised for bulk lookups) and opening the table
costs nothing: no pyasn radix tree to rebuild from text, no per-prefix Python objects.

IPv4 boundaries are uint32; IPv6 ones are 128-bit, kept as two uint64 columns (high, low) searched high
first, then low within the few boundaries that share the high half.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.routing.mapped import mapped
from bot.routing.unique import sorted_unique

U8 = npt.NDArray[np.uint8]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

_LOW64 = (1 << 64) - 1
FILES = ("lpm_v4_bounds", "lpm_v4_match", "lpm_v6_hi", "lpm_v6_lo", "lpm_v6_match")


def v6_columns(prefixes: list[str]) -> tuple[U64, U64, U8]:
    """IPv6 prefixes as (high 64 bits, low 64 bits, length) columns, host bits cleared: their sort order is
    the text's `v6_key` order, and nothing needs parsing when the snapshot is opened."""
    hi = np.zeros(len(prefixes), dtype=np.uint64)
    lo = np.zeros(len(prefixes), dtype=np.uint64)
    lengths = np.zeros(len(prefixes), dtype=np.uint8)
    for i, text in enumerate(prefixes):
        address, _, bits = text.partition("/")
        length = int(bits) if bits else 128
        value = int.from_bytes(socket.inet_pton(socket.AF_INET6, address), "big")
        value &= ~((1 << (128 - length)) - 1)
        hi[i], lo[i], lengths[i] = value >> 64, value & _LOW64, length
    return hi, lo, lengths


def v6_text(hi: int, lo: int, length: int) -> str:
    """The prefix as `ipaddress` writes it (RFC 5952), by the C library's formatter, ~10x faster; but for
    the IPv4-compatible and IPv4-mapped ranges, which it writes with a dotted quad."""
    if hi == 0 and lo >> 48 == 0 and (lo >> 32) & 0xFFFF in (0, 0xFFFF):
        return str(ipaddress.IPv6Network(((hi << 64) | lo, length)))
    return f"{socket.inet_ntop(socket.AF_INET6, ((hi << 64) | lo).to_bytes(16, 'big'))}/{length}"


def v4_intervals(keys: U64, ids: I64) -> tuple[U32, I32]:
    """Boundaries and covering prefix ids for the IPv4 prefixes `ids` (their `net << 8 | len` keys): every
    boundary is matched once per prefix length, longest first (one vectorised pass per length)."""
    net = keys >> np.uint64(8)
    lengths = (keys & np.uint64(255)).astype(np.int64)
    size = np.left_shift(np.uint64(1), (32 - lengths).astype(np.uint64))
    bounds = sorted_unique(np.concatenate([np.zeros(1, dtype=np.uint64), net, net + size]))
    bounds = bounds[bounds < np.uint64(1 << 32)]  # the end of the address space starts nothing
    match = np.full(len(bounds), -1, dtype=np.int64)
    for bits in sorted(set(lengths.tolist()), reverse=True):
        mine = np.flatnonzero(lengths == bits)  # sorted by key, hence by network
        starts = net[mine]
        masked = bounds & np.uint64((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF)
        at = np.minimum(np.searchsorted(starts, masked), len(starts) - 1)
        hit = (starts[at] == masked) & (match < 0)
        match[hit] = ids[mine[at[hit]]]
    return bounds.astype(np.uint32), match.astype(np.int32)


def v6_intervals(hi: U64, lo: U64, lengths: U8, ids: I64) -> tuple[U64, U64, I32]:
    """The same for IPv6 prefixes given in sorted order, by a sweep with a stack of the open prefixes (numpy
    has no 128-bit integers; a full table has ~200 k IPv6 prefixes, a fraction of a second)."""
    bounds: list[int] = [0]
    match: list[int] = [-1]

    def cut(at: int, prefix_id: int) -> None:
        if at >> 128:
            return
        if bounds[-1] == at:
            match[-1] = prefix_id  # a longer prefix starting at the same address wins
        else:
            bounds.append(at)
            match.append(prefix_id)

    open_: list[tuple[int, int]] = []  # (end, id), innermost last
    for h, low, length, prefix_id in zip(
        hi.tolist(), lo.tolist(), lengths.tolist(), ids.tolist(), strict=True
    ):
        start = (h << 64) | low
        while open_ and open_[-1][0] <= start:
            end, _ = open_.pop()
            cut(end, open_[-1][1] if open_ else -1)
        cut(start, prefix_id)
        open_.append((start + (1 << (128 - length)), prefix_id))
    while open_:
        end, _ = open_.pop()
        cut(end, open_[-1][1] if open_ else -1)
    values = np.array(bounds, dtype=object)
    return (
        np.array(values >> 64, dtype=np.uint64),
        np.array(values & _LOW64, dtype=np.uint64),
        np.array(match, dtype=np.int32),
    )


def write(folder: Path, v4: tuple[U32, I32], v6: tuple[U64, U64, I32]) -> None:
    arrays: tuple[npt.NDArray[Any], ...] = (*v4, *v6)
    for name, array in zip(FILES, arrays, strict=True):
        np.save(folder / f"{name}.npy", array)


@dataclass(frozen=True, slots=True)
class PrefixMatch:
    """The interval tables of one snapshot, memory-mapped."""

    v4_bounds: U32
    v4_match: I32
    v6_hi: U64
    v6_lo: U64
    v6_match: I32

    @classmethod
    def load(cls, folder: Path) -> PrefixMatch:
        return cls(*(mapped(folder / f"{name}.npy") for name in FILES))

    def v4(self, addresses: U64) -> I64:
        """Covering prefix id (-1: none) of many IPv4 addresses at once."""
        at = np.searchsorted(self.v4_bounds, addresses.astype(np.uint32), side="right") - 1  # same dtype
        found: I64 = np.asarray(self.v4_match[at], dtype=np.int64)
        return found

    def one(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int:
        """Covering prefix id (-1: none) of one address."""
        value = int(address)
        if address.version == 4:
            at = int(np.searchsorted(self.v4_bounds, np.uint32(value), side="right"))  # same dtype: no copy
            return int(self.v4_match[at - 1])
        high, low = np.uint64(value >> 64), np.uint64(value & _LOW64)
        first = int(np.searchsorted(self.v6_hi, high, side="left"))
        last = int(np.searchsorted(self.v6_hi, high, side="right"))
        # boundaries sharing the high half: the last one at or below the low half, else the one before them
        at = first + int(np.searchsorted(self.v6_lo[first:last], low, side="right")) - 1
        return int(self.v6_match[at])
