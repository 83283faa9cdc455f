"""The routing snapshot: its on-disk layout, the read API every routing answer uses, and atomic swapping.

Layout of `data_dir/snapshots/<id>/` (`data_dir/current` is a symlink to the serving one), sized for a full
table (~1M prefixes x 30 vantage points = 30M routes):

- `meta.json`: provenance, vantages, counts.
- routes sorted by (vantage, prefix): `route_prefix.npy`, `route_path.npy` (uint32 each, 8 bytes a route)
  and `vantage_offsets.npy` (where each vantage's slice starts), so the vantage needs no column.
- AS paths interned once: `path_elems.npy` (uint32, flat; 0 marks an AS_SET, which AS0 can never be on a
  path per RFC 7607) + `path_offsets.npy`, the sets in `path_sets.json`.
- prefixes: IPv4 as sorted uint64 keys `net << 8 | len` (`prefix_v4.npy`, ids 0..n4-1), IPv6 as sorted text
  lines (`prefix_v6.txt`, ids n4..), so sorted order puts every more-specific right after its cover.
- `moas_*.npy`: every origin of each prefix with how many vantages see it, most-seen first.
- `origin_*.npy`: route indices grouped by origin AS, so an origin's routes are one slice.
- `ipasn.dat`: the most-seen origin per prefix in pyasn's format; pyasn answers IP lookups.
- `registry_*.npy`, `asn_country.json`, `asnames.json`: registration countries and names.
- `ixps.json`: exchange points from PeeringDB data (absent in snapshots built before it existed).

Large arrays are memory-mapped: loading is near instant and untouched pages cost no RAM.
"""

from __future__ import annotations

import bisect
import ipaddress
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyasn

from bot.core.values import Source
from bot.routing.ixps import Ixp
from bot.routing.served import claimed

FORMAT_VERSION = 1
KEEP_SNAPSHOTS = 2

AsPath = tuple[int | frozenset[int], ...]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


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


# --- writing ---------------------------------------------------------------------------------------------


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
    origin_routes: U32 | Path
    ipasn_lines: list[str]
    asn_country: dict[int, str]
    name_country: dict[int, str]
    as_names: dict[int, str]
    v4_ranges: tuple[U32, U32, npt.NDArray[np.bytes_]]
    v6_ranges: tuple[U64, U64, npt.NDArray[np.bytes_]]
    ixps: list[Ixp] = field(default_factory=list)


_ARRAYS = (
    "prefix_v4_keys",
    "route_prefix",
    "route_path",
    "vantage_offsets",
    "path_elems",
    "path_offsets",
    "prefix_vantages",
    "moas_offsets",
    "moas_asns",
    "moas_vantages",
    "origin_asns",
    "origin_offsets",
    "origin_routes",
)


def write_snapshot(folder: Path, tables: SnapshotTables, provenance: Provenance) -> None:
    """Write all files of one snapshot into an empty folder (the caller renames it into place)."""
    write_tables(folder, tables)
    write_meta(folder, tables, provenance)


def write_tables(folder: Path, tables: SnapshotTables) -> None:
    """Every file but `meta.json`, which is written last so it can record how long all this took."""
    for name in _ARRAYS:
        value = getattr(tables, name)
        if isinstance(value, Path):
            shutil.move(value, folder / f"{name}.npy")
        else:
            np.save(folder / f"{name}.npy", value)
    for label, (starts, ends, codes) in (("v4", tables.v4_ranges), ("v6", tables.v6_ranges)):
        np.save(folder / f"registry_{label}_start.npy", starts)
        np.save(folder / f"registry_{label}_end.npy", ends)
        np.save(folder / f"registry_{label}_cc.npy", codes)
    (folder / "prefix_v6.txt").write_text("".join(p + "\n" for p in tables.prefix_v6), encoding="utf-8")
    with (folder / "ipasn.dat").open("w", encoding="utf-8") as out:
        out.write(f"; IP-ASN32-DAT file written by silkroute\n; Prefixes : {len(tables.ipasn_lines)}\n")
        out.writelines(tables.ipasn_lines)
    _write_json(folder / "path_sets.json", {str(k): v for k, v in tables.path_sets.items()})
    _write_json(folder / "asn_country.json", {str(k): v for k, v in tables.asn_country.items()})
    _write_json(folder / "ixps.json", {"ixps": [ixp.to_json() for ixp in tables.ixps]})
    _write_json(
        folder / "asnames.json",
        {
            "names": {str(k): v for k, v in tables.as_names.items()},
            "countries": {str(k): v for k, v in tables.name_country.items()},
        },
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
            raise ValueError(
                f"snapshot {folder.name} has format {meta.get('format')}, expected {FORMAT_VERSION}"
            )
        self.provenance = Provenance.from_json(meta["provenance"])
        self.vantages: Sequence[Vantage] = [Vantage(c, ip, int(asn)) for c, ip, asn in meta["vantages"]]
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
        self._v4_keys: U64 = arrays["prefix_v4_keys"]
        self._route_prefix: U32 = arrays["route_prefix"]
        self._route_path: U32 = arrays["route_path"]
        self._vantage_offsets: I64 = np.asarray(arrays["vantage_offsets"])
        self._path_elems: U32 = arrays["path_elems"]
        self._path_offsets: I64 = arrays["path_offsets"]
        self._prefix_vantages: U32 = arrays["prefix_vantages"]
        self._moas_offsets: I64 = arrays["moas_offsets"]
        self._moas_asns: U32 = arrays["moas_asns"]
        self._moas_vantages: U32 = arrays["moas_vantages"]
        self._origin_asns: U32 = np.asarray(arrays["origin_asns"])
        self._origin_offsets: I64 = arrays["origin_offsets"]
        self._origin_routes: U32 = arrays["origin_routes"]
        self.n_v4 = len(self._v4_keys)
        self._prefix_v6 = (folder / "prefix_v6.txt").read_text(encoding="utf-8").splitlines()
        self._path_sets = {
            int(k): [frozenset(s) for s in v]
            for k, v in json.loads((folder / "path_sets.json").read_text(encoding="utf-8")).items()
        }
        self._asn_country = {int(k): v for k, v in _read_json(folder / "asn_country.json").items()}
        names = _read_json(folder / "asnames.json")
        self._as_names = {int(k): v for k, v in names["names"].items()}
        self._name_country = {int(k): v for k, v in names["countries"].items()}
        self._ranges = {
            label: tuple(np.load(folder / f"registry_{label}_{part}.npy") for part in ("start", "end", "cc"))
            for label in ("v4", "v6")
        }
        self._ipasn = (
            pyasn.pyasn(str(folder / "ipasn.dat")) if (folder / "ipasn.dat").stat().st_size else None
        )
        self._path_cache: dict[int, AsPath] = {}
        # Built here, not on first use: loading runs in a worker thread, a first query on the event loop.
        self._v6_keys = [v6_key(p) for p in self._prefix_v6]
        self._by_country = self._group_by_country()
        self._route_vantage: I64 | None = None
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
        return self._prefix_v6[prefix_id - self.n_v4]

    def prefix_id(self, prefix: str) -> int | None:
        """Id of an announced prefix given in canonical form, or None."""
        if ":" not in prefix and "/" in prefix:  # the hot path of every IP lookup: no ipaddress parsing
            key = v4_key(prefix)
            i = int(np.searchsorted(self._v4_keys, np.uint64(key)))
            return i if i < self.n_v4 and int(self._v4_keys[i]) == key else None
        found = self._prefix_range(prefix, exact=True)
        return found.start if found else None

    def more_specifics(self, prefix: str) -> list[int]:
        """Ids of announced prefixes strictly inside `prefix` (contiguous thanks to the sort order)."""
        found = self._prefix_range(prefix, exact=False)
        return [i for i in found if self.prefix(i) != prefix] if found else []

    def _prefix_range(self, prefix: str, *, exact: bool) -> range | None:
        network = ipaddress.ip_network(prefix, strict=False)
        low = (int(network.network_address) << 8) | network.prefixlen
        high = (int(network.broadcast_address) << 8) | 255
        if network.version == 4:
            keys: Any = self._v4_keys
            offset = 0
            first = int(np.searchsorted(keys, np.uint64(low), side="left"))
            last = int(np.searchsorted(keys, np.uint64(high), side="right"))
        else:
            keys = self._v6_keys
            offset = self.n_v4
            first = bisect.bisect_left(keys, low)
            last = bisect.bisect_right(keys, high)
        if exact:
            hit = first < len(keys) and int(keys[first]) == low
            return range(offset + first, offset + first + 1) if hit else None
        return range(offset + first, offset + last)

    # paths and routes

    def _path(self, path_id: int) -> AsPath:
        cached = self._path_cache.get(path_id)
        if cached is not None:
            return cached
        start, end = int(self._path_offsets[path_id]), int(self._path_offsets[path_id + 1])
        elems = self._path_elems[start:end].tolist()
        if 0 in elems:
            sets = iter(self._path_sets[path_id])
            result: AsPath = tuple(next(sets) if e == 0 else e for e in elems)
        else:
            result = tuple(elems)
        if len(self._path_cache) < 500_000:
            self._path_cache[path_id] = result
        return result

    def _vantage_of_routes(self, indices: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        return np.searchsorted(self._vantage_offsets, indices, side="right").astype(np.int64) - 1

    def _family_mask(self, prefix_ids: npt.NDArray[Any], family: int | None) -> npt.NDArray[np.bool_] | None:
        if family is None:
            return None
        return prefix_ids < self.n_v4 if family == 4 else prefix_ids >= self.n_v4

    def _routes_at(self, indices: npt.NDArray[Any], family: int | None) -> list[Route]:
        prefixes = np.asarray(self._route_prefix[indices])
        mask = self._family_mask(prefixes, family)
        if mask is not None:
            indices, prefixes = indices[mask], prefixes[mask]
        vantages = self._vantage_of_routes(indices).tolist()
        paths = np.asarray(self._route_path[indices]).tolist()
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
        prefixes = self.n_v4 if family == 4 else len(self._prefix_v6)
        return prefixes > 0 and len(self._route_prefix) > 0

    def routes_of_origin(self, asn: int, family: int | None = None) -> Sequence[Route]:
        position = int(np.searchsorted(self._origin_asns, asn))
        if position >= len(self._origin_asns) or int(self._origin_asns[position]) != asn:
            return []
        start, end = int(self._origin_offsets[position]), int(self._origin_offsets[position + 1])
        return self._routes_at(np.asarray(self._origin_routes[start:end]), family)

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

    # registry and names

    def country_of_asn(self, asn: int) -> str | None:
        return self._asn_country.get(asn) or self._name_country.get(asn)

    def _group_by_country(self) -> dict[str, list[int]]:
        grouped: dict[str, set[int]] = {}
        for source in (self._name_country, self._asn_country):
            for asn in source:
                grouped.setdefault(self.country_of_asn(asn) or "", set()).add(asn)
        return {k: sorted(v) for k, v in grouped.items()}

    def asns_in_country(self, cc: str) -> Sequence[int]:
        return self._by_country.get(cc.upper(), [])

    def as_name(self, asn: int) -> str | None:
        return self._as_names.get(asn)

    def registered_asns(self, cc: str) -> int:
        """ASNs the RIR delegated data registers in `cc` (the AS-names file's countries not included)."""
        return sum(1 for country in self._asn_country.values() if country == cc)

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
        i = int(np.searchsorted(starts, value, side="right")) - 1
        if i >= 0 and int(ends[i]) >= value:
            return str(codes[i].decode())
        return None

    def countries_of_v4(self, addresses: U64) -> list[str | None]:
        """`country_of_ip` for many IPv4 addresses (as integers) in one vectorised search: bulk lookups."""
        starts, ends, codes = self._ranges["v4"]
        i = np.maximum(np.searchsorted(starts, addresses, side="right") - 1, 0)
        found = (starts[i] <= addresses) & (ends[i] >= addresses)
        named: npt.NDArray[np.object_] = np.char.decode(codes[i]).astype(object)
        named[~found] = None
        result: list[str | None] = named.tolist()
        return result

    def ipasn_path(self) -> Path | None:
        """The IPASN file pyasn answers from, for readers that index it their own way (bulk lookups)."""
        return self.folder / "ipasn.dat" if self._ipasn is not None else None

    def lookup_ip(self, ip: str) -> IpMatch | None:
        """pyasn finds the most specific prefix fast; the MOAS table adds every other origin."""
        if self._ipasn is None:
            return None
        asn, prefix = self._ipasn.lookup(ip)
        if prefix is None:
            return None
        return self.match_of(ip, prefix, int(asn))

    def match_of(self, ip: str, prefix: str, asn: int) -> IpMatch:
        """The facts behind an IPASN hit (`asn` being the most-seen origin of `prefix`): every origin."""
        prefix_id = self.prefix_id(prefix)
        if prefix_id is None:
            return IpMatch(ip, prefix, [OriginSeen(int(asn), 0)])
        origins = self.origins_of_prefix(prefix_id) or [OriginSeen(int(asn), 0)]
        return IpMatch(ip, prefix, origins, self.vantage_count(prefix_id))

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


def _read_json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def load_current(data_dir: Path) -> Snapshot | None:
    folder = current_folder(data_dir)
    return Snapshot(folder) if folder is not None else None
