"""MRT files parsed on every core: one worker process per file, or per part of a big file.

Each worker reads its file (or its `MrtReader(part=...)` share, split at record boundaries) into its own
`RouteAccumulator` with local vantage, prefix and path ids, the reader writing integer rows straight into it
(`WireRows`: prefixes found by their wire bytes and kept as integer words, never as text; no object per
route), spills every route to its scratch folder and leaves its prefix and path tables there as arrays
(`bot.routing.interning`: ~50 bytes per distinct path instead of a dict's ~160); a file too small to pay
for a process is read the same way in the importer's own process (`read_here`). The importer absorbs
the partial tables in input order, so ids and route order come out exactly as if one process had read the
files one after the other (the snapshot is byte-identical).
That holds for updates files too: records are independent to parse, and only their replay order matters,
which absorbing in order keeps: per vantage, a part's rows land behind every earlier row (the last row of a
prefix wins, a withdrawal is a tombstone row), and a peer-down inside a part voids the vantage's earlier
rows, the other parts' included, before the part's rows after it are appended.

A compressed file is split too, although part k decompresses the shares before its own to find its first
record (MRT has no sync marks): the last part's wall time is the whole decompression plus a share of the
parsing, which is what decompressing once to scratch and splitting the plain file would cost too (the parts
wait for it), and the extra CPU falls on cores the earlier parts leave idle. Measured on a 4.0 M-route
updates file as .bz2 (bzip2 decompression alone 10 s of CPU, parsing ~15 s), on 2 busy cores: split in 2
parts 188 s wall and 44.5 s CPU, read whole 271 s and 43.7 s. Only parallel decompression (indexed-bzip2,
rapidgzip) would cut the wall time further, at the price of finding record boundaries at block boundaries.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import resource
import socket
import threading
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.routing import route_build
from bot.routing.interning import load_sequences, spans
from bot.routing.mrt import AsPath, MrtReader, MrtReport, Nlri
from bot.routing.mrt_updates import UpdateRoutes
from bot.routing.route_build import WITHDRAWN, RouteAccumulator, path_words, prefix_key, prefix_keys
from bot.routing.snapshot import Vantage

# Compressed bytes per part: below this a worker process costs more than it saves.
MIN_PART_BYTES = 8 * 2**20


@dataclass(slots=True)
class Partial:
    """One file's (part's) routes: on disk in `scratch` as `rib-<local vantage>.bin`, with its local
    prefix and path tables (`load_sequences(scratch, "prefix" | "path")`: arrays, no object per entry to
    pickle and unpickle); `dropped` are the local vantages that went down in it, `rows` counts every row
    read, dropped or not."""

    scratch: Path
    report: MrtReport
    peers: list[tuple[str, int]]
    prefixes: int
    paths: int
    span: tuple[int, int] | None
    dropped: set[int]
    rows: int


class WireRows:
    """The `RouteRows` an import reads MRT into: rows go straight into a `RouteAccumulator`'s integer
    buffers, prefixes and paths with provisional ids, which the accumulator resolves when it spills (a RIB's
    prefixes are found by their wire encoding, per family, in a cache of recent ones first)."""

    withdrawn = WITHDRAWN

    def __init__(self, routes: RouteAccumulator) -> None:
        self.routes = routes
        self._ids: tuple[dict[bytes, int], dict[bytes, int]] = ({}, {})  # IPv4, IPv6
        self._buffers: dict[int, array[int]] = {}

    def vantage(self, peer_raw: bytes, peer_asn: int) -> int:
        ip = socket.inet_ntop(socket.AF_INET6 if len(peer_raw) == 16 else socket.AF_INET, peer_raw)
        return self.routes.vantage_id(Vantage("", ip, peer_asn))

    def path_id(self, path: AsPath) -> int:
        return self.routes.path_id(path)

    def down(self, vantage: int) -> None:
        self.routes.drop(vantage)

    def add(self, vantage: int, path_id: int, nlri: Nlri) -> None:
        """One NLRI field's prefixes (of an UPDATE the batch decoder leaves, or a TABLE_DUMP route): a
        provisional id each, in one run, no lookup per prefix (the recent-key cache `add_rib` asks would
        seldom hit: an updates file's prefixes come back far apart)."""
        v6, raws, add_path_ids = nlri
        n = len(raws)
        first = self.routes.prefixes.provisional_run(*prefix_keys(raws, v6))
        triples = [path_id] * (3 * n)  # (prefix, ADD-PATH id, path) rows, filled column by column
        triples[0::3] = range(first, first + n)
        triples[1::3] = add_path_ids or [0] * n
        rows = self._buffers.get(vantage)
        if rows is None:
            rows = self._buffer(vantage)
        rows.extend(triples)
        self.routes.added(n)

    def add_updates(self, routes: UpdateRoutes) -> None:
        """Rows for a decoded run of UPDATE records: every prefix and every announcing record's path a
        provisional id, in one run each, and the rows appended per vantage in file order."""
        lengths = routes.asn_counts.copy()
        unusual = {place: path_words(path) for place, path in routes.unusual.items()}
        for place, words in unusual.items():
            lengths[place] = len(words)
        words_at = np.cumsum(lengths) - lengths
        all_words = np.empty(int(lengths.sum()), dtype=np.uint32)
        all_words[spans(words_at[routes.plain], lengths[routes.plain])[0]] = routes.asns
        for place, words in unusual.items():
            all_words[words_at[place] : words_at[place] + len(words)] = words
        first_path = self.routes.paths.provisional_run(all_words.tobytes(), 4 * lengths)
        first_prefix = self.routes.prefixes.provisional_run(routes.prefix_keys, routes.key_lengths)
        count = len(routes.path)
        triples = np.zeros((count, 3), dtype=np.uint32)
        triples[:, 0] = np.arange(first_prefix, first_prefix + count)
        triples[:, 2] = np.where(routes.path < 0, WITHDRAWN, first_path + routes.path)
        for v in np.unique(routes.vantage).tolist():
            self._buffer(v).frombytes(triples[routes.vantage == v].tobytes())
        self.routes.added(count)

    def add_rib(
        self, prefix: bytes, v6: bool, vantages: list[int], add_path_ids: list[int], path_ids: list[int]
    ) -> None:
        ids = self._ids[v6]
        p = ids.get(prefix)
        if p is None:
            p = self._new(ids, prefix, v6)
        buffers = self._buffers
        for v, add_path_id, q in zip(vantages, add_path_ids, path_ids, strict=True):
            rows = buffers.get(v)
            if rows is None:
                rows = self._buffer(v)
            rows.extend((p, add_path_id, q))
        self.routes.added(len(vantages))

    def _new(self, ids: dict[bytes, int], raw: bytes, v6: bool) -> int:
        if len(ids) >= route_build.RECENT_KEYS:
            ids.clear()
        p = ids[raw] = self.routes.prefixes.provisional(prefix_key(raw, v6))
        return p

    def _buffer(self, vantage: int) -> array[int]:
        rows = self._buffers.get(vantage)
        if rows is None:
            rows = self._buffers[vantage] = self.routes.rows_of(vantage)
        return rows


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Reading makes millions of short-lived tuples and lists and never a reference cycle, while the
    collector would re-scan the caches of decoded attributes at every collection: a quarter of the reading
    time (measured on a generated updates file)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_part(path: Path, scratch: Path, part: tuple[int, int]) -> Partial:
    """Worker: read one share of an MRT file into local tables, every route spilled to `scratch`."""
    reader = MrtReader(path, part=part)
    routes = RouteAccumulator(scratch)
    rows = WireRows(routes)
    with _no_cycle_collection():
        span = reader.read_rows(rows)
    routes.spill_all()
    routes.prefixes.table.save(scratch, "prefix")
    routes.paths.table.save(scratch, "path")
    return Partial(
        scratch=scratch,
        report=reader.report,
        peers=[(v.peer_ip, v.peer_asn) for v in routes.vantages],
        prefixes=len(routes.prefixes),
        paths=len(routes.paths),
        span=span,
        dropped=routes.dropped,
        rows=routes.rib_routes,
    )


def plan_parts(files: list[Path], workers: int) -> list[int]:
    """How many parts each MRT file is read in; all ones and no pool when one process is as fast."""
    sizes = [path.stat().st_size for path in files]
    total = sum(sizes)
    if workers < 2 or total < 2 * MIN_PART_BYTES:
        return []
    parts = [max(1, min(math.ceil(workers * size / total), size // MIN_PART_BYTES)) for size in sizes]
    return parts if sum(parts) > 1 else []


def read_in_workers(
    files: list[Path], parts: list[int], scratch: Path, workers: int
) -> list[tuple[Path, list[Partial]]]:
    """Each file's partial tables, in input order, once every part is read and the workers have exited.
    Absorbing a file while later parts were still read saved a few seconds but let the importer's tables
    (~0.6 GB at 120 M routes) coincide with two workers at their peak: 1.56 GB in all, where reading alone
    peaks at ~1.2 GB (an idle worker of the pool also keeps what it has allocated until the pool ends)."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs: list[tuple[Path, list[Future[Partial]]]] = []
        for index, (path, count) in enumerate(zip(files, parts, strict=True)):
            futures = [
                pool.submit(parse_part, path, scratch / f"part-{index}-{k}", (k, count)) for k in range(count)
            ]
            jobs.append((path, futures))
        return [(path, [future.result() for future in futures]) for path, futures in jobs]


def read_here(
    files: list[Path], scratch: Path, say: Callable[[str], None]
) -> Iterator[tuple[Path, list[Partial]]]:
    """Each file read whole in this process, the way a worker reads a part: for files too small to split."""
    for index, path in enumerate(files):
        say(f"reading {path.name}")
        yield path, [parse_part(path, scratch / f"part-{index}-0", (0, 1))]


def absorb(routes: RouteAccumulator, collector: str, partial: Partial) -> None:
    """Merge a worker's table as if its routes had been consumed here: new ids in first-seen order, a
    vantage that went down in the part emptied first, then the routes appended behind every earlier one
    of their vantage. The collector's data range is the caller's (`file_span`): one note per file."""
    routes.spill_all()
    vantage_ids = [routes.vantage_id(Vantage(collector, ip, asn)) for ip, asn in partial.peers]
    prefix_ids = routes.prefixes.table.intern_table(*load_sequences(partial.scratch, "prefix"))
    path_ids = np.append(routes.paths.table.intern_table(*load_sequences(partial.scratch, "path")), WITHDRAWN)
    appended = 0
    for local, v in enumerate(vantage_ids):
        if local in partial.dropped:
            routes.drop(v)
        source = partial.scratch / f"rib-{local}.bin"
        if source.exists():
            rows = np.fromfile(source, dtype=np.uint32).reshape(-1, 3)
            rows[:, 0] = prefix_ids[rows[:, 0]]
            rows[:, 2] = path_ids[np.minimum(rows[:, 2], len(path_ids) - 1)]
            routes.append_spilled(v, rows)
            appended += len(rows)
    routes.rib_routes += partial.rows - appended  # rows a peer-down voided still count as read


def file_span(partials: list[Partial]) -> tuple[int, int] | None:
    """(first, last) route timestamp of a file read in parts: the first part's first, the last part's last,
    exactly what one pass over the whole file notes."""
    spans = [p.span for p in partials if p.span is not None]
    return (spans[0][0], spans[-1][1]) if spans else None


def own_peak_rss() -> int:
    """This process's peak resident memory in bytes: the process image's VmHWM where /proc has it
    (`ru_maxrss` keeps the peak of a parent that forked and exec'd us)."""
    return status_bytes("self", "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def status_bytes(pid: str, field: str) -> int:
    """A size field of /proc/<pid>/status (VmRSS, VmHWM) in bytes; 0 where /proc has none."""
    with contextlib.suppress(OSError, StopIteration, ValueError, IndexError):
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace").splitlines()
        return int(next(line for line in status if line.startswith(f"{field}:")).split()[1]) * 1024
    return 0


class TreeMemory:
    """The largest memory this process and its descendants (the import workers) used together, sampled
    every `interval` seconds while it is entered. Each process counts its proportional set size (PSS:
    a page shared by n processes counts 1/n in each), so the sum is the physical memory of the tree: a
    forked worker shares ~80 MiB of the importer's pages, which a sum of resident sizes (RSS) counts once
    per process (`rss_peak` keeps that sum too). Summing each process's own peak instead would overstate
    by half at full size: the workers peak while they read, the importer later, while it absorbs."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peak = 0
        self.rss_peak = 0
        self.children_seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="import-memory", daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while True:
            below = descendants(me)
            self.children_seen.update(below)
            tree = [str(pid) for pid in (me, *below)]
            self.peak = max(self.peak, sum(map(proportional_bytes, tree)))
            self.rss_peak = max(self.rss_peak, sum(status_bytes(pid, "VmRSS") for pid in tree))
            if self._stop.wait(self.interval):
                return


def proportional_bytes(pid: str) -> int:
    """The process's proportional set size in bytes (/proc/<pid>/smaps_rollup), its RSS where that is
    missing (kernels before 4.14)."""
    with contextlib.suppress(OSError, StopIteration, ValueError, IndexError):
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii", errors="replace").splitlines()
        return int(next(line for line in rollup if line.startswith("Pss:")).split()[1]) * 1024
    return status_bytes(pid, "VmRSS")


def descendants(root: int) -> list[int]:
    """Every process below `root` (workers, and what they started), from each process's parent field in
    /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = Path(f"/proc/{entry.name}/stat").read_text(encoding="ascii", errors="replace")
                    children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def worker_count() -> int:
    """The cores this process may run on (a container's CPU set, not the host's)."""
    return len(os.sched_getaffinity(0))
