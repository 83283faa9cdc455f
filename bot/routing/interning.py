"""Exact ids for millions of distinct integer sequences (AS paths, prefixes) in ~50 bytes each, in batches.

A Python dict of a full-size import's 6 M distinct AS paths costs ~160 bytes per path (a bytes key, an int
id, the hash slots): ~1 GB, the biggest item of the import's memory, and one such dict per worker. Here the
distinct sequences are one concatenated uint32 array with offsets, found through two 64-bit hashes kept
sorted, and a batch of sequences is interned with a few numpy passes. Every match is verified element by
element, so an id always stands for exactly one sequence: two different sequences with equal hashes would
raise, never be merged (at 2^-128 per pair, it is not expected to happen).

`Interner` gives a provisional id to each sequence a reader meets (a cache in front of it keeps repeats
cheap) and resolves them to exact ids in batches: ids come out in first-seen order, as a dict's would.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from itertools import accumulate, islice
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

# Sequences interned per numpy pass: bounds the pass's temporary arrays (~80 bytes per sequence).
BATCH = 500_000
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SEEDS = (np.uint64(0x243F6A8885A308D3), np.uint64(0x13198A2E03707344))


def _mix(z: U64) -> U64:
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit over the output."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def sequence_hashes(elems: U32, offsets: I64) -> tuple[U64, U64]:
    """Two independent 64-bit hashes of each sequence `elems[offsets[i]:offsets[i + 1]]`: the wrapping sum
    of its elements mixed with their position, mixed again with the length (an empty sequence is fine)."""
    lengths = np.diff(offsets).astype(np.uint64)
    starts = np.repeat(offsets[:-1], np.diff(offsets)).astype(np.uint64)
    position = np.arange(len(elems), dtype=np.uint64) - starts + np.uint64(1)
    values = elems.astype(np.uint64)
    hashes = []
    with np.errstate(over="ignore"):
        for seed in _SEEDS:
            spread = _mix(values ^ _mix(position * _GOLDEN + seed))
            sums = np.concatenate((np.zeros(1, dtype=np.uint64), np.cumsum(spread, dtype=np.uint64)))
            total = sums[offsets[1:]] - sums[offsets[:-1]]
            hashes.append(_mix(total ^ _mix(lengths + seed)))
    return hashes[0], hashes[1]


def spans(starts: I64, lengths: I64) -> tuple[I64, I64]:
    """(index, owner) of every position of the spans `[starts[i], starts[i] + lengths[i])`, concatenated."""
    owner = np.repeat(np.arange(len(starts)), lengths)
    begin = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + np.arange(len(owner)) - begin, owner


def segment_index(offsets: I64, which: I64) -> tuple[I64, I64]:
    """(element index, owner) of every element of the chosen sequences, concatenated in `which` order."""
    return spans(offsets[which], offsets[which + 1] - offsets[which])


def _same(elems_a: U32, offsets_a: I64, a: I64, elems_b: U32, offsets_b: I64, b: I64) -> None:
    """Check that sequence a[i] equals sequence b[i] for every i (they have equal hashes)."""
    if not len(a):
        return
    length_a, length_b = offsets_a[a + 1] - offsets_a[a], offsets_b[b + 1] - offsets_b[b]
    index_a, _ = segment_index(offsets_a, a)
    index_b, _ = segment_index(offsets_b, b)
    if not np.array_equal(length_a, length_b) or not np.array_equal(elems_a[index_a], elems_b[index_b]):
        raise RuntimeError("two different sequences have the same 128-bit hash: ids would be ambiguous")


def merged_at(at: I64, *columns: tuple[npt.NDArray[Any], npt.NDArray[Any]]) -> list[npt.NDArray[Any]]:
    """Sorted columns with entries merged in: `at` is where each new entry goes among the old ones (the
    `np.searchsorted` of the sorted new keys), each column an (old values, new values) pair. One mask
    serves every column, where `np.insert` would sort the places once per column."""
    place = at + np.arange(len(at))
    old = np.ones(len(columns[0][0]) + len(at), dtype=bool)
    old[place] = False
    out = []
    for values, new in columns:
        merged = np.empty(len(old), dtype=values.dtype)
        merged[place] = new
        merged[old] = values
        out.append(merged)
    return out


class _Grown:
    """An append-only numpy column that doubles its capacity (untouched capacity costs no RAM)."""

    def __init__(self, dtype: type[np.generic], first: Iterable[int] = ()) -> None:
        self._data = np.zeros(1024, dtype=dtype)
        self.size = 0
        self.extend(np.fromiter(first, dtype=dtype))

    def extend(self, values: npt.NDArray[np.generic]) -> None:
        end = self.size + len(values)
        if end > len(self._data):
            grown = np.empty(max(end, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : end] = values
        self.size = end

    @property
    def values(self) -> npt.NDArray[np.generic]:
        return self._data[: self.size]


def load_sequences(folder: Path, name: str) -> tuple[U32, I64]:
    """What `SequenceTable.save` wrote, memory-mapped."""
    elems = np.load(folder / f"{name}_elems.npy", mmap_mode="r")
    offsets = np.load(folder / f"{name}_offsets.npy", mmap_mode="r")
    return elems, offsets


class SequenceTable:
    """Distinct uint32 sequences -> ids 0, 1, 2 ... in first-seen order."""

    def __init__(self) -> None:
        self._elems = _Grown(np.uint32)
        self._offsets = _Grown(np.int64, [0])
        # (hash 1, hash 2, id) sorted by hash 1: the index every batch is looked up in
        self._h1: U64 = np.zeros(0, dtype=np.uint64)
        self._h2: U64 = np.zeros(0, dtype=np.uint64)
        self._ids: U32 = np.zeros(0, dtype=np.uint32)

    def __len__(self) -> int:
        return self._offsets.size - 1

    @property
    def elems(self) -> U32:
        return self._elems.values  # type: ignore[return-value]

    @property
    def offsets(self) -> I64:
        return self._offsets.values  # type: ignore[return-value]

    def save(self, folder: Path, name: str) -> None:
        """The sequences in id order as `<name>_elems.npy` and `<name>_offsets.npy` (`load_sequences`)."""
        np.save(folder / f"{name}_elems.npy", self.elems)
        np.save(folder / f"{name}_offsets.npy", self.offsets)

    def intern(self, elems: U32, offsets: I64) -> U32:
        """The id of each given sequence (`elems[offsets[i]:offsets[i + 1]]`), new ones numbered in order."""
        ids = [
            self._intern_batch(elems, offsets[start : start + BATCH + 1])
            for start in range(0, len(offsets) - 1, BATCH)
        ]
        return np.concatenate(ids) if ids else np.zeros(0, dtype=np.uint32)

    def intern_table(self, elems: U32, offsets: I64) -> U32:
        """`intern` for the sequences of another `SequenceTable` (distinct, each verified there): into an
        empty table they are taken whole in their order and only indexed, with nothing to compare."""
        if len(self):
            return self.intern(elems, offsets)
        count = len(offsets) - 1
        hashes = [
            sequence_hashes(elems[chunk[0] : chunk[-1]], chunk - chunk[0])
            for chunk in (offsets[start : start + BATCH + 1] for start in range(0, count, BATCH))
        ]
        h1 = np.concatenate([h for h, _ in hashes]) if hashes else np.zeros(0, dtype=np.uint64)
        h2 = np.concatenate([h for _, h in hashes]) if hashes else np.zeros(0, dtype=np.uint64)
        self._elems.extend(elems[offsets[0] : offsets[-1]])
        self._offsets.extend(offsets[1:] - offsets[0])
        by_hash = np.argsort(h1, kind="stable")
        self._h1, self._h2, self._ids = h1[by_hash], h2[by_hash], by_hash.astype(np.uint32)
        return np.arange(count, dtype=np.uint32)

    def _intern_batch(self, elems: U32, offsets: I64) -> U32:
        h1, h2 = sequence_hashes(elems[offsets[0] : offsets[-1]], offsets - offsets[0])
        n = len(h1)
        order = np.argsort(h1, kind="stable")  # stable: of equal sequences the first comes first
        s1, s2 = h1[order], h2[order]
        if np.any((s1[1:] == s1[:-1]) & (s2[1:] != s2[:-1])):  # hash 1 shared by different hash 2s: rare
            order = np.lexsort((h2, h1))
            s1, s2 = h1[order], h2[order]
        starts_group = np.ones(n, dtype=bool)
        starts_group[1:] = (s1[1:] != s1[:-1]) | (s2[1:] != s2[:-1])
        group_of = np.empty(n, dtype=np.int64)
        group_of[order] = np.cumsum(starts_group) - 1
        first = order[starts_group]  # each distinct sequence's first place in the batch
        repeat = np.flatnonzero(first[group_of] != np.arange(n))
        _same(elems, offsets, repeat, elems, offsets, first[group_of[repeat]])
        g1, g2 = h1[first], h2[first]
        found = self._find(g1, g2)
        known = found >= 0
        _same(elems, offsets, first[known], self.elems, self.offsets, found[known])
        fresh = np.flatnonzero(~known)
        fresh = fresh[np.argsort(first[fresh], kind="stable")]  # new ids in first-seen order
        found[fresh] = np.arange(len(self), len(self) + len(fresh))
        self._append(elems, offsets, first[fresh], g1[fresh], g2[fresh], found[fresh].astype(np.uint32))
        return found[group_of].astype(np.uint32)

    def _find(self, g1: U64, g2: U64) -> I64:
        """Each hash pair's id in the table, -1 where it has none."""
        found = np.full(len(g1), -1, dtype=np.int64)
        if not len(self._h1):
            return found
        at = np.searchsorted(self._h1, g1)
        inside = np.minimum(at, len(self._h1) - 1)
        first_match = (at < len(self._h1)) & (self._h1[inside] == g1)
        exact = first_match & (self._h2[inside] == g2)
        found[exact] = self._ids[inside[exact]]
        for i in np.flatnonzero(first_match & ~exact).tolist():  # hash 1 shared by another sequence: rare
            j = int(at[i])
            while j < len(self._h1) and self._h1[j] == g1[i]:
                if self._h2[j] == g2[i]:
                    found[i] = self._ids[j]
                    break
                j += 1
        return found

    def _append(self, elems: U32, offsets: I64, which: I64, g1: U64, g2: U64, ids: U32) -> None:
        index, _ = segment_index(offsets, which)
        lengths = offsets[which + 1] - offsets[which]
        self._offsets.extend(self._offsets.values[-1] + np.cumsum(lengths))
        self._elems.extend(elems[index])
        by_hash = np.argsort(g1, kind="stable")
        g1, g2, ids = g1[by_hash], g2[by_hash], ids[by_hash]
        self._h1, self._h2, self._ids = merged_at(
            np.searchsorted(self._h1, g1), (self._h1, g1), (self._h2, g2), (self._ids, ids)
        )


Decode = Callable[[npt.NDArray[np.uint8], I64], tuple[U32, I64]]


def words_of_bytes(encoded: npt.NDArray[np.uint8], offsets: I64) -> tuple[U32, I64]:
    """The `Decode` of sequences handed over as their uint32 words' bytes."""
    return encoded.view(np.uint32), offsets // 4


class Interner:
    """Provisional ids for sequences as a reader meets them, resolved to a `SequenceTable`'s exact ids in
    batches: a provisional id is cheap to hand out (the key's bytes appended to a buffer; the caller's
    cache of recent keys gives repeats theirs), a sequence met again after that cache was cleared only
    costs another provisional id, and `decode` turns a batch of keys into sequences in numpy."""

    def __init__(self, decode: Decode = words_of_bytes) -> None:
        self.table = SequenceTable()
        self._decode = decode
        self._pending = bytearray()
        self._pending_ends = array("q")
        self._resolved = _Grown(np.uint32)

    def provisional(self, encoded: bytes | array[int]) -> int:
        """The next provisional id: those resolved so far, then the pending ones in order."""
        self._pending += encoded
        self._pending_ends.append(len(self._pending))
        return self._resolved.size + len(self._pending_ends) - 1

    def provisional_run(self, encoded: bytes, key_lengths: Iterable[int] | I64) -> int:
        """Provisional ids for consecutive keys at once (`encoded` is their bytes end to end, each
        `key_lengths` long): the first id, the rest following it. For the prefixes of an NLRI field and
        the routes of a batch of UPDATEs, which a cache of recent keys would seldom spare a lookup."""
        first = self._resolved.size + len(self._pending_ends)
        if isinstance(key_lengths, np.ndarray):
            self._pending_ends.frombytes(
                (len(self._pending) + np.cumsum(key_lengths, dtype=np.int64)).tobytes()
            )
        else:  # the first `accumulate` gives is where the run starts
            self._pending_ends.extend(islice(accumulate(key_lengths, initial=len(self._pending)), 1, None))
        self._pending += encoded
        return first

    def resolved(self) -> U32:
        """Provisional id -> exact id, for every provisional id handed out so far."""
        if self._pending_ends:
            ends = np.frombuffer(self._pending_ends, dtype=np.int64)
            offsets = np.concatenate((np.zeros(1, dtype=np.int64), ends))
            pending = np.frombuffer(self._pending, dtype=np.uint8)
            for start in range(0, len(ends), BATCH):  # decoding takes tens of bytes per key: in chunks
                chunk = offsets[start : start + BATCH + 1]
                elems, chunk_offsets = self._decode(pending[chunk[0] : chunk[-1]], chunk - chunk[0])
                self._resolved.extend(self.table.intern(elems, chunk_offsets))
            self._pending, self._pending_ends = bytearray(), array("q")
        return self._resolved.values  # type: ignore[return-value]

    def __len__(self) -> int:
        """Distinct sequences met (resolving what is pending)."""
        self.resolved()
        return len(self.table)
