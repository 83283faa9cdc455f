"""Open and inflate plain, gzip, bzip2 or xz data by its magic bytes, never by its file name.

Downloads get renamed (`latest-bview.gz`, registry files without extensions), but their first bytes do
not lie. Every input kind is read through one `Inflater`, so a cut-off or corrupt file stops at the same
place with the same reason whether it holds MRT records, registry lines or AS names.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

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


_RAW_CHUNK = 32 * 1024  # small compressed reads keep the truncation estimate within ~32 KiB of input
_PLAIN_CHUNK = 1024 * 1024


@dataclass
class StreamReport:
    """How far a (compressed) input decoded; every input kind reports a cut or corrupt stream the same way."""

    compression: str = "plain"
    compressed_bytes: int = 0
    truncation_reason: str = ""


class Inflater:
    """Decompressed chunks of a raw stream; remembers where the compressed input stopped producing data."""

    def __init__(self, raw: BinaryIO, report: StreamReport) -> None:
        self.raw = raw
        self.report = report
        self.out_total = 0
        self.raw_at_last_output = 0
        self.stream_cut = False

    def chunks(self) -> Iterator[bytes]:
        report = self.report
        first = self.raw.read(_RAW_CHUNK)
        kind = report.compression = compression_of(first)
        if kind == "plain":
            report.compressed_bytes = len(first)
            chunk = first
            while chunk:
                self.out_total += len(chunk)
                yield chunk
                chunk = self.raw.read(_PLAIN_CHUNK)
                report.compressed_bytes += len(chunk)
            return
        decoder = new_decompressor(kind)
        pending = first
        while True:
            if not pending:
                pending = self.raw.read(_RAW_CHUNK)
                if not pending:
                    if not decoder.eof:
                        self.stream_cut = True
                        report.truncation_reason = f"{kind} stream ends before its end-of-stream marker"
                    return
            report.compressed_bytes += len(pending)
            try:
                out = decoder.decompress(pending)
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
                self.stream_cut = True
                report.truncation_reason = (
                    f"{kind} data corrupt after {report.compressed_bytes:,} bytes: {exc}"
                )
                return
            pending = b""
            if out:
                self.out_total += len(out)
                self.raw_at_last_output = report.compressed_bytes
                yield out
            if decoder.eof:
                pending = decoder.unused_data
                report.compressed_bytes -= len(pending)
                if pending.strip(b"\x00") == b"":
                    pending = self.raw.read(_RAW_CHUNK)
                    if not pending.strip(b"\x00"):
                        return  # clean end (zero padding after the last member is tolerated)
                decoder = new_decompressor(kind)  # concatenated gzip members / bzip2 streams

    def undecoded_estimate(self) -> int:
        """Decompressed size the compressed tail that produced no output would probably have had."""
        tail = self.report.compressed_bytes - self.raw_at_last_output
        if tail <= 0 or self.raw_at_last_output <= 0:
            return 0
        return int(tail * self.out_total / self.raw_at_last_output)
