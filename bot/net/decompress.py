"""Open and inflate plain, gzip, bzip2 or xz data by its magic bytes, never by its file name.

Downloads get renamed (`latest-bview.gz`, registry files without extensions), but their first bytes do
not lie. The MRT parser streams with `new_decompressor` to see where a cut-off file stops; the input
detector and the text importers simply `open_decompressed`.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from pathlib import Path
from typing import BinaryIO, Protocol, cast

MAGIC_BYTES = 6  # enough to tell every supported format apart


def compression_of(head: bytes) -> str:
    """'gzip', 'bzip2', 'xz' or 'plain' from the first bytes of a stream."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return "plain"


def open_decompressed(path: Path) -> BinaryIO:
    """The file's decompressed bytes as a binary stream, whatever it is called."""
    with path.open("rb") as probe:
        kind = compression_of(probe.read(MAGIC_BYTES))
    if kind == "gzip":
        return cast(BinaryIO, gzip.open(path, "rb"))
    if kind == "bzip2":
        return cast(BinaryIO, bz2.open(path, "rb"))
    if kind == "xz":
        return cast(BinaryIO, lzma.open(path, "rb"))
    return path.open("rb")


class Decompressor(Protocol):
    """What zlib, bz2 and lzma incremental decompressors share: enough to inflate a stream chunk by chunk."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes) -> bytes: ...


def new_decompressor(kind: str) -> Decompressor:
    """A fresh incremental decompressor for a compressed `kind` (one per gzip member or bzip2 stream)."""
    if kind == "gzip":
        return zlib.decompressobj(31)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    if kind == "xz":
        return lzma.LZMADecompressor()
    raise ValueError(f"not a compressed kind: {kind!r}")
