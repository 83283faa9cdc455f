"""Recognise an input file by its content (never its name) and open it decompressed.

Users hand `data import` whatever they downloaded: RIBs named `latest-bview.gz`, registry files without
extensions, names files renamed by mirrors. Only the bytes say what a file is.
"""

from __future__ import annotations

import codecs
import enum
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.net.decompress import Inflater, StreamReport
from bot.routing.asnames import looks_like_asn_txt, looks_like_asnames_json
from bot.routing.ixps import looks_like_ixps
from bot.routing.mrt import looks_like_mrt
from bot.routing.registry import looks_like_delegated

HEAD_BYTES = 64 * 1024


class FileKind(enum.StrEnum):
    MRT = "mrt"
    DELEGATED = "delegated"
    ASNAMES_JSON = "asnames-json"
    ASNAMES_TEXT = "asnames-text"
    IPASN = "ipasn"
    IXPS = "ixps"


class UnknownFileKind(ValueError):
    """The file is none of the kinds `data import` understands; the message says what it looked like."""


class InputText:
    """An input file's decoded lines, through the same inflater as MRT files.

    A cut download or corrupt compressed data ends the text at the last complete line (the partial one is
    dropped, never half-parsed) and leaves the reason in `loss`, so every input kind is truncated alike.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.report = StreamReport()
        self.loss = ""

    def chunks(self, limit: int | None = None) -> Iterator[bytes]:
        """Decompressed bytes, at most about `limit` of them; sets `loss` when the stream is cut."""
        with self.path.open("rb") as raw:
            inflater = Inflater(raw, self.report)
            got = 0
            for chunk in inflater.chunks():
                yield chunk
                got += len(chunk)
                if limit is not None and got >= limit:
                    return
            if inflater.stream_cut:
                self.loss = self.report.truncation_reason

    def texts(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for chunk in self.chunks():
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)

    def lines(self) -> Iterator[str]:
        rest = ""
        for text in self.texts():
            parts = (rest + text).split("\n")
            rest = parts.pop()
            yield from parts
        if rest and not self.loss:
            yield rest

    def read(self) -> str:
        """All the readable text, a cut-off tail included (a JSON parser can still use what precedes it)."""
        return "".join(self.texts())


def read_head(path: Path, size: int = HEAD_BYTES) -> tuple[bytes, str]:
    """The first decompressed bytes, and why there are none when the stream is corrupt from the start."""
    source = InputText(path)
    head = b"".join(source.chunks(limit=size))[:size]
    return head, source.loss


def detect_kind(path: Path) -> FileKind:
    """Classify a file from its decompressed head; raise UnknownFileKind with a readable reason."""
    if path.stat().st_size == 0:
        raise UnknownFileKind(f"{path.name} is empty")
    head, loss = read_head(path)
    if not head:
        raise UnknownFileKind(f"{path.name} has no readable content ({loss or 'it decompresses to nothing'})")
    if looks_like_mrt(head):
        return FileKind.MRT
    if b"\x00" in head:
        raise UnknownFileKind(f"{path.name} is binary but not MRT (RFC 6396)")
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()[:-1] or text.splitlines()  # the last line of the head may be cut
    if looks_like_asnames_json(text):
        return FileKind.ASNAMES_JSON
    if looks_like_ixps(text, lines):
        return FileKind.IXPS
    if looks_like_delegated(lines):
        return FileKind.DELEGATED
    if _looks_like_ipasn(lines):
        return FileKind.IPASN
    if looks_like_asn_txt(lines):
        return FileKind.ASNAMES_TEXT
    raise UnknownFileKind(
        f"{path.name} is not MRT, RIR delegated stats, AS names, a pyasn IPASN file or PeeringDB IXP data "
        f"(it starts with {text[:40]!r})"
    )


def _looks_like_ipasn(lines: list[str]) -> bool:
    sample = [line for line in lines if line.strip() and not line.startswith(";")][:20]
    return bool(sample) and all(_ipasn_fields(line) is not None for line in sample)


def _ipasn_fields(line: str) -> tuple[str, int] | None:
    parts = line.split()
    if len(parts) != 2 or "/" not in parts[0] or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def parse_ipasn(lines: Iterable[str]) -> list[tuple[str, int]]:
    """pyasn IPASN lines (`prefix<TAB>asn`, `;` comments) as (prefix, asn) pairs."""
    pairs = []
    for line in lines:
        if line.startswith(";"):
            continue
        fields = _ipasn_fields(line)
        if fields is not None:
            pairs.append(fields)
    return pairs
