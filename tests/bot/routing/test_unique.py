"""`sorted_unique` is `np.unique` (without its hash table's cost) on the shapes the import gives it."""

from __future__ import annotations

import numpy as np
import pytest

from bot.routing.unique import sorted_unique


@pytest.mark.parametrize("size", [0, 1, 2, 1_000])
@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_sorted_unique_is_np_unique(size: int, dtype: type[np.unsignedinteger]) -> None:
    values = np.random.default_rng(size).integers(0, 50, size).astype(dtype)
    found = sorted_unique(values)
    assert found.dtype == dtype
    assert np.array_equal(found, np.unique(values))
