"""RIB files parsed on every core: one worker process per file, or per part of a big file.

Each worker reads its file (or its `MrtReader(part=...)` share) into its own `RouteAccumulator` with local
vantage, prefix and path ids, spills every route to its scratch folder and returns the id tables; the
importer absorbs the partial tables in input order, so ids and route order come out exactly as if one
process had read the files one after the other (the snapshot is byte-identical).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.routing.mrt import MrtReader, MrtReport
from bot.routing.route_build import PathKey, RouteAccumulator
from bot.routing.snapshot import Vantage

# Compressed bytes per part: below this a worker process costs more than it saves.
MIN_PART_BYTES = 8 * 2**20


@dataclass(slots=True)
class Partial:
    """One file's (part's) routes: on disk in `scratch` as `rib-<local vantage>.bin`, ids listed here."""

    scratch: Path
    report: MrtReport
    peers: list[tuple[str, int]]
    prefixes: list[str]
    paths: list[PathKey]
    span: tuple[int, int] | None
    only_rib_entries: bool  # False: the file also holds updates, which must be replayed in order


def parse_part(path: Path, scratch: Path, part: tuple[int, int]) -> Partial:
    """Worker: read one share of a RIB file into local tables, every route spilled to `scratch`."""
    reader = MrtReader(path, part=part)
    routes = RouteAccumulator(scratch)
    routes.consume("", reader)
    routes.spill_all()
    span = routes.collector_ranges.get("")
    return Partial(
        scratch=scratch,
        report=reader.report,
        peers=[(v.peer_ip, v.peer_asn) for v in routes.vantages],
        prefixes=list(routes.prefixes),
        paths=routes.paths.keys(),
        span=(span[0], span[1]) if span else None,
        only_rib_entries=not routes.saw_updates,
    )


def plan_parts(ribs: list[Path], workers: int) -> list[int]:
    """How many parts each RIB file is read in; all ones and no pool when one process is as fast."""
    sizes = [path.stat().st_size for path in ribs]
    total = sum(sizes)
    if workers < 2 or total < 2 * MIN_PART_BYTES:
        return []
    parts = [max(1, min(math.ceil(workers * size / total), size // MIN_PART_BYTES)) for size in sizes]
    return parts if sum(parts) > 1 else []


def read_in_workers(
    ribs: list[Path], parts: list[int], scratch: Path, workers: int
) -> Iterator[tuple[Path, list[Partial]]]:
    """Each file's partial tables, file by file in input order, while later files are still being read."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs: list[tuple[Path, list[Future[Partial]]]] = []
        for index, (path, count) in enumerate(zip(ribs, parts, strict=True)):
            futures = [
                pool.submit(parse_part, path, scratch / f"part-{index}-{k}", (k, count)) for k in range(count)
            ]
            jobs.append((path, futures))
        for path, futures in jobs:
            yield path, [future.result() for future in futures]


def absorb(routes: RouteAccumulator, collector: str, partial: Partial) -> None:
    """Merge a worker's table as if its routes had been consumed here: new ids in first-seen order, the
    routes appended behind every earlier one of their vantage."""
    routes.spill_all()
    vantage_ids = [routes.vantage_id(Vantage(collector, ip, asn)) for ip, asn in partial.peers]
    prefixes, intern = routes.prefixes, routes.paths.intern
    prefix_ids = np.array([prefixes.setdefault(t, len(prefixes)) for t in partial.prefixes], dtype=np.uint32)
    path_ids = np.array([intern(key) for key in partial.paths], dtype=np.uint32)
    for local, v in enumerate(vantage_ids):
        source = partial.scratch / f"rib-{local}.bin"
        if source.exists():
            rows = np.fromfile(source, dtype=np.uint32).reshape(-1, 3)
            rows[:, 0] = prefix_ids[rows[:, 0]]
            rows[:, 2] = path_ids[rows[:, 2]]
            routes.append_spilled(v, rows)
    if partial.span is not None:
        routes.note_span(collector, *partial.span)


def worker_count() -> int:
    """The cores this process may run on (a container's CPU set, not the host's)."""
    return len(os.sched_getaffinity(0))
