"""The routing snapshot: its on-disk layout, the read API every routing answer uses, and atomic swapping.

Layout of `data_dir/snapshots/<id>/` (`data_dir/current` is a symlink to the serving one), sized for a full
table (~1M prefixes x 30 vantage points = 30M routes):

- `meta.json`: provenance, vantages, counts.
- routes sorted by (vantage, origin AS, prefix): `route_prefix.npy`, `route_path.npy` (3 bytes an id while the
  ids fit, 4 beyond: `bot.routing.id_columns`; 6 bytes a route) and `vantage_offsets.npy` (where each
  vantage's slice starts), so the vantage needs no column.
- AS paths interned once: `path_elems.npy` (uint32, flat; 0 marks an AS_SET, which AS0 can never be on a
  path per RFC 7607) + `path_offsets.npy`; the sets, in path order, as `path_set_paths.npy` (whose set each
  is), `path_set_offsets.npy` and `path_set_asns.npy`: mapped, nothing parsed at load.
- prefixes: IPv4 as sorted uint64 keys `net << 8 | len` (`prefix_v4_keys.npy`, ids 0..n4-1), IPv6 as sorted
  (high 64 bits, low 64 bits, length) columns (`prefix_v6_hi/lo/len.npy`, ids n4..), so sorted order puts
  every more-specific right after its cover.
- `moas_*.npy`: every origin of each prefix with how many vantages see it, most-seen first.
- `origin_*.npy`: per origin AS (`origin_asns`), its row range in each vantage's slice (`origin_starts`,
  `origin_lengths`, vantage order; `origin_offsets` says which ranges are whose): no per-route index.
- vantage counts (`prefix_vantages`, `moas_vantages`) and range lengths are written in the narrowest unsigned
  type that holds them (one byte a count below 256 vantage points).
- `lpm_*.npy`: longest-prefix match as sorted disjoint intervals (`bot.routing.prefix_match`): IP lookups.
- `ipasn.dat`: the most-seen origin per prefix in pyasn's format, for researchers' tools (not read here).
- `registry_*.npy`: registered address ranges; `asn_*`, `country_*`, `asnames_*.npy`: the registration country
  and name of each AS, and the ASes of each country (`bot.routing.asn_tables`).
- `ixps.json`: exchange points from PeeringDB data (absent in snapshots built before it existed).

Large arrays are memory-mapped: loading is near instant and untouched pages cost no RAM.
"""

from __future__ import annotations

import bisect
import ipaddress
import itertools
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from bot.core.values import Source
from bot.routing import asn_tables, id_columns, prefix_match
from bot.routing.asn_tables import AsnTables
from bot.routing.decimal_lines import decimal_lines
from bot.routing.id_columns import IdColumn
from bot.routing.ixps import Ixp
from bot.routing.mapped import index_of, mapped
from bot.routing.prefix_match import PrefixMatch
from bot.routing.served import claimed

# 2: IPv6 prefixes as columns, longest-prefix-match intervals and per-AS columns written at import.
# 3: 3-byte route ids, narrowed counts and range lengths, AS_SETs as arrays instead of JSON.
FORMAT_VERSION = 3
KEEP_SNAPSHOTS = 2

AsPath = tuple[int | frozenset[int], ...]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
Counts = npt.NDArray[np.unsignedinteger[Any]]  # written in the narrowest type that holds them


class Vantage(NamedTuple):
    """One BGP peer of one collector: the point a route was seen from."""

    collector: str
    peer_ip: str
    peer_asn: int


class Route(NamedTuple):
    vantage: int
    prefix: str
    path: AsPath


class OriginSeen(NamedTuple):
    asn: int
    vantage_points: int


class IpMatch(NamedTuple):
    """The most specific announced prefix covering an address and every AS that originates it."""

    ip: str
    prefix: str
    origins: list[OriginSeen]
    # Vantage points with a route to the prefix; not the sum over origins (one vantage may see several).
    vantage_points: int = 0


@dataclass(slots=True)
class FileRecord:
    """One input file as imported: enough to audit an answer back to the bytes it came from."""

    name: str
    kind: str
    sha256: str
    size: int
    collector: str = ""
    role: str = ""  # "rib" or "updates" for MRT
    records: int = 0
    events: int = 0
    skipped_corrupt: int = 0
    truncated: bool = False
    truncation_reason: str = ""
    events_lost_estimate: int = 0
    first_timestamp: int | None = None
    last_timestamp: int | None = None
    note: str = ""
    dated_by: str = (
        ""  # where a file without dates inside got its date (AS names: "file name" or "modification time")
    )


@dataclass(slots=True)
class CollectorInfo:
    name: str
    data_start: datetime | None
    data_end: datetime | None
    vantage_points: int
    routes: int


@dataclass(slots=True)
class Provenance:
    built_at: datetime
    files: list[FileRecord] = field(default_factory=list)
    collectors: list[CollectorInfo] = field(default_factory=list)
    registry_date: datetime | None = None
    ip_to_as_source: str = ""  # "routes" or the IPASN file's name
    prefixes_v4: int = 0
    prefixes_v6: int = 0
    routes: int = 0
    unique_paths: int = 0
    # The import that built it, for `/status` and capacity planning: wall time from the first file read to
    # the tables written, and the peak resident memory of the importing process (workers counted).
    import_seconds: float = 0.0
    import_peak_rss: int = 0

    @property
    def routes_read(self) -> int:
        """Routes read from MRT files (what the import's speed is counted in)."""
        return sum(f.events for f in self.files)

    @property
    def skipped_corrupt(self) -> int:
        return sum(f.skipped_corrupt for f in self.files)

    @property
    def truncated_files(self) -> list[str]:
        return [f.name for f in self.files if f.truncated]

    @property
    def vantage_points(self) -> int:
        return sum(c.vantage_points for c in self.collectors)

    @property
    def data_date(self) -> datetime | None:
        """The newest routing data in the snapshot (what "how old is this answer" refers to)."""
        dates = [c.data_end for c in self.collectors if c.data_end is not None]
        return max(dates) if dates else None

    def to_json(self) -> dict[str, Any]:
        encoded: dict[str, Any] = _jsonable(asdict(self))
        return encoded

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Provenance:
        return cls(
            built_at=_parse_dt(raw["built_at"]) or datetime.now(UTC),
            files=[FileRecord(**f) for f in raw.get("files", [])],
            collectors=[
                CollectorInfo(
                    name=c["name"],
                    data_start=_parse_dt(c["data_start"]),
                    data_end=_parse_dt(c["data_end"]),
                    vantage_points=c["vantage_points"],
                    routes=c["routes"],
                )
                for c in raw.get("collectors", [])
            ],
            registry_date=_parse_dt(raw.get("registry_date")),
            ip_to_as_source=raw.get("ip_to_as_source", ""),
            prefixes_v4=raw.get("prefixes_v4", 0),
            prefixes_v6=raw.get("prefixes_v6", 0),
            routes=raw.get("routes", 0),
            unique_paths=raw.get("unique_paths", 0),
            import_seconds=raw.get("import_seconds", 0.0),
            import_peak_rss=raw.get("import_peak_rss", 0),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def ts_to_datetime(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp is not None else None


# --- prefix keys -----------------------------------------------------------------------------------------


def v4_key(prefix: str) -> int:
    """`net << 8 | len` for an IPv4 prefix: sorting keys sorts by network then length."""
    address, _, length = prefix.partition("/")
    a, b, c, d = address.split(".")
    return (((int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)) << 8) | int(length)


def v4_text(key: int) -> str:
    net = key >> 8
    return f"{net >> 24}.{(net >> 16) & 255}.{(net >> 8) & 255}.{net & 255}/{key & 255}"


def v6_key(prefix: str) -> int:
    network = ipaddress.IPv6Network(prefix, strict=False)
    return (int(network.network_address) << 8) | network.prefixlen


def rows_in(starts: Counts, lengths: Counts) -> I64:
    """The row indices of ranges [start, start + length), in order: an origin's routes from its per-vantage
    ranges."""
    first = starts.astype(np.int64)
    lengths = lengths.astype(np.int64)  # a narrow unsigned type would overflow, or turn float with int64
    if len(first) == 1:  # one vantage point: a plain range, without the gather below
        return np.arange(first[0], first[0] + lengths[0])
    rows: I64 = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    return rows


# --- writing ---------------------------------------------------------------------------------------------


V6Columns = tuple[U64, U64, npt.NDArray[np.uint8]]  # IPv6 prefixes as (high 64 bits, low 64 bits, length)


@dataclass(slots=True)
class SnapshotTables:
    """Everything the importer computed, in final (sorted, interned) form, ready to be written."""

    vantages: list[Vantage]
    prefix_v4_keys: U64
    prefix_v6: list[str]
    route_prefix: U32 | Path  # the biggest tables may come as `.npy` files already written (bounded memory)
    route_path: U32 | Path
    vantage_offsets: I64
    path_elems: U32
    path_offsets: I64
    path_sets: dict[int, list[list[int]]]
    prefix_vantages: U32
    moas_offsets: I64
    moas_asns: U32
    moas_vantages: U32
    origin_asns: U32
    origin_offsets: I64
    origin_starts: U32
    origin_ends: U32
    asn_country: dict[int, str]
    name_country: dict[int, str]
    as_names: dict[int, str]
    v4_ranges: tuple[U32, U32, npt.NDArray[np.bytes_]]
    v6_ranges: tuple[U64, U64, npt.NDArray[np.bytes_]]
    ixps: list[Ixp] = field(default_factory=list)
    # `prefix_v6` as (high 64 bits, low 64 bits, length) columns when the importer has them; else parsed
    prefix_v6_columns: V6Columns | None = None


_ARRAYS = (
    "prefix_v4_keys",
    "vantage_offsets",
    "path_elems",
    "path_offsets",
    "prefix_vantages",
    "moas_offsets",
    "moas_asns",
    "moas_vantages",
    "origin_asns",
    "origin_offsets",
    "origin_starts",
)
# The per-route columns (`bot.routing.id_columns`).
_ID_COLUMNS = ("route_prefix", "route_path")
# Counts of vantage points: below 256 of them, one byte each.
_COUNTS = ("prefix_vantages", "moas_vantages")


# Offsets into tables that stay far below 4 G entries, written as uint32: 4 bytes saved a distinct path.
_UINT32_OFFSETS = ("path_offsets", "moas_offsets")


def _narrow(offsets: I64) -> U32:
    if len(offsets) and int(offsets[-1]) > 0xFFFFFFFF:
        raise ValueError(f"an offset table reaches {int(offsets[-1]):,}: too big for this snapshot format")
    return offsets.astype(np.uint32)


def _narrowest(counts: Counts) -> Counts:
    """Non-negative counts in the smallest unsigned type that holds the largest (readers never care which)."""
    largest = int(counts.max()) if len(counts) else 0
    dtype = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if largest <= np.iinfo(t).max)
    return counts.astype(dtype)


def write_snapshot(folder: Path, tables: SnapshotTables, provenance: Provenance) -> None:
    """Write all files of one snapshot into an empty folder (the caller renames it into place)."""
    write_tables(folder, tables)
    write_meta(folder, tables, provenance)


def write_tables(folder: Path, tables: SnapshotTables) -> None:
    """Every file but `meta.json`, which is written last so it can record how long all this took."""
    for name in _ARRAYS:
        value = getattr(tables, name)
        if name in _UINT32_OFFSETS:
            value = _narrow(value)
        elif name in _COUNTS:
            value = _narrowest(value)
        np.save(folder / f"{name}.npy", value)
    np.save(folder / "origin_lengths.npy", _narrowest(tables.origin_ends - tables.origin_starts))
    limits = {"route_prefix": len(tables.prefix_v4_keys) + len(tables.prefix_v6)}
    limits["route_path"] = len(tables.path_offsets) - 1
    for name in _ID_COLUMNS:
        column = getattr(tables, name)
        if isinstance(column, Path):  # written by the import with the same limit
            shutil.move(column, folder / f"{name}.npy")
        else:
            id_columns.save(folder / f"{name}.npy", column, limits[name])
    for label, (starts, ends, codes) in (("v4", tables.v4_ranges), ("v6", tables.v6_ranges)):
        np.save(folder / f"registry_{label}_start.npy", starts)
        np.save(folder / f"registry_{label}_end.npy", ends)
        np.save(folder / f"registry_{label}_cc.npy", codes)
    v6_hi, v6_lo, v6_len = tables.prefix_v6_columns or prefix_match.v6_columns(tables.prefix_v6)
    for name, column in (("hi", v6_hi), ("lo", v6_lo), ("len", v6_len)):
        np.save(folder / f"prefix_v6_{name}.npy", column)
    n4 = len(tables.prefix_v4_keys)
    listed = _listed_prefixes(tables, v6_len)
    v4, v6 = listed[listed < n4], listed[listed >= n4]
    prefix_match.write(
        folder,
        prefix_match.v4_intervals(tables.prefix_v4_keys[v4], v4),
        prefix_match.v6_intervals(v6_hi[v6 - n4], v6_lo[v6 - n4], v6_len[v6 - n4], v6),
    )
    _write_ipasn(folder / "ipasn.dat", tables, listed)
    _write_path_sets(folder, tables.path_sets)
    _write_json(folder / "ixps.json", {"ixps": [ixp.to_json() for ixp in tables.ixps]})
    asn_tables.write(folder, tables.asn_country, tables.name_country, tables.as_names)


def _write_path_sets(folder: Path, path_sets: dict[int, list[list[int]]]) -> None:
    """Every AS_SET with the path it is on, in path order, then order on the path: one searchsorted finds a
    path's sets, and opening the snapshot parses nothing."""
    ids = sorted(path_sets)
    members = [members for i in ids for members in path_sets[i]]
    owners = np.repeat(np.array(ids, dtype=np.uint32), [len(path_sets[i]) for i in ids])
    np.save(folder / "path_set_paths.npy", owners)
    np.save(folder / "path_set_offsets.npy", _narrow(np.cumsum([0, *map(len, members)], dtype=np.int64)))
    np.save(folder / "path_set_asns.npy", np.array([a for s in members for a in s], dtype=np.uint32))


def _listed_prefixes(tables: SnapshotTables, v6_lengths: npt.NDArray[np.uint8]) -> I64:
    """Ids of the prefixes IP lookups answer with: those with an origin, but not a default route (it covers
    everything and says nothing; pyasn refuses it too)."""
    offsets = tables.moas_offsets
    lengths = np.concatenate([tables.prefix_v4_keys & np.uint64(255), v6_lengths.astype(np.uint64)])
    listed: I64 = np.flatnonzero((offsets[1:] > offsets[:-1]) & (lengths > 0)).astype(np.int64)
    return listed


def _write_ipasn(path: Path, tables: SnapshotTables, listed: I64) -> None:
    """The most-seen origin (first in the MOAS table) of each listed prefix, as pyasn's IPASN file."""
    n4 = len(tables.prefix_v4_keys)
    asns = tables.moas_asns[tables.moas_offsets[listed]] if len(listed) else np.zeros(0, dtype=np.uint32)
    v4, v6 = listed[listed < n4], listed[listed >= n4]
    keys = tables.prefix_v4_keys[v4]
    octets = [(keys >> np.uint64(shift)) & np.uint64(255) for shift in (32, 24, 16, 8)]
    with path.open("wb") as out:
        out.write(f"; IP-ASN32-DAT file written by silkroute\n; Prefixes : {len(listed)}\n".encode())
        out.write(
            decimal_lines(
                [*octets, keys & np.uint64(255), asns[: len(v4)]], [b".", b".", b".", b"/", b"\t", b"\n"]
            )
        )
        out.writelines(
            f"{tables.prefix_v6[i - n4]}\t{asn}\n".encode()
            for i, asn in zip(v6.tolist(), asns[len(v4) :].tolist(), strict=True)
        )


def write_meta(folder: Path, tables: SnapshotTables, provenance: Provenance) -> None:
    meta = {
        "format": FORMAT_VERSION,
        "provenance": provenance.to_json(),
        "vantages": [list(v) for v in tables.vantages],
    }
    _write_json(folder / "meta.json", meta)


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, separators=(",", ":")), encoding="utf-8")


def serving_data_date(data_dir: Path) -> datetime | None:
    """The routing data date of the snapshot `current` points to (None without one or without routes)."""
    folder = current_folder(data_dir)
    if folder is None:
        return None
    return Provenance.from_json(_read_json(folder / "meta.json")["provenance"]).data_date


def install_snapshot(data_dir: Path, build: Any, data_date: datetime | None = None) -> tuple[Path, bool]:
    """Build into a temp folder via `build(folder)`, then rename it in and repoint `current` atomically.

    Returns the folder and whether it now serves. Data older than the serving snapshot's is kept aside in a
    `.older-*` folder that nothing serves or prunes (the caller records it into history, then `discard`s it):
    an import of an archived file must never turn the bot's answers back in time.
    Anything that fails leaves no trace but the temp folder's removal: the old snapshot keeps serving.
    """
    snapshots = data_dir / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_temps(snapshots)
    snapshot_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    temp = snapshots / f".tmp-{snapshot_id}-pid{os.getpid()}"
    temp.mkdir()
    serving = serving_data_date(data_dir)
    older = data_date is not None and serving is not None and data_date < serving
    try:
        build(temp)
        final = snapshots / (f".older-{snapshot_id}" if older else snapshot_id)
        temp.rename(final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    if older:
        return final, False
    link = data_dir / f".current-{snapshot_id}"
    link.symlink_to(Path("snapshots") / snapshot_id)
    link.replace(data_dir / "current")
    _prune(snapshots, keep=final)
    return final, True


def discard(folder: Path) -> None:
    """Remove a snapshot kept aside by `install_snapshot` (older data) once its history point is recorded."""
    if folder.name.startswith(".older-"):
        shutil.rmtree(folder, ignore_errors=True)


_TEMP_OWNER = re.compile(r"^\.tmp-.*-pid(?P<pid>\d+)$")


def _remove_abandoned_temps(snapshots: Path) -> None:
    """Delete half-written snapshots whose writer is gone (killed by SIGTERM, SIGKILL or a power cut); a
    temp folder of a live process is another import still running and is left alone."""
    for temp in snapshots.glob(".tmp-*"):
        match = _TEMP_OWNER.match(temp.name)
        if match is None or not _process_alive(int(match["pid"])):
            shutil.rmtree(temp, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


def _prune(snapshots: Path, keep: Path) -> None:
    """Keep the newest snapshots (a running process may still have the previous one mapped) and every one a
    replica that has not switched yet still serves (its claim in `served`)."""
    pinned = claimed(snapshots.parent, time.time())
    finished = sorted((p for p in snapshots.iterdir() if not p.name.startswith(".")), reverse=True)
    for old in finished[KEEP_SNAPSHOTS:]:
        if old != keep and old.name not in pinned:
            shutil.rmtree(old, ignore_errors=True)


def current_folder(data_dir: Path) -> Path | None:
    link = data_dir / "current"
    return link.resolve() if link.exists() else None


# --- reading ---------------------------------------------------------------------------------------------


class Snapshot:
    """A loaded snapshot; cheap to open, heavy parts loaded or indexed on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise SnapshotFormatError(folder.name, meta.get("format"))
        self.provenance = Provenance.from_json(meta["provenance"])
        self.vantages: Sequence[Vantage] = [Vantage(c, ip, int(asn)) for c, ip, asn in meta["vantages"]]
        arrays = {name: mapped(folder / f"{name}.npy") for name in _ARRAYS}
        self._v4_keys: U64 = arrays["prefix_v4_keys"]
        self._route_prefix = IdColumn(folder / "route_prefix.npy")
        self._route_path = IdColumn(folder / "route_path.npy")
        self._vantage_offsets: I64 = arrays["vantage_offsets"]
        self._path_elems: U32 = arrays["path_elems"]
        self._path_offsets: U32 = arrays["path_offsets"]
        self._prefix_vantages: Counts = arrays["prefix_vantages"]
        self._moas_offsets: U32 = arrays["moas_offsets"]
        self._moas_asns: U32 = arrays["moas_asns"]
        self._moas_vantages: Counts = arrays["moas_vantages"]
        self._origin_asns: U32 = arrays["origin_asns"]
        self._origin_offsets: I64 = arrays["origin_offsets"]
        self._origin_starts: U32 = arrays["origin_starts"]
        self._origin_lengths: Counts = mapped(folder / "origin_lengths.npy")
        self.n_v4 = len(self._v4_keys)
        self._v6_hi, self._v6_lo, self._v6_len = (
            mapped(folder / f"prefix_v6_{name}.npy") for name in ("hi", "lo", "len")
        )
        self._match = PrefixMatch.load(folder)
        self._set_paths, self._set_offsets, self._set_asns = (
            mapped(folder / f"path_set_{name}.npy") for name in ("paths", "offsets", "asns")
        )
        self._asns = AsnTables(folder)
        self._ranges = {
            label: tuple(np.load(folder / f"registry_{label}_{part}.npy") for part in ("start", "end", "cc"))
            for label in ("v4", "v6")
        }
        self._path_cache: dict[int, AsPath] = {}
        self._ixps: list[Ixp] | None = None

    @property
    def snapshot_id(self) -> str:
        return self.folder.name

    def disk_bytes(self) -> int:
        """Size of the snapshot's files on disk (what a server's disk must hold, twice during a swap)."""
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())

    # prefixes

    def prefix(self, prefix_id: int) -> str:
        if prefix_id < self.n_v4:
            return v4_text(int(self._v4_keys[prefix_id]))
        i = prefix_id - self.n_v4
        return prefix_match.v6_text(int(self._v6_hi[i]), int(self._v6_lo[i]), int(self._v6_len[i]))

    def prefix_id(self, prefix: str) -> int | None:
        """Id of an announced prefix given in canonical form, or None."""
        if ":" not in prefix and "/" in prefix:  # the hot path of every IP lookup: no ipaddress parsing
            key = v4_key(prefix)
            i = int(np.searchsorted(self._v4_keys, np.uint64(key)))
            return i if i < self.n_v4 and int(self._v4_keys[i]) == key else None
        found = self._prefix_range(prefix, exact=True)
        return found.start if found else None

    def prefix_texts(self, prefix_ids: I64) -> list[str]:
        """`prefix` for many ids at once (bulk lookups): IPv4 keys gathered in one step, no call per id."""
        if bool((prefix_ids < self.n_v4).all()):
            return list(map(v4_text, self._v4_keys[prefix_ids].tolist()))
        return [self.prefix(i) for i in prefix_ids.tolist()]

    def more_specifics(self, prefix: str) -> list[int]:
        """Ids of announced prefixes strictly inside `prefix` (contiguous thanks to the sort order)."""
        found = self._prefix_range(prefix, exact=False)
        return [i for i in found if self.prefix(i) != prefix] if found else []

    def _prefix_range(self, prefix: str, *, exact: bool) -> range | None:
        network = ipaddress.ip_network(prefix, strict=False)
        start, length = int(network.network_address), network.prefixlen
        if network.version == 4:
            low, high = (start << 8) | length, (int(network.broadcast_address) << 8) | 255
            first = int(np.searchsorted(self._v4_keys, np.uint64(low), side="left"))
            last = int(np.searchsorted(self._v4_keys, np.uint64(high), side="right"))
            hit = first < self.n_v4 and int(self._v4_keys[first]) == low
        else:
            first = self._v6_position(start, length, right=False)
            last = self._v6_position(int(network.broadcast_address), 255, right=True)
            i = first - self.n_v4
            hit = i < len(self._v6_hi) and (
                int(self._v6_hi[i]) << 64 | int(self._v6_lo[i]),
                int(self._v6_len[i]),
            ) == (start, length)
        if exact:
            return range(first, first + 1) if hit else None
        return range(first, last)

    def _v6_position(self, address: int, length: int, *, right: bool) -> int:
        """Where (address, length) sorts among the IPv6 prefix ids: the high half by binary search, then the
        few prefixes sharing it (those of one /64 and its supernets) compared as Python integers."""
        high = np.uint64(address >> 64)
        first = int(np.searchsorted(self._v6_hi, high, side="left"))
        last = int(np.searchsorted(self._v6_hi, high, side="right"))
        rest = [
            lo << 8 | n
            for lo, n in zip(self._v6_lo[first:last].tolist(), self._v6_len[first:last].tolist(), strict=True)
        ]
        key = (address & 0xFFFFFFFFFFFFFFFF) << 8 | length
        found = bisect.bisect_right(rest, key) if right else bisect.bisect_left(rest, key)
        return self.n_v4 + first + found

    # paths and routes

    def _path(self, path_id: int) -> AsPath:
        cached = self._path_cache.get(path_id)
        if cached is not None:
            return cached
        start, end = int(self._path_offsets[path_id]), int(self._path_offsets[path_id + 1])
        elems = self._path_elems[start:end].tolist()
        if 0 in elems:
            sets = map(
                self._path_set, itertools.count(int(np.searchsorted(self._set_paths, np.uint32(path_id))))
            )
            result: AsPath = tuple(next(sets) if e == 0 else e for e in elems)
        else:
            result = tuple(elems)
        if len(self._path_cache) < 500_000:
            self._path_cache[path_id] = result
        return result

    def _path_set(self, k: int) -> frozenset[int]:
        return frozenset(self._set_asns[int(self._set_offsets[k]) : int(self._set_offsets[k + 1])].tolist())

    def _vantage_of_routes(self, indices: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        return np.searchsorted(self._vantage_offsets, indices, side="right").astype(np.int64) - 1

    def _family_mask(self, prefix_ids: npt.NDArray[Any], family: int | None) -> npt.NDArray[np.bool_] | None:
        if family is None:
            return None
        return prefix_ids < self.n_v4 if family == 4 else prefix_ids >= self.n_v4

    def _routes_at(self, indices: npt.NDArray[Any], family: int | None) -> list[Route]:
        prefixes = self._route_prefix[indices]
        mask = self._family_mask(prefixes, family)
        if mask is not None:
            indices, prefixes = indices[mask], prefixes[mask]
        vantages = self._vantage_of_routes(indices).tolist()
        paths = self._route_path[indices].tolist()
        ids = prefixes.tolist()
        # Each prefix has a route per vantage point, and a few paths carry many prefixes: decode each once.
        text = {p: self.prefix(p) for p in set(ids)}
        hops = {q: self._path(q) for q in set(paths)}
        return [Route(v, text[p], hops[q]) for v, p, q in zip(vantages, ids, paths, strict=True)]

    def routes(self, family: int | None = None) -> Iterator[Route]:
        """Every route, vantage by vantage, in chunks so memory stays flat on a full table."""
        total = len(self._route_prefix)
        for start in range(0, total, 65536):
            yield from self._routes_at(np.arange(start, min(total, start + 65536)), family)

    def origin_asns(self) -> frozenset[int]:
        """Every AS that originates a route here: most registered ASes originate nothing in a given table."""
        return frozenset(self._origin_asns.tolist())

    def has_routes(self, family: int) -> bool:
        """Whether routes of this family were imported (an IPv4-only RIB has none for IPv6)."""
        prefixes = self.n_v4 if family == 4 else len(self._v6_hi)
        return prefixes > 0 and len(self._route_prefix) > 0

    def routes_of_origin(self, asn: int, family: int | None = None) -> Sequence[Route]:
        position = index_of(self._origin_asns, asn)
        if position < 0:
            return []
        start, end = int(self._origin_offsets[position]), int(self._origin_offsets[position + 1])
        return self._routes_at(
            rows_in(self._origin_starts[start:end], self._origin_lengths[start:end]), family
        )

    def vantage_count(self, prefix_id: int) -> int:
        """How many vantage points have a route to this exact prefix (precomputed at import)."""
        return int(self._prefix_vantages[prefix_id])

    def origins_of_prefix(self, prefix_id: int) -> list[OriginSeen]:
        start, end = int(self._moas_offsets[prefix_id]), int(self._moas_offsets[prefix_id + 1])
        return [
            OriginSeen(a, v)
            for a, v in zip(
                self._moas_asns[start:end].tolist(), self._moas_vantages[start:end].tolist(), strict=True
            )
        ]

    def origin_asns_of(self, prefix_ids: I64) -> tuple[U32, U32]:
        """`origins_of_prefix` for many prefixes at once (bulk lookups): how many origins each has, and all
        their ASNs in order, most seen first."""
        starts = self._moas_offsets[prefix_ids]
        counts: U32 = self._moas_offsets[prefix_ids + 1] - starts
        asns: U32 = self._moas_asns[rows_in(starts, counts)]
        return counts, asns

    # registry and names

    def country_of_asn(self, asn: int) -> str | None:
        return self._asns.country_of_asn(asn)

    def asns_in_country(self, cc: str) -> Sequence[int]:
        return self._asns.asns_in_country(cc.upper())

    def as_name(self, asn: int) -> str | None:
        return self._asns.as_name(asn)

    def registered_asns(self, cc: str) -> int:
        """ASNs the RIR delegated data registers in `cc` (the AS-names file's countries not included)."""
        return self._asns.registered_asns(cc)

    def registered_space(self, cc: str, family: int) -> int:
        """Addresses (IPv4) or /64 blocks (IPv6) the RIR delegated data registers in `cc`."""
        starts, ends, codes = self._ranges["v4" if family == 4 else "v6"]
        mine = codes == cc.encode()
        return int((ends[mine].astype(np.uint64) - starts[mine].astype(np.uint64) + 1).sum())

    def ixps(self) -> list[Ixp]:
        """Exchange points imported with this snapshot (none when no PeeringDB data was given); read once."""
        if self._ixps is None:
            path = self.folder / "ixps.json"
            items = _read_json(path)["ixps"] if path.exists() else []
            self._ixps = [Ixp.from_json(item) for item in items]
        return self._ixps

    def ixp_source(self) -> Source | None:
        """The IXP files behind `ixps()`, for answers that use them."""
        files = [f for f in self.provenance.files if f.kind == "ixps"]
        if not files:
            return None
        dates = [f.last_timestamp for f in files if f.last_timestamp is not None]
        return Source(
            "PeeringDB exchanges",
            ts_to_datetime(max(dates)) if dates else None,
            ", ".join(f.name for f in files),
        )

    def country_of_ip(self, ip: str) -> str | None:
        address = ipaddress.ip_address(ip)
        value = int(address) if address.version == 4 else int(address) >> 64
        starts, ends, codes = self._ranges["v4" if address.version == 4 else "v6"]
        i = int(np.searchsorted(starts, starts.dtype.type(value), side="right")) - 1  # same dtype: no copy
        if i >= 0 and int(ends[i]) >= value:
            return str(codes[i].decode())
        return None

    def countries_of_v4(self, addresses: U64) -> list[str | None]:
        """`country_of_ip` for many IPv4 addresses (as integers) in one vectorised search: bulk lookups."""
        starts, ends, _ = self._ranges["v4"]
        countries = self._v4_countries
        if not len(starts):  # imported without registry data
            return [None] * len(addresses)
        i = np.maximum(np.searchsorted(starts, addresses.astype(starts.dtype), side="right") - 1, 0)
        found = (starts[i] <= addresses) & (ends[i] >= addresses)
        result: list[str | None] = countries[np.where(found, i, len(countries) - 1)].tolist()
        return result

    @cached_property
    def _v4_countries(self) -> npt.NDArray[np.object_]:
        """Each registered IPv4 range's country as text, then None (no range): bulk lookups decode the few
        hundred distinct codes once (~10 ms), not one code per address."""
        distinct, inverse = np.unique(self._ranges["v4"][2], return_inverse=True)
        names = np.array([*(code.decode() for code in distinct.tolist()), None], dtype=object)
        countries: npt.NDArray[np.object_] = names[np.append(inverse, len(distinct))]
        return countries

    def covering_v4(self, addresses: U64) -> I64:
        """Id of the most specific announced prefix (-1: none) of many IPv4 addresses (as integers) in one
        vectorised search: bulk lookups."""
        return self._match.v4(addresses)

    def lookup_ip(self, ip: str) -> IpMatch | None:
        """The most specific announced prefix (the interval table written at import, the same prefixes and
        most-seen origins as the snapshot's `ipasn.dat`) with every origin from the MOAS table."""
        prefix_id = self._match.one(ipaddress.ip_address(ip))
        return None if prefix_id < 0 else self.match_at(ip, prefix_id)

    def match_at(self, ip: str, prefix_id: int) -> IpMatch:
        return IpMatch(
            ip, self.prefix(prefix_id), self.origins_of_prefix(prefix_id), self.vantage_count(prefix_id)
        )

    def data_sources(self, stale_after: timedelta = timedelta(days=2)) -> list[Source]:
        """Collectors and files behind every answer, routing data older than `stale_after` flagged stale."""
        now = datetime.now(UTC)
        sources = [
            Source(
                name=f"BGP collector {c.name}",
                date=c.data_end,
                stale=c.data_end is None or now - c.data_end > stale_after,
                detail=f"{c.vantage_points} vantage points, {c.routes:,} routes; files: "
                + ", ".join(f.name for f in self.provenance.files if f.collector == c.name),
            )
            for c in self.provenance.collectors
        ]
        if self.provenance.ip_to_as_source and self.provenance.ip_to_as_source != "routes":
            sources.append(Source("pyasn IPASN file", None, self.provenance.ip_to_as_source))
        registry = [f.name for f in self.provenance.files if f.kind == "delegated"]
        if registry:
            sources.append(Source("RIR delegated stats", self.provenance.registry_date, ", ".join(registry)))
        names = [f for f in self.provenance.files if f.kind.startswith("asnames")]
        if names:
            dates = [f.last_timestamp for f in names if f.last_timestamp is not None]
            detail = ", ".join(
                f"{f.name} (date from its {f.dated_by})" if f.dated_by else f.name for f in names
            )
            sources.append(Source("AS names", ts_to_datetime(max(dates)) if dates else None, detail))
        return sources


class SnapshotFormatError(ValueError):
    """A snapshot written by another version of silkroute: its files cannot be read by this one."""

    def __init__(self, name: str, found: object) -> None:
        super().__init__(
            f"snapshot {name} was written in format {found} and this version of silkroute reads format "
            f"{FORMAT_VERSION}: re-import the data (`silkroute data import FILE...` or `silkroute data update`)"
        )


def _read_json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def load_current(data_dir: Path) -> Snapshot | None:
    folder = current_folder(data_dir)
    return Snapshot(folder) if folder is not None else None
