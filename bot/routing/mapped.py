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
