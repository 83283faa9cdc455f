"""Decimal text by numpy (`decimal_lines`) is exactly what Python's own formatting writes."""

from __future__ import annotations

import numpy as np

from bot.routing.decimal_lines import decimal_lines


def test_lines_match_python_formatting() -> None:
    rng = np.random.default_rng(5)
    octets = rng.integers(0, 256, 20_000, dtype=np.uint64)
    lengths = rng.integers(0, 33, 20_000, dtype=np.uint64)
    big = rng.integers(0, 2**63, 20_000, dtype=np.uint64) >> rng.integers(0, 63, 20_000, dtype=np.uint64)
    big[:6] = [0, 1, 9, 10, 2**32 - 1, 2**64 - 1]  # every digit count's edges, and the widest value
    text = decimal_lines([octets, lengths, big], [b".", b"/", b"\t\n"])
    expected = "".join(
        f"{a}.{n}/{b}\t\n" for a, n, b in zip(octets.tolist(), lengths.tolist(), big.tolist(), strict=True)
    )
    assert text == expected.encode()


def test_no_rows_no_text() -> None:
    assert decimal_lines([np.zeros(0, dtype=np.uint32)], [b"\n"]) == b""
