"""Per-route id columns stored as 3-byte integers when every id fits, memory-mapped and read as uint32.

A full table has ~1.2 M prefixes and a few million distinct paths, far below 2^24, so the two per-route
columns (a prefix id and a path id for each of ~100 M routes) need 3 bytes an id, not 4: a quarter of the
snapshot's size. numpy has no 3-byte integer, so such a column is a `.npy` of 3-byte little-endian items
(`V3`), read through a strided 4-byte view that starts one byte early (on the header's closing newline):
item i's 4-byte read holds the byte before it and then its own 3 bytes, so the id is that value >> 8. A
gather or a slice stays one C-level numpy operation and nothing is unpacked when the snapshot is opened. A
column whose ids reach 2^24 is plain uint32 and read the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.routing.mapped import mapped

U32 = npt.NDArray[np.uint32]

PACKED = np.dtype("V3")


def id_dtype(limit: int) -> np.dtype[Any]:
    """How a column of ids below `limit` is stored: 3 bytes an id while they fit."""
    return PACKED if limit <= 1 << 24 else np.dtype(np.uint32)


def encoded(ids: npt.NDArray[Any], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """Ids as stored in a column of `dtype` (a chunk of it: columns bigger than RAM are written in parts)."""
    quads = np.ascontiguousarray(ids, dtype="<u4")
    if dtype != PACKED:
        return quads
    triples = np.ascontiguousarray(quads.view(np.uint8).reshape(-1, 4)[:, :3])
    return triples.view(PACKED).reshape(-1)


def save(path: Path, ids: npt.NDArray[Any], limit: int) -> None:
    np.save(path, encoded(ids, id_dtype(limit)))


class IdColumn:
    """A memory-mapped id column: `column[rows]` (a slice, or an array of row numbers) gives uint32 ids."""

    def __init__(self, path: Path) -> None:
        raw = mapped(path)
        self.packed = raw.dtype == PACKED
        if self.packed:
            whole = np.memmap(path, dtype=np.uint8, mode="r")  # the items end the file
            start = len(whole) - 3 * len(raw)
            self._view: U32 = np.ndarray(
                (len(raw),), dtype="<u4", buffer=whole, offset=start - 1, strides=(3,)
            )
        else:
            self._view = raw

    def __len__(self) -> int:
        return len(self._view)

    def __getitem__(self, rows: slice | npt.NDArray[np.integer[Any]]) -> U32:
        found: U32 = self._view[rows]
        if self.packed:
            found = found >> np.uint32(8)
        return found
