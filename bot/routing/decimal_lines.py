"""Lines of unsigned integers written as decimal text by numpy, for the million-line text files an import
writes (the IPASN file: `a.b.c.d/len<TAB>asn`), where a Python f-string per line costs ~0.5 s a million."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_POWERS = 10 ** np.arange(20, dtype=np.uint64)


def decimal_lines(fields: list[npt.NDArray[np.integer]], after: list[bytes]) -> bytes:
    """Row i is `fields[0][i]` written in decimal, then `after[0]`, then `fields[1][i]`, `after[1]` ...;
    every row's text end to end (each field's values are >= 0)."""
    values = [np.asarray(column).astype(np.uint64) for column in fields]
    digits = [np.searchsorted(_POWERS, column, side="right").clip(1) for column in values]
    widths = sum(digits) + sum(map(len, after))
    row_end = np.cumsum(widths)
    out = np.zeros(int(row_end[-1]) if len(row_end) else 0, dtype=np.uint8)
    place = row_end - widths
    for column, count, separator in zip(values, digits, after, strict=True):
        for k in range(int(count.max()) if len(count) else 0):  # k-th digit from the right
            has = count > k
            at = place[has] + count[has] - 1 - k
            out[at] = 48 + (column[has] // _POWERS[k]) % np.uint64(10)
        place = place + count
        for offset, byte in enumerate(separator):
            out[place + offset] = byte
        place = place + len(separator)
    return out.tobytes()
