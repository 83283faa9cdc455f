"""`data import`: turn MRT RIBs and updates, registry, names and IPASN files into a new snapshot.

MRT files are read by `bot.routing.mrt`, RIB and updates files on every core (`bot.routing.rib_workers`); RIB entries and
updates go straight into compact per-vantage arrays spilled to scratch files, replayed in order
(`bot.routing.route_build`: a full table never exists as Python objects, nor whole in RAM).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.core.errors import InvalidInput
from bot.routing import prefix_match
from bot.routing.asnames import AsNames, date_from_name, parse_asn_txt, parse_asnames_json
from bot.routing.asns import address_origin, is_public
from bot.routing.input_kinds import FileKind, InputText, UnknownFileKind, detect_kind, parse_ipasn
from bot.routing.interning import BATCH, SequenceTable, segment_index
from bot.routing.ixps import BadIxpFile, IxpData, parse_ixps
from bot.routing.mrt import MrtFormatError, MrtReader, MrtReport, RouteEvent
from bot.routing.registry import Registrations, parse_delegated
from bot.routing.rib_workers import (
    Partial,
    TreeMemory,
    absorb,
    file_span,
    own_peak_rss,
    plan_parts,
    read_here,
    read_in_workers,
    worker_count,
)
from bot.routing.route_build import RouteAccumulator, path_of_words, prefix_key_of_text
from bot.routing.snapshot import (
    CollectorInfo,
    FileRecord,
    Provenance,
    SnapshotTables,
    V6Columns,
    install_snapshot,
    ts_to_datetime,
    write_meta,
    write_tables,
)
from bot.routing.unique import sorted_unique

Progress = Callable[[str], None]
IMPORT_EXAMPLE = "silkroute data import rib.20140523.0600.bz2 delegated-extended.txt asnames.json"


class ImportFailed(InvalidInput):
    """The import could not produce a snapshot; the previous one keeps serving. The message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, example=IMPORT_EXAMPLE)


@dataclass(slots=True)
class ImportReport:
    folder: Path
    provenance: Provenance
    warnings: list[str] = field(default_factory=list)
    serving: bool = True  # False: older than the serving snapshot, kept aside for history only
    # The tables just written, still in memory: history records from them instead of re-opening the folder.
    tables: SnapshotTables | None = field(default=None, repr=False, compare=False)


# --- routes ----------------------------------------------------------------------------------------------


def _sort_prefixes(
    prefixes: SequenceTable,
) -> tuple[npt.NDArray[np.uint64], list[str], V6Columns, npt.NDArray[np.uint32]]:
    """Sorted IPv4 keys, sorted IPv6 texts and columns, and the map id -> final id (IPv4 first), from the
    prefixes' words (`route_build.prefix_sequences`) without a Python object per prefix, but for the IPv6
    texts."""
    elems, starts = prefixes.elems, prefixes.offsets[:-1]
    head = elems[starts]
    v6 = head >= 256
    lengths = (head & 255).astype(np.uint64)
    v4_ids = np.flatnonzero(~v6)
    v4_all = (elems[starts[v4_ids] + 1].astype(np.uint64) << np.uint64(8)) | lengths[v4_ids]
    v4_order = np.argsort(v4_all, kind="stable")
    v6_ids = np.flatnonzero(v6)
    words = [elems[starts[v6_ids] + k].astype(np.uint64) for k in range(1, 5)]
    hi = (words[0] << np.uint64(32)) | words[1]
    lo = (words[2] << np.uint64(32)) | words[3]
    v6_order = np.lexsort((lengths[v6_ids], lo, hi))
    remap = np.zeros(len(prefixes), dtype=np.uint32)
    remap[np.concatenate((v4_ids[v4_order], v6_ids[v6_order]))] = np.arange(len(prefixes), dtype=np.uint32)
    columns = (hi[v6_order], lo[v6_order], lengths[v6_ids][v6_order].astype(np.uint8))
    v6_texts = list(map(prefix_match.v6_text, *(column.tolist() for column in columns)))
    return v4_all[v4_order], v6_texts, columns, remap


def _encode_paths(
    paths: SequenceTable, used: npt.NDArray[np.uint32]
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.int64],
    dict[int, list[list[int]]],
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
]:
    """Flat path table of the used paths: elems, offsets, sets, remap old->new, and per new path its origin
    (last AS) and its address origin (see `address_origin`). Plain paths (nearly all) are copied in numpy
    passes; those with an AS_SET or AS0 (`path_words`' tagged form) are decoded one by one."""
    elems, offsets = paths.elems, paths.offsets
    old_ids = used.astype(np.int64)
    lengths = offsets[old_ids + 1] - offsets[old_ids]
    tagged = np.zeros(len(old_ids), dtype=bool)
    tagged[lengths > 0] = elems[offsets[old_ids[lengths > 0]]] == 0
    decoded = {
        int(new): path_of_words(elems[offsets[old] : offsets[old + 1]].tolist())
        for new, old in zip(np.flatnonzero(tagged).tolist(), old_ids[tagged].tolist(), strict=True)
    }
    sizes = lengths.copy()
    for new, path in decoded.items():
        sizes[new] = len(path)
    out_offsets = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(sizes)))
    out = np.zeros(int(out_offsets[-1]), dtype=np.uint32)
    for start in range(0, len(old_ids), BATCH):  # in chunks: the index arrays take 8 bytes per ASN
        plain = start + np.flatnonzero(~tagged[start : start + BATCH])
        source, owner = segment_index(offsets, old_ids[plain])
        out[out_offsets[plain][owner] + (source - offsets[old_ids[plain]][owner])] = elems[source]
    origins = np.zeros(len(old_ids), dtype=np.uint32)
    has_last = ~tagged & (lengths > 0)
    origins[has_last] = elems[offsets[old_ids[has_last] + 1] - 1]
    sets: dict[int, list[list[int]]] = {}
    for new, path in decoded.items():
        out[out_offsets[new] : out_offsets[new + 1]] = [0 if isinstance(e, frozenset) else e for e in path]
        sets_here = [sorted(e) for e in path if isinstance(e, frozenset)]
        if sets_here:
            sets[new] = sets_here
        last = path[-1] if path else 0
        origins[new] = last if isinstance(last, int) else 0
    unique_origins = sorted_unique(origins)
    public = np.isin(origins, [asn for asn in unique_origins.tolist() if asn and is_public(asn)])
    address_origins = np.where(public, origins, 0).astype(np.uint32)
    for new in np.flatnonzero(~public).tolist():  # a private or reserved origin: look further up the path
        old = int(old_ids[new])
        address_origins[new] = address_origin(
            decoded.get(new) or tuple(elems[offsets[old] : offsets[old + 1]].tolist())
        )
    remap = np.zeros(len(paths), dtype=np.uint32)
    remap[old_ids] = np.arange(len(old_ids), dtype=np.uint32)
    return out, out_offsets, sets, remap, origins, address_origins


# --- files -----------------------------------------------------------------------------------------------


def file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest(), path.stat().st_size


_COLLECTOR_FROM_NAME = re.compile(
    r"^(?:ris-)?(?P<name>[a-z0-9-]+?)[-.](?:rib|bview|updates|latest)", re.IGNORECASE
)


def collector_name(path: Path, report: Any = None) -> str:
    """Collector from the file name (`rrc00-updates...`, `routeviews2-rib...`), which RIBs and update files
    of one collector share; else the RIB's view name or BGP id; else the file's stem."""
    match = _COLLECTOR_FROM_NAME.match(path.name)
    if match:
        return match["name"].lower()
    for attribute in ("view_name", "collector_bgp_id"):
        value = getattr(report, attribute, None)
        if isinstance(value, str) and value:
            return value
    return path.name.split(".")[0]


def _first_event(path: Path) -> RouteEvent | None:
    reader = MrtReader(path)
    return next(iter(reader), None)


@dataclass(slots=True)
class _Inputs:
    ribs: list[Path] = field(default_factory=list)
    updates: list[tuple[int, Path]] = field(default_factory=list)
    registry: Registrations = field(default_factory=Registrations)
    names: AsNames = field(default_factory=AsNames)
    ipasn: list[tuple[str, int]] = field(default_factory=list)
    ipasn_file: str = ""
    ixps: IxpData = field(default_factory=IxpData)
    records: list[FileRecord] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def _classify(paths: list[Path], progress: Progress) -> _Inputs:
    """Detect every file's kind first, so a bad file fails the import before any heavy work."""
    inputs = _Inputs()
    seen: dict[Path, Path] = {}
    for path in paths:
        if not path.is_file():
            raise ImportFailed(f"{path} does not exist or is not a file.")
        if path.resolve() in seen:
            inputs.duplicates.append(f"{path} was given twice (as {seen[path.resolve()]}): read once")
            continue
        seen[path.resolve()] = path
        try:
            _read_input(path, inputs, progress)
        except UnknownFileKind as exc:
            raise ImportFailed(f"Cannot import {path}: {exc}.") from None
        except OSError as exc:
            raise ImportFailed(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return inputs


def _read_input(path: Path, inputs: _Inputs, progress: Progress) -> None:
    """Classify one file and take what it gives; text kinds go through `InputText`, so a cut or corrupt
    stream keeps its complete lines and the loss is recorded like an MRT file's."""
    kind = detect_kind(path)
    sha, size = file_digest(path)
    record = FileRecord(name=path.name, kind=kind.value, sha256=sha, size=size)
    inputs.records.append(record)
    progress(f"{path.name}: {kind.value}")
    if kind is FileKind.MRT:
        first = _first_event(path)
        if first is None:
            record.note = "no routes in the readable part"
        elif first.kind == "B":
            record.role = "rib"
            inputs.ribs.append(path)
        else:
            record.role = "updates"
            inputs.updates.append((first.timestamp, path))
        return
    text = InputText(path)
    if kind is FileKind.DELEGATED:
        registry = parse_delegated(text.lines())
        inputs.registry.merge(registry)
        if registry.skipped_lines:
            record.note = f"{registry.skipped_lines} malformed or out-of-range line(s) skipped"
    elif kind is FileKind.ASNAMES_JSON:
        content = text.read()
        try:
            inputs.names.merge(parse_asnames_json(content, cut=bool(text.loss)))
        except ValueError as exc:
            raise UnknownFileKind(f"{path.name} looks like an AS names JSON file but {exc}") from None
        _date_names_file(path, record)
    elif kind is FileKind.ASNAMES_TEXT:
        inputs.names.merge(parse_asn_txt(text.lines()))
        _date_names_file(path, record)
    elif kind is FileKind.IXPS:
        try:
            ixps = parse_ixps(text.read())
        except BadIxpFile as exc:
            raise ImportFailed(f"Cannot import {path}: {exc}.") from None
        inputs.ixps.merge(ixps)
        if ixps.date is not None:
            record.last_timestamp, record.dated_by = int(ixps.date.timestamp()), "its own date field"
    else:
        inputs.ipasn.extend(parse_ipasn(text.lines()))
        inputs.ipasn_file = path.name
    record.truncated, record.truncation_reason = bool(text.loss), text.loss


def _date_names_file(path: Path, record: FileRecord) -> None:
    """Names files hold no date: use the one in the file name, else the file's mtime (which `data update`
    sets to the server's Last-Modified), so answers can say how old the names are."""
    named = date_from_name(path.name)
    if named is not None:
        record.last_timestamp, record.dated_by = int(named.timestamp()), "file name"
    else:
        record.last_timestamp, record.dated_by = int(path.stat().st_mtime), "modification time"


def _read_mrt_files(
    files: list[Path], records: dict[str, FileRecord], routes: RouteAccumulator, say: Progress, workers: int
) -> int:
    """MRT files (RIBs, then updates in replay order) on every core when they are big enough to pay for the
    processes, else one by one here; either way each file's routes are absorbed in order. Returns the
    reading's peak memory, workers included (`TreeMemory`), or this process's own peak if larger."""
    parts = plan_parts(files, workers)
    with TreeMemory() as memory:
        try:
            read: Iterable[tuple[Path, list[Partial]]]
            if parts:
                say(f"reading {len(files)} MRT file(s) in {sum(parts)} part(s) on {workers} cores")
                read = read_in_workers(files, parts, routes.scratch, workers)
            else:
                read = read_here(files, routes.scratch, say)
            for path, partials in read:
                report = MrtReport.of_parts([p.report for p in partials])
                collector = collector_name(path, report)
                for partial in partials:
                    absorb(routes, collector, partial)
                    shutil.rmtree(partial.scratch, ignore_errors=True)
                span = file_span(partials)
                if span is not None:
                    routes.note_span(collector, *span)
                _fill_record(records[path.name], report, collector)
        except MrtFormatError as exc:
            raise ImportFailed(f"Cannot import an MRT file: {exc}") from None
    return max(memory.peak, own_peak_rss())


def _fill_record(record: FileRecord, report: MrtReport, collector: str) -> None:
    record.collector = collector
    record.records = int(report.records)
    record.events = int(report.events)
    record.skipped_corrupt = int(report.skipped_corrupt)
    record.truncated = bool(report.truncated)
    record.truncation_reason = str(report.truncation_reason)
    record.events_lost_estimate = int(report.events_lost_estimate)
    record.first_timestamp = report.first_timestamp
    record.last_timestamp = report.last_timestamp


@contextmanager
def _scratch(data_dir: Path) -> Iterator[Path]:
    """A build folder beside the snapshots (same file system: its tables are renamed in, not copied), named
    like an install's temp folder so a killed import's leftovers are removed by the next install."""
    folder = data_dir / "snapshots" / f".tmp-build-{uuid.uuid4().hex[:8]}-pid{os.getpid()}"
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_files(
    paths: Iterable[Path], data_dir: Path, progress: Progress | None = None, workers: int | None = None
) -> ImportReport:
    """Build a snapshot from local files and make it current; raise ImportFailed and change nothing on error.
    MRT files are read by up to `workers` processes (default: every core this process may use)."""
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    _check_data_dir(Path(data_dir))
    inputs = _classify([Path(p) for p in paths], say)
    with _scratch(Path(data_dir)) as scratch:
        routes = RouteAccumulator(scratch)
        records = {r.name: r for r in inputs.records}
        mrt_files = inputs.ribs + [path for _, path in sorted(inputs.updates)]
        reading_peak = _read_mrt_files(mrt_files, records, routes, say, workers or worker_count())
        if not routes.has_routes() and not inputs.ipasn:
            raise ImportFailed(
                "No routes to build a snapshot from: give at least one MRT RIB/updates file or a pyasn IPASN file."
            )
        if inputs.ipasn and routes.has_routes():
            for record in inputs.records:
                if record.kind == FileKind.IPASN.value:
                    record.note = "not used: the MRT routes give IP -> AS"
        return _install(inputs, routes, Path(data_dir), say, started, reading_peak)


def import_events(
    streams: Iterable[tuple[str, Iterable[RouteEvent]]],
    data_dir: Path,
    progress: Progress | None = None,
    registry: Registrations | None = None,
) -> ImportReport:
    """Build a snapshot straight from (collector, RouteEvent stream) pairs, in order: for generated tables
    (benchmarks, tests) and for feeds that are not MRT files; `registry` gives registration countries."""
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    _check_data_dir(Path(data_dir))
    with _scratch(Path(data_dir)) as scratch:
        routes = RouteAccumulator(scratch)
        for collector, events in streams:
            say(f"reading {collector}")
            routes.consume(collector, events)
        if not routes.has_routes():
            raise ImportFailed("No routes to build a snapshot from: every event stream was empty.")
        return _install(
            _Inputs(registry=registry or Registrations()), routes, Path(data_dir), say, started, 0
        )


def _install(
    inputs: _Inputs,
    routes: RouteAccumulator,
    data_dir: Path,
    say: Progress,
    started: float,
    reading_peak: int,
) -> ImportReport:
    say("building tables")
    tables, provenance = _build_tables(inputs, routes)
    warnings = [
        f"{name} is truncated: only its complete records were imported" for name in provenance.truncated_files
    ]
    if provenance.skipped_corrupt:
        warnings.append(f"{provenance.skipped_corrupt} corrupt MRT record(s) skipped")
    warnings += [f"{r.name}: {r.note}" for r in inputs.records if r.note] + inputs.duplicates
    say("writing snapshot")

    def write(target: Path) -> None:
        write_tables(target, tables)
        provenance.import_seconds = round(time.perf_counter() - started, 3)
        # the workers are gone by now: the import's peak is the reading's or this process's own later one
        provenance.import_peak_rss = max(reading_peak, own_peak_rss())
        write_meta(target, tables, provenance)

    try:
        folder, serving = install_snapshot(data_dir, write, provenance.data_date)
    except OSError as exc:
        raise ImportFailed(
            f"Writing the snapshot into {data_dir} failed ({exc.strerror or exc}); the previous one keeps serving."
        ) from None
    return ImportReport(folder, provenance, warnings, serving, tables)


def _check_data_dir(data_dir: Path) -> None:
    """Fail in a second, naming the folder, when the snapshot could not be written after all the work."""
    if data_dir.exists() and not data_dir.is_dir():
        raise ImportFailed(f"The data folder {data_dir} is a file, not a folder.")
    snapshots = data_dir / "snapshots"
    try:
        snapshots.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImportFailed(f"Cannot create the data folder {snapshots}: {exc.strerror or exc}.") from None
    for folder in (data_dir, snapshots):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ImportFailed(f"Cannot write to the data folder {folder}: permission denied.")


def _build_tables(inputs: _Inputs, routes: RouteAccumulator) -> tuple[SnapshotTables, Provenance]:
    source = "routes" if routes.has_routes() else inputs.ipasn_file
    routes.spill_all()
    ipasn_ids = np.zeros(0, dtype=np.uint32)
    if source != "routes":
        provisional = [routes.prefixes.provisional(prefix_key_of_text(text)) for text, _asn in inputs.ipasn]
        ipasn_ids = routes.prefixes.resolved()[provisional]
    v4_keys, v6_texts, v6_columns, remap = _sort_prefixes(routes.prefixes.table)
    final = routes.finish(remap)
    renumber = np.arange(len(remap), dtype=np.uint32)
    if source == "routes":
        # drop prefixes no live route uses; the renumbering is monotonic, so the sort order holds
        used_prefix = final.used_prefix
        renumber = (np.cumsum(used_prefix) - 1).astype(np.uint32)
        n4 = len(v4_keys)
        v4_keys = v4_keys[used_prefix[:n4]]
        v6_texts = [t for t, u in zip(v6_texts, used_prefix[n4:].tolist(), strict=True) if u]
        hi, lo, lengths = v6_columns
        v6_columns = (hi[used_prefix[n4:]], lo[used_prefix[n4:]], lengths[used_prefix[n4:]])
    elems, offsets, sets, path_remap, path_origin, path_address_origin = _encode_paths(
        routes.paths.table, final.used_paths
    )
    routes.release_ids()
    n_prefixes = len(v4_keys) + len(v6_texts)
    built = final.write(renumber, path_remap, path_origin, path_address_origin, n_prefixes)
    moas_offsets, moas_asns, moas_vantages = built.moas_offsets, built.moas_asns, built.moas_vantages
    if source != "routes":
        pairs = sorted(zip(remap[ipasn_ids].tolist(), (asn for _text, asn in inputs.ipasn), strict=True))
        moas_asns = np.array([a for _, a in pairs], dtype=np.uint32)
        moas_vantages = np.zeros(len(pairs), dtype=np.uint32)
        moas_offsets = np.searchsorted(
            np.array([i for i, _ in pairs], dtype=np.int64), np.arange(n_prefixes + 1)
        ).astype(np.int64)
    vantage_list = sorted(routes.vantages, key=routes.vantages.__getitem__)
    tables = SnapshotTables(
        vantages=vantage_list,
        prefix_v4_keys=v4_keys,
        prefix_v6=v6_texts,
        prefix_v6_columns=v6_columns,
        route_prefix=built.route_prefix,
        route_path=built.route_path,
        vantage_offsets=built.vantage_offsets,
        path_elems=elems,
        path_offsets=offsets,
        path_sets=sets,
        prefix_vantages=built.prefix_vantages,
        moas_offsets=moas_offsets,
        moas_asns=moas_asns,
        moas_vantages=moas_vantages,
        origin_asns=built.origin_asns,
        origin_offsets=built.origin_offsets,
        origin_starts=built.origin_starts,
        origin_ends=built.origin_ends,
        asn_country=inputs.registry.asn_country,
        name_country=inputs.names.countries,
        as_names=inputs.names.names,
        v4_ranges=_ranges(inputs.registry.v4_ranges, np.uint32),
        v6_ranges=_ranges(inputs.registry.v6_ranges, np.uint64),
        ixps=inputs.ixps.finish(),
    )
    provenance = Provenance(
        built_at=datetime.now(UTC),
        files=inputs.records,
        collectors=_collectors(routes, final.counts),
        registry_date=inputs.registry.date,
        ip_to_as_source=source,
        prefixes_v4=len(v4_keys),
        prefixes_v6=len(v6_texts),
        routes=final.total,
        unique_paths=len(final.used_paths),
    )
    return tables, provenance


def _collectors(routes: RouteAccumulator, counts: npt.NDArray[np.int64]) -> list[CollectorInfo]:
    result = []
    for name, (first, last) in sorted(routes.collector_ranges.items()):
        ids = [i for k, i in routes.vantages.items() if k.collector == name]
        live = [i for i in ids if counts[i] > 0]
        result.append(
            CollectorInfo(
                name=name,
                data_start=ts_to_datetime(first),
                data_end=ts_to_datetime(last),
                vantage_points=len(live),
                routes=int(sum(int(counts[i]) for i in live)),
            )
        )
    return result


def _ranges(ranges: list[tuple[int, int, str]], dtype: Any) -> tuple[Any, Any, Any]:
    ordered = sorted(ranges)
    merged: list[tuple[int, int, str]] = []
    for start, end, cc in ordered:
        if merged and merged[-1][2] == cc and merged[-1][1] + 1 >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end), cc)
        else:
            merged.append((start, end, cc))
    return (
        np.array([r[0] for r in merged], dtype=dtype),
        np.array([r[1] for r in merged], dtype=dtype),
        np.array([r[2].encode() for r in merged], dtype="S2"),
    )
