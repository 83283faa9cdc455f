"""The route tables of a snapshot, built in memory that grows with prefixes and paths, not with routes.

RIB entries, announcements and withdrawals are appended per vantage point, in the order they happened, to
small integer buffers that are spilled to scratch files when they grow (a peer going down discards its
vantage's rows so far); the final tables are then assembled one vantage at a time (the last row of each
prefix wins; its routes are one contiguous slice of the snapshot, sorted by prefix) and written chunk by
chunk into `.npy` files, so a 100 M-route import never holds the whole table, nor a sort of it, in RAM,
whether the routes come as RIB dumps or as updates.
"""

from __future__ import annotations

import ipaddress
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import add
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from bot.routing.id_columns import encoded, id_dtype
from bot.routing.interning import Interner, merged_at, spans
from bot.routing.mrt import RouteEvent
from bot.routing.snapshot import AsPath, Vantage
from bot.routing.unique import sorted_unique

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

# Buffered RIB routes (12 bytes each) before they go to the scratch files: ~12 MB.
SPILL_ROUTES = 1_000_000
# Recently seen paths (and a RIB's prefixes) kept for their provisional id: a RIB repeats a path over an
# origin's prefixes.
RECENT_KEYS = 100_000
# (prefix, origin) pairs kept pending before they are counted.
PENDING_PAIRS = 2_000_000


class NpyWriter:
    """A 1-D `.npy` file written in chunks (same bytes as `np.save`): a table bigger than RAM is never one array."""

    def __init__(self, path: Path, dtype: Any, count: int) -> None:
        self.path = path
        self.dtype = np.dtype(dtype)
        self.count = count
        self.written = 0
        self._file: BinaryIO = path.open("wb")
        header = {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": (count,),
        }
        np.lib.format.write_array_header_1_0(self._file, header)

    def write(self, chunk: npt.NDArray[Any]) -> None:
        np.ascontiguousarray(chunk, dtype=self.dtype).tofile(self._file)
        self.written += len(chunk)

    def close(self) -> Path:
        self._file.close()
        if self.written != self.count:
            raise RuntimeError(f"{self.path.name}: wrote {self.written} items, announced {self.count}")
        return self.path


def path_words(path: AsPath) -> array[int]:
    """A path as the uint32 words an `Interner` keys it by: its ASNs when it is plain, else (an AS_SET, or
    the invalid AS0 of RFC 7607) a 0 and then each element tagged, (1, ASN) or (2, size, members...), so
    every path decodes back to exactly itself (`path_of_words`)."""
    try:
        words: array[int] = array("I", path)  # type: ignore[arg-type]  # an AS_SET (frozenset) raises TypeError
    except TypeError:
        pass
    else:
        if 0 not in words:
            return words
    tagged: array[int] = array("I", [0])
    for element in path:
        if isinstance(element, frozenset):
            tagged.extend((2, len(element), *sorted(element)))
        else:
            tagged.extend((1, element))
    return tagged


def path_of_words(words: list[int]) -> AsPath:
    if not words or words[0]:
        return tuple(words)
    path: list[int | frozenset[int]] = []
    i = 1
    while i < len(words):
        if words[i] == 1:
            path.append(words[i + 1])
            i += 2
        else:
            size = words[i + 1]
            path.append(frozenset(words[i + 2 : i + 2 + size]))
            i += 2 + size
    return tuple(path)


def prefix_key(raw: bytes, v6: bool) -> bytes:
    """What a prefix is handed to its `Interner` as: a family byte and its NLRI encoding (length byte +
    significant octets, host bits as they came), turned into words in bulk by `prefix_sequences`."""
    return (b"\x01" if v6 else b"\x00") + raw


def prefix_keys(raws: list[bytes], v6: bool) -> tuple[bytes, Iterator[int]]:
    """The `prefix_key` of each NLRI encoding, end to end, and their lengths (`Interner.provisional_run`):
    the family byte joined in front of each, with no Python step per prefix."""
    family = b"\x01" if v6 else b"\x00"
    return family + family.join(raws), map(add, map(len, raws), repeat(1))


def prefix_key_of_text(text: str) -> bytes:
    network = ipaddress.ip_network(text, strict=False)
    significant = network.network_address.packed[: (network.prefixlen + 7) // 8]
    return prefix_key(bytes((network.prefixlen,)) + significant, network.version == 6)


def prefix_sequences(keys: npt.NDArray[np.uint8], offsets: I64) -> tuple[U32, I64]:
    """`prefix_key`s as the words a prefix is interned by, host bits cleared (as `prefix_text` does):
    (length, address) for IPv4, (256 + length, four address words) for IPv6, so both families share one
    table and sort apart."""
    starts = offsets[:-1]
    v6 = keys[starts] == 1
    length = keys[starts + 1].astype(np.int64)
    index, owner = spans(starts + 2, offsets[1:] - starts - 2)  # the address octets after the two bytes
    address = np.zeros((len(starts), 16), dtype=np.uint8)
    address[owner, index - starts[owner] - 2] = keys[index]
    for k in range(16):
        address[:, k] &= ((0xFF00 >> np.clip(length - 8 * k, 0, 8)) & 0xFF).astype(np.uint8)
    words = address.view(">u4").astype(np.uint32)
    sizes = np.where(v6, 5, 2)
    out_offsets = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(sizes)))
    elems = np.zeros(int(out_offsets[-1]), dtype=np.uint32)
    first = out_offsets[:-1]
    elems[first] = length + 256 * v6
    elems[first + 1] = words[:, 0]
    for k in (1, 2, 3):
        elems[first[v6] + 1 + k] = words[v6, k]
    return elems, out_offsets


# The path id of a withdrawal row: it masks the rows of its prefix before it, and is dropped at the end.
WITHDRAWN = 0xFFFFFFFF


class RouteAccumulator:
    """Route events per vantage as (prefix, ADD-PATH id, path) integer rows in arrival order.

    Prefixes and paths get provisional ids as they arrive (`prefixes`, `paths`: `Interner`s), resolved to
    exact ids whenever the buffers are spilled, so the scratch files hold exact ids. A withdrawal is a
    WITHDRAWN row; a peer-down discards the vantage's rows so far, so later announcements start from
    empty, as the router itself would.
    """

    def __init__(self, scratch: Path, spill_routes: int | None = None) -> None:
        self.scratch = scratch
        self.spill_routes = spill_routes or SPILL_ROUTES
        self.vantages: dict[Vantage, int] = {}
        self.prefixes = Interner(prefix_sequences)
        self.paths = Interner()
        self.dropped: set[int] = set()  # vantages that went down: rows read elsewhere before are void
        self.collector_ranges: dict[str, list[int]] = {}
        self.rib_routes = 0
        self._recent_paths: dict[AsPath, int] = {}
        self._ribs: dict[int, array[int]] = {}
        self._buffered = 0

    def has_routes(self) -> bool:
        return bool(self.rib_routes)

    def vantage_id(self, key: Vantage) -> int:
        found = self.vantages.get(key)
        if found is None:
            found = self.vantages[key] = len(self.vantages)
        return found

    def path_id(self, path: AsPath) -> int:
        """The path's provisional id (the hot path asks the cache of recent paths first)."""
        found = self._recent_paths.get(path)
        if found is None:
            if len(self._recent_paths) >= RECENT_KEYS:
                self._recent_paths.clear()
            found = self._recent_paths[path] = self.paths.provisional(path_words(path))
        return found

    def consume(self, collector: str, events: Iterable[RouteEvent]) -> None:
        """Append a stream's events in order: B and A add a row, W a withdrawal row, D drops the vantage's rows."""
        ribs = self._ribs
        recent_prefix: dict[str, int] = {}
        recent_path, path_id = self._recent_paths.get, self.path_id
        vantage_cache: dict[tuple[str, int], int] = {}
        first = last = None
        added = 0
        for event in events:
            if first is None:
                first = event.timestamp
            last = event.timestamp
            peer = (event.peer_ip, event.peer_asn)
            v = vantage_cache.get(peer)
            if v is None:
                v = vantage_cache[peer] = self.vantage_id(Vantage(collector, event.peer_ip, event.peer_asn))
            kind = event.kind
            if kind == "D":
                self.drop(v)
                continue
            p = recent_prefix.get(event.prefix)
            if p is None:
                if len(recent_prefix) >= RECENT_KEYS:
                    recent_prefix.clear()
                p = recent_prefix[event.prefix] = self.prefixes.provisional(prefix_key_of_text(event.prefix))
            q = WITHDRAWN if kind == "W" else recent_path(event.as_path)
            if q is None:
                q = path_id(event.as_path)
            rib = ribs.get(v)
            if rib is None:
                rib = ribs[v] = array("I")
            rib.extend((p, event.path_id or 0, q))
            added += 1
            if self._buffered + added >= self.spill_routes:
                self._spill(added)
                added = 0
        self._buffered += added
        self.rib_routes += added
        if first is not None and last is not None:
            self.note_span(collector, first, last)

    def rows_of(self, v: int) -> array[int]:
        """The vantage's buffer of (prefix, ADD-PATH id, path) rows with provisional ids, for a reader that
        appends rows itself (`WireRows`); it reports how many with `added`."""
        rib = self._ribs.get(v)
        if rib is None:
            rib = self._ribs[v] = array("I")
        return rib

    def added(self, rows: int) -> None:
        """Count rows appended through `rows_of`, spilling every buffer once they reach `spill_routes`."""
        self._buffered += rows
        self.rib_routes += rows
        if self._buffered >= self.spill_routes:
            self._spill(0)

    def note_span(self, collector: str, first: int, last: int) -> None:
        """Widen the collector's data range (first and last route timestamps seen)."""
        span = self.collector_ranges.setdefault(collector, [first, last])
        span[0], span[1] = min(span[0], first), max(span[1], last)

    def drop(self, v: int) -> None:
        """A peer went down: what it announced before is gone (the buffer count stays an upper bound)."""
        self.dropped.add(v)
        rib = self._ribs.get(v)
        if rib:
            del rib[:]
        (self.scratch / f"rib-{v}.bin").unlink(missing_ok=True)

    def spill_all(self) -> None:
        self._spill(0)

    def append_spilled(self, v: int, rows: U32) -> None:
        """RIB routes (rows of prefix, ADD-PATH id, path, with exact ids) of a vantage that were read
        elsewhere; call `spill_all` first so they land behind the buffered ones."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        with (self.scratch / f"rib-{v}.bin").open("ab") as out:
            np.ascontiguousarray(rows, dtype=np.uint32).tofile(out)
        self.rib_routes += len(rows)

    def _spill(self, added: int) -> None:
        """Append every vantage's buffer, its ids resolved, to its scratch file: RAM holds at most
        `spill_routes` RIB routes."""
        self.rib_routes += added
        self.scratch.mkdir(parents=True, exist_ok=True)
        prefix_ids, path_ids = self.prefixes.resolved(), self.paths.resolved()
        for v, rib in self._ribs.items():
            if rib:
                rows = np.frombuffer(rib, dtype=np.uint32).reshape(-1, 3).copy()
                rows[:, 0] = prefix_ids[rows[:, 0]]
                announced = rows[:, 2] != WITHDRAWN
                rows[announced, 2] = path_ids[rows[announced, 2]]
                with (self.scratch / f"rib-{v}.bin").open("ab") as out:
                    rows.tofile(out)
                del rib[:]
        self._buffered = 0

    def _take_rib(self, v: int) -> tuple[U32, U32, U32]:
        """The vantage's RIB triples in arrival order, released from the scratch folder (call `spill_all`
        first)."""
        spilled = self.scratch / f"rib-{v}.bin"
        rows = np.zeros(0, dtype=np.uint32)
        if spilled.exists():
            rows = np.fromfile(spilled, dtype=np.uint32)
            spilled.unlink()
        return rows[0::3], rows[1::3], rows[2::3]

    def vantage_routes(self, v: int, prefix_remap: U32) -> tuple[U32, U32]:
        """(final prefix id, path id) of the vantage's live routes sorted by prefix (then ADD-PATH id): of
        the rows of one prefix the last one counts, and a withdrawal leaves no route."""
        p, a, q = self._take_rib(v)
        p = prefix_remap[p]
        order = np.lexsort((a, p))  # stable: of equal keys the later row comes last
        p, a, q = p[order], a[order], q[order]
        if len(p) > 1:
            last_of_key = np.append((p[:-1] != p[1:]) | (a[:-1] != a[1:]), True)
            p, q = p[last_of_key], q[last_of_key]
        live = q != WITHDRAWN
        return p[live], q[live]

    def release_ids(self) -> None:
        """Forget the prefix and path tables once the build has taken what it needs from them (~350 MB at a
        full table's 6 M paths, while the route files are written)."""
        self.prefixes, self.paths = Interner(prefix_sequences), Interner()

    def finish(self, prefix_remap: U32) -> FinalRoutes:
        """Pass 1: every vantage's final routes to scratch, with what the tables need to know up front."""
        self.spill_all()
        counts = np.zeros(len(self.vantages), dtype=np.int64)
        used_prefix = np.zeros(len(prefix_remap), dtype=bool)
        used_path = np.zeros(len(self.paths), dtype=bool)
        for v in range(len(self.vantages)):
            p, q = self.vantage_routes(v, prefix_remap)
            counts[v] = len(p)
            used_prefix[p] = True
            used_path[q] = True
            with (self.scratch / f"final-{v}.bin").open("wb") as out:
                p.tofile(out)
                q.tofile(out)
        self._ribs.clear()
        return FinalRoutes(self.scratch, counts, used_prefix, np.flatnonzero(used_path).astype(np.uint32))


@dataclass(slots=True)
class RouteFiles:
    """Pass 2's output: the big tables as `.npy` files in scratch, the per-prefix/per-origin ones in RAM."""

    route_prefix: Path
    route_path: Path
    vantage_offsets: I64
    prefix_vantages: U32
    moas_offsets: I64
    moas_asns: U32
    moas_vantages: U32
    origin_asns: U32
    origin_offsets: I64
    origin_starts: U32
    origin_ends: U32


@dataclass(slots=True)
class FinalRoutes:
    """Each vantage's final routes on disk (temporary path ids), their counts, and which prefixes and paths
    any live route uses (the snapshot keeps only those)."""

    scratch: Path
    counts: I64
    used_prefix: npt.NDArray[np.bool_]
    used_paths: U32

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def _vantage_slices(self) -> Iterator[tuple[U32, U32]]:
        for v, count in enumerate(self.counts.tolist()):
            both = np.fromfile(self.scratch / f"final-{v}.bin", dtype=np.uint32)
            yield both[:count], both[count:]

    def write(
        self,
        prefix_renumber: U32,
        path_remap: U32,
        path_origin: U32,
        path_address_origin: U32,
        n_prefixes: int,
    ) -> RouteFiles:
        """Pass 2: final ids into the route files, per-prefix vantage counts, MOAS pairs and origin groups.

        Each vantage's rows are written ordered by (origin AS, prefix), routes without a single origin AS
        last, so an origin's routes are one row range per vantage: the (origin -> row ranges) index costs
        a few bytes per origin and vantage instead of a 4-byte route index per route.
        """
        prefixes = NpyWriter(self.scratch / "route_prefix.npy", id_dtype(n_prefixes), self.total)
        paths = NpyWriter(self.scratch / "route_path.npy", id_dtype(len(self.used_paths)), self.total)
        prefix_vantages = np.zeros(n_prefixes, dtype=np.int64)
        moas = _PairCounts()
        origin_asns = sorted_unique(path_origin[path_origin != 0])
        n_origins = len(origin_asns)
        origin_of_path = np.where(
            path_origin != 0, np.searchsorted(origin_asns, path_origin), n_origins
        ).astype(np.uint32)
        runs: list[tuple[U32, U32, U32]] = []  # per vantage: (origin, first row, row after the last)
        base = 0
        for p_old, q_old in self._vantage_slices():
            p, q = prefix_renumber[p_old], path_remap[q_old]
            first_of_prefix = np.append(True, p[1:] != p[:-1]) if len(p) else np.zeros(0, dtype=bool)
            prefix_vantages += np.bincount(p[first_of_prefix], minlength=n_prefixes)
            origin = path_address_origin[q]
            seen = origin != 0
            moas.add(sorted_unique((p[seen].astype(np.uint64) << np.uint64(32)) | origin[seen]))
            dense = origin_of_path[q]
            order = np.argsort(dense, kind="stable")  # stable: (origin, prefix, ADD-PATH id)
            dense = dense[order]
            prefixes.write(encoded(p[order], prefixes.dtype))
            paths.write(encoded(q[order], paths.dtype))
            runs.append(_origin_runs(dense, base, n_origins))
            base += len(dense)
        run_origin, starts, ends = (
            np.concatenate([r[i] for r in runs]) if runs else np.zeros(0, dtype=np.uint32) for i in range(3)
        )
        runs.clear()
        order = np.argsort(run_origin, kind="stable")  # stable: each origin's ranges in vantage order
        moas_offsets, moas_asns, moas_vantages = moas.table(n_prefixes)
        return RouteFiles(
            route_prefix=prefixes.close(),
            route_path=paths.close(),
            vantage_offsets=np.append(0, np.cumsum(self.counts)).astype(np.int64),
            prefix_vantages=prefix_vantages.astype(np.uint32),
            moas_offsets=moas_offsets,
            moas_asns=moas_asns,
            moas_vantages=moas_vantages,
            origin_asns=origin_asns.astype(np.uint32),
            origin_offsets=np.searchsorted(run_origin[order], np.arange(n_origins + 1)).astype(np.int64),
            origin_starts=starts[order],
            origin_ends=ends[order],
        )


def _origin_runs(dense: U32, base: int, n_origins: int) -> tuple[U32, U32, U32]:
    """(origin, first row, row after the last) of each run of one origin in a vantage's sorted rows
    (uint32: a full table has ~7 M runs, and row numbers are stored as uint32)."""
    if not len(dense):
        return dense, dense, dense
    starts = np.flatnonzero(np.append(True, dense[1:] != dense[:-1]))
    ends = np.append(starts[1:], len(dense))
    grouped = dense[starts] < n_origins  # routes without a single origin AS are in no group
    return (
        dense[starts][grouped],
        (starts[grouped] + base).astype(np.uint32),
        (ends[grouped] + base).astype(np.uint32),
    )


class _PairCounts:
    """How many vantages see each (prefix << 32 | origin) pair, merged in batches so memory stays bounded."""

    def __init__(self) -> None:
        self.keys: U64 = np.zeros(0, dtype=np.uint64)
        self.counts: I64 = np.zeros(0, dtype=np.int64)
        self._pending: list[U64] = []
        self._pending_size = 0

    def add(self, unique_keys: U64) -> None:
        self._pending.append(unique_keys)
        self._pending_size += len(unique_keys)
        if self._pending_size > PENDING_PAIRS:
            self._merge()

    def _merge(self) -> None:
        """Count the pending keys by sorting them (not the whole table, as `np.unique` with `return_inverse`
        would), add the counts of keys the table has, and merge the others in at their places."""
        if not self._pending:
            return
        pending = np.sort(np.concatenate(self._pending))
        starts = np.flatnonzero(np.append(True, pending[1:] != pending[:-1]))
        new_keys, new_counts = pending[starts], np.diff(np.append(starts, len(pending)))
        at = np.searchsorted(self.keys, new_keys)
        known = at < len(self.keys)
        known[known] = self.keys[at[known]] == new_keys[known]
        counts = self.counts.copy()
        counts[at[known]] += new_counts[known]  # distinct keys: distinct places
        fresh = ~known
        self.keys, self.counts = merged_at(
            at[fresh], (self.keys, new_keys[fresh]), (counts, new_counts[fresh])
        )
        self._pending, self._pending_size = [], 0

    def table(self, n_prefixes: int) -> tuple[I64, U32, U32]:
        """Per prefix, each origin with the number of vantages seeing it, most seen first."""
        self._merge()
        kp = (self.keys >> np.uint64(32)).astype(np.uint32)
        ko = (self.keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        order = np.lexsort((ko, -self.counts, kp))
        kp, ko, counts = kp[order], ko[order], self.counts[order]
        offsets = np.searchsorted(kp, np.arange(n_prefixes + 1), side="left").astype(np.int64)
        return offsets, ko, counts.astype(np.uint32)
