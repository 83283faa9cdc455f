"""Opening a snapshot's `.npy` tables memory-mapped, as plain arrays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def mapped(path: Path) -> npt.NDArray[Any]:
    """The table in `path`, memory-mapped (pages read on first touch, shared, never copied) and viewed as a
    plain ndarray: `np.memmap`'s Python-level `__getitem__` costs microseconds on every scalar read."""
    return np.asarray(np.load(path, mmap_mode="r"))


def index_of(column: npt.NDArray[Any], value: int) -> int:
    """Position of `value` in a sorted unsigned integer column, or -1. Searched as the column's own dtype:
    given a Python int, numpy 2 converts the whole column first (milliseconds on a million entries)."""
    try:
        key = column.dtype.type(value)
    except OverflowError:  # negative, or too big for the column's type (cheaper to catch than to check)
        return -1
    i = int(np.searchsorted(column, key))
    return i if i < len(column) and int(column[i]) == value else -1
