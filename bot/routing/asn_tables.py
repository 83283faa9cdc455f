"""Per-AS registration countries and names as sorted arrays, so a snapshot opens without parsing them.

Read as JSON, a full set (~100 k names, ~90 k registrations) and its grouping by country cost about a
second at every load. Written at import as `.npy` columns (ASNs sorted, looked up by binary search; names
as one UTF-8 buffer with offsets; the ASes of each country precomputed), opening them is a few memory maps.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.routing.mapped import index_of, mapped

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
Codes = npt.NDArray[np.str_]

FILES = (
    "asn_registry_asns",
    "asn_registry_cc",
    "asn_names_cc_asns",
    "asn_names_cc",
    "country_codes",
    "country_offsets",
    "country_asns",
    "asnames_asns",
    "asnames_offsets",
    "asnames_utf8",
)


def _mapping(values: dict[int, str]) -> tuple[U32, Codes]:
    asns = sorted(values)
    return np.array(asns, dtype=np.uint32), np.array([values[a] for a in asns], dtype=np.str_)


def _country(registry: dict[int, str], names: dict[int, str], asn: int) -> str | None:
    """The registry's country, else the AS-names file's (the rule every reader follows)."""
    return registry.get(asn) or names.get(asn)


def write(folder: Path, registry: dict[int, str], names: dict[int, str], as_names: dict[int, str]) -> None:
    grouped: dict[str, list[int]] = {}
    for asn in sorted(registry.keys() | names.keys()):
        grouped.setdefault(_country(registry, names, asn) or "", []).append(asn)
    codes = sorted(grouped)
    sizes = [len(grouped[cc]) for cc in codes]
    named = sorted(as_names)
    encoded = [as_names[asn].encode() for asn in named]
    columns: dict[str, npt.NDArray[Any]] = {
        "country_codes": np.array(codes, dtype=np.str_),
        "country_offsets": np.append(0, np.cumsum(sizes, dtype=np.int64)).astype(np.int64),
        "country_asns": np.array([a for cc in codes for a in grouped[cc]], dtype=np.uint32),
        "asnames_asns": np.array(named, dtype=np.uint32),
        "asnames_offsets": np.append(0, np.cumsum([len(e) for e in encoded], dtype=np.int64)).astype(
            np.int64
        ),
        "asnames_utf8": np.frombuffer(b"".join(encoded), dtype=np.uint8),
    }
    columns["asn_registry_asns"], columns["asn_registry_cc"] = _mapping(registry)
    columns["asn_names_cc_asns"], columns["asn_names_cc"] = _mapping(names)
    for name in FILES:
        np.save(folder / f"{name}.npy", columns[name])


class AsnTables:
    """The memory-mapped columns of one snapshot."""

    def __init__(self, folder: Path) -> None:
        loaded = {name: mapped(folder / f"{name}.npy") for name in FILES}
        self._registry: tuple[U32, Codes] = (loaded["asn_registry_asns"], loaded["asn_registry_cc"])
        self._names_cc: tuple[U32, Codes] = (loaded["asn_names_cc_asns"], loaded["asn_names_cc"])
        self._codes: Codes = loaded["country_codes"]
        self._offsets: I64 = loaded["country_offsets"]
        self._by_country: U32 = loaded["country_asns"]
        self._named: U32 = loaded["asnames_asns"]
        self._name_offsets: I64 = loaded["asnames_offsets"]
        self._utf8: npt.NDArray[np.uint8] = loaded["asnames_utf8"]

    def country_of_asn(self, asn: int) -> str | None:
        for asns, codes in (self._registry, self._names_cc):
            i = index_of(asns, asn)
            if i >= 0 and str(codes[i]):
                return str(codes[i])
        i = index_of(self._names_cc[0], asn)
        return "" if i >= 0 else None  # an empty country stays empty, as the names file gave it

    def asns_in_country(self, cc: str) -> Sequence[int]:
        i = int(np.searchsorted(self._codes, cc))
        if i >= len(self._codes) or str(self._codes[i]) != cc:
            return []
        asns: list[int] = self._by_country[int(self._offsets[i]) : int(self._offsets[i + 1])].tolist()
        return asns

    def registered_asns(self, cc: str) -> int:
        """ASNs the RIR delegated data registers in `cc` (the AS-names file's countries not included)."""
        return int(np.count_nonzero(self._registry[1] == cc))

    def as_name(self, asn: int) -> str | None:
        i = index_of(self._named, asn)
        if i < 0:
            return None
        return bytes(self._utf8[int(self._name_offsets[i]) : int(self._name_offsets[i + 1])]).decode()
