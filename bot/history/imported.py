"""The transit data of an import's tables while they are still in memory: what `data import` records from.

Re-opening the written snapshot would read back from disk the tables the import just had in memory. This reads
the same tables through the same `TransitData` interface `/transit` uses, so a point built here equals the
answer `/transit` gives on the written snapshot (the history tests compare both).
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.core.values import Source
from bot.history.prefixes import covering
from bot.routing.id_columns import IdColumn
from bot.routing.mapped import index_of
from bot.routing.snapshot import (
    AsPath,
    IpMatch,
    OriginSeen,
    Provenance,
    Route,
    SnapshotTables,
    Vantage,
    rows_in,
    v4_key,
    v4_text,
    v6_key,
)


class ImportedTables:
    """`TransitData` (and the prefix lookups history needs) over an import's `SnapshotTables`."""

    def __init__(self, folder: Path, tables: SnapshotTables, provenance: Provenance) -> None:
        self.folder = folder
        self.tables = tables
        self.provenance = provenance
        self.n_v4 = len(tables.prefix_v4_keys)
        self._paths: dict[int, AsPath] = {}
        self._in_country: dict[str, list[int]] = {}

    @property
    def snapshot_id(self) -> str:
        return self.folder.name

    @property
    def vantages(self) -> Sequence[Vantage]:
        return self.tables.vantages

    @cached_property
    def _country(self) -> dict[int, str]:
        """`country_of_asn` as one dict: the registry's country wins over the AS-names file's."""
        merged = self.tables.name_country | self.tables.asn_country
        for asn in [asn for asn, cc in merged.items() if not cc]:
            merged.pop(asn)
            if self.tables.name_country.get(asn):
                merged[asn] = self.tables.name_country[asn]
        return merged

    @cached_property
    def _registrations(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.str_]]:
        """Every registered AS and its country as two arrays: a country's ASes are one vectorised comparison
        (a recording asks for a few countries; grouping all ~90k ASes by country would cost more)."""
        country = self._country
        asns = np.fromiter(country.keys(), dtype=np.int64, count=len(country))
        return asns, np.array(list(country.values()), dtype="U3")

    def country_of_asn(self, asn: int) -> str | None:
        return self._country.get(asn)

    def asns_in_country(self, cc: str) -> Sequence[int]:
        found = self._in_country.get(cc.upper())
        if found is None:
            asns, codes = self._registrations
            found = self._in_country[cc.upper()] = np.sort(asns[codes == cc.upper()]).tolist()
        return found

    def _array(self, table: npt.NDArray[np.uint32] | Path) -> npt.NDArray[np.uint32] | IdColumn:
        """A table the import streamed to disk is read from the snapshot folder it now lives in (memory-mapped:
        the build folder it was written to has been renamed)."""
        return IdColumn(self.folder / table.name) if isinstance(table, Path) else table

    @cached_property
    def route_prefix(self) -> npt.NDArray[np.uint32] | IdColumn:
        return self._array(self.tables.route_prefix)

    @cached_property
    def route_path(self) -> npt.NDArray[np.uint32] | IdColumn:
        return self._array(self.tables.route_path)

    def as_name(self, asn: int) -> str | None:
        return self.tables.as_names.get(asn)

    def origin_asns(self) -> Collection[int]:
        return frozenset(self.tables.origin_asns.tolist())

    def has_routes(self, family: int) -> bool:
        prefixes = self.n_v4 if family == 4 else len(self.tables.prefix_v6)
        return prefixes > 0 and len(self.route_prefix) > 0

    def data_sources(self) -> list[Source]:
        """The collectors the tables came from, with their data dates (a point's own source; the answers
        about an import list the written snapshot's full sources)."""
        return [Source(f"BGP collector {c.name}", c.data_end) for c in self.provenance.collectors]

    def prefix(self, prefix_id: int) -> str:
        if prefix_id < self.n_v4:
            return v4_text(int(self.tables.prefix_v4_keys[prefix_id]))
        return self.tables.prefix_v6[prefix_id - self.n_v4]

    @cached_property
    def _v6_keys(self) -> list[int]:
        return [v6_key(p) for p in self.tables.prefix_v6]

    def prefix_id(self, prefix: str) -> int | None:
        """Id of an announced prefix given in canonical form, or None."""
        if ":" not in prefix:
            key, keys = v4_key(prefix), self.tables.prefix_v4_keys
            i = int(np.searchsorted(keys, np.uint64(key)))
            return i if i < self.n_v4 and int(keys[i]) == key else None
        key, v6 = v6_key(prefix), self._v6_keys
        j = bisect.bisect_left(v6, key)
        return self.n_v4 + j if j < len(v6) and v6[j] == key else None

    def origins_of_prefix(self, prefix_id: int) -> list[OriginSeen]:
        t = self.tables
        start, end = int(t.moas_offsets[prefix_id]), int(t.moas_offsets[prefix_id + 1])
        return [
            OriginSeen(a, v)
            for a, v in zip(t.moas_asns[start:end].tolist(), t.moas_vantages[start:end].tolist(), strict=True)
        ]

    def lookup_ip(self, ip: str) -> IpMatch | None:
        """The most specific announced prefix holding `ip`, searched length by length (a few calls per record)."""
        found = covering(self, ip)
        if found is None:
            return None
        prefix, prefix_id = found
        return IpMatch(
            ip, prefix, self.origins_of_prefix(prefix_id), int(self.tables.prefix_vantages[prefix_id])
        )

    def _path(self, path_id: int) -> AsPath:
        cached = self._paths.get(path_id)
        if cached is None:
            t = self.tables
            elems = t.path_elems[int(t.path_offsets[path_id]) : int(t.path_offsets[path_id + 1])].tolist()
            if 0 in elems:  # AS_SETs, in order
                sets = iter(t.path_sets[path_id])
                cached = tuple(frozenset(next(sets)) if e == 0 else e for e in elems)
            else:
                cached = tuple(elems)
            self._paths[path_id] = cached
        return cached

    def routes_of_origin(self, asn: int, family: int | None = None) -> Sequence[Route]:
        """The origin's routes (of one family when given), decoded from the in-memory arrays in one pass."""
        t = self.tables
        position = index_of(t.origin_asns, asn)
        if position < 0:
            return []
        start, end = int(t.origin_offsets[position]), int(t.origin_offsets[position + 1])
        starts = t.origin_starts[start:end]
        indices = rows_in(starts, t.origin_ends[start:end] - starts)
        prefixes = self.route_prefix[indices]
        if family is not None:
            keep = prefixes < self.n_v4 if family == 4 else prefixes >= self.n_v4
            indices, prefixes = indices[keep], prefixes[keep]
        vantages = (np.searchsorted(t.vantage_offsets, indices, side="right") - 1).tolist()
        ids, paths = prefixes.tolist(), self.route_path[indices].tolist()
        distinct = set(ids)
        v4 = [p for p in distinct if p < self.n_v4]
        text = dict(zip(v4, map(v4_text, t.prefix_v4_keys[v4].tolist()), strict=True))
        text |= {p: t.prefix_v6[p - self.n_v4] for p in distinct if p >= self.n_v4}
        hops = {q: self._path(q) for q in set(paths)}
        # `_make` over C-level maps: about twice as fast as building each Route in a comprehension.
        columns = zip(vantages, map(text.__getitem__, ids), map(hops.__getitem__, paths), strict=True)
        return list(map(Route._make, columns))
