"""Bulk lookups for researchers (the Team Cymru bulk-whois habit): addresses or prefixes to origin ASes.

`Snapshot.lookup_ip` costs ~20 µs an address (text parsing, pyasn, the MOAS table); a list of a million
addresses should take seconds, so IPv4 addresses are matched a chunk at a time against a flat interval
table built once from the snapshot's IPASN file (the very data pyasn answers from), and each matched
prefix's facts are worked out once. IPv6 addresses and prefixes take the general path. Input is read
and rows are produced chunk by chunk, so memory does not grow with the list.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import NamedTuple, TextIO

import numpy as np
import numpy.typing as npt

from bot.routing.lookup import covering_prefix
from bot.routing.snapshot import OriginSeen, Snapshot

CHUNK = 4096
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


class Origin(NamedTuple):
    asn: int
    name: str | None


class BatchRow(NamedTuple):
    """One query's answer; `prefix` is None (and `origins` empty) when no route covers it. A tuple, not a
    dataclass: a million of them are made and dropped per million lines."""

    line: int
    query: str
    prefix: str | None
    origins: tuple[Origin, ...]
    country: str | None  # registration country of the address (of the prefix's first address)


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is neither an address nor a prefix: reported by the caller, then skipped."""

    line: int
    text: str
    problem: str


@dataclass(frozen=True, slots=True)
class _V4Table:
    """Sorted boundaries of elementary address ranges and, per range, the IPASN row that covers it (-1: none)."""

    bounds: U64
    match: I64
    prefixes: list[str]
    asns: list[int]


def _ipasn_v4(path: Path | None) -> Iterator[tuple[str, int]]:
    """(prefix, most-seen origin) for each IPv4 line of a pyasn IPASN file."""
    if path is None:
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith(";") and ":" not in line:
                prefix, _, asn = line.rstrip("\n").partition("\t")
                yield prefix, int(asn)


def _v4_table(path: Path | None) -> _V4Table:
    """Longest-prefix match is constant between consecutive prefix starts and ends, so matching every such
    boundary once (one vectorised pass per prefix length) turns each later lookup into one binary search."""
    prefixes: list[str] = []
    asns: list[int] = []
    nets: list[int] = []
    lengths: list[int] = []
    for prefix, asn in _ipasn_v4(path):
        address, _, length = prefix.partition("/")
        nets.append(int.from_bytes(socket.inet_aton(address), "big"))
        lengths.append(int(length))
        prefixes.append(prefix)
        asns.append(asn)
    net = np.array(nets, dtype=np.uint64)
    length_of = np.array(lengths, dtype=np.int64)
    size = np.left_shift(1, 32 - length_of).astype(np.uint64)
    bounds = np.unique(np.concatenate([np.zeros(1, dtype=np.uint64), net, net + size]))
    match = np.full(len(bounds), -1, dtype=np.int64)
    for bits in sorted(set(lengths), reverse=True):
        ids = np.flatnonzero(length_of == bits)
        order = ids[np.argsort(net[ids])]
        keys = net[order]
        masked = np.bitwise_and(bounds, np.uint64((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF))
        at = np.minimum(np.searchsorted(keys, masked), len(keys) - 1)
        hit = (keys[at] == masked) & (match < 0)
        match[hit] = order[at[hit]]
    return _V4Table(bounds, match, prefixes, asns)


class BatchLookup:
    """Answers many queries against one snapshot; build once, then feed it any number of lines."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._v4 = _v4_table(snapshot.ipasn_path())
        self._facts: dict[int, tuple[str, tuple[Origin, ...]]] = {}

    def rows(self, lines: Iterable[str]) -> Iterator[BatchRow | BadLine]:
        """One result per non-blank, non-comment line (`#` starts a comment), in input order."""
        for chunk in self.chunks(lines):
            yield from chunk

    def chunks(self, lines: Iterable[str]) -> Iterator[list[BatchRow | BadLine]]:
        """The same results, up to CHUNK lines' worth at a time: one vectorised search per chunk."""
        numbered = enumerate(lines, 1)
        while chunk := list(islice(numbered, CHUNK)):
            yield self._chunk(chunk)

    def _chunk(self, chunk: list[tuple[int, str]]) -> list[BatchRow | BadLine]:
        out: list[BatchRow | BadLine | None] = []
        v4: list[tuple[int, str]] = []
        values: list[int] = []
        for number, raw in chunk:
            text = raw.strip()
            if "#" in text:
                text = text.partition("#")[0].strip()
            if not text:
                continue
            try:
                values.append(int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"))
            except OSError:
                out.append(self._general(number, text))
            else:
                v4.append((number, text))
                out.append(None)  # filled below, once the whole chunk is matched
        if not v4:
            return [item for item in out if item is not None]
        addresses = np.array(values, dtype=np.uint64)
        found = self._v4.match[np.searchsorted(self._v4.bounds, addresses, side="right") - 1]
        unique, inverse = np.unique(found, return_inverse=True)
        facts = [self._v4_facts(int(row), v4[0][1]) for row in unique]
        answers = iter(
            [
                BatchRow(number, text, facts[i][0], facts[i][1], country)
                for (number, text), i, country in zip(
                    v4, inverse.tolist(), self.snapshot.countries_of_v4(addresses), strict=True
                )
            ]
        )
        return [next(answers) if item is None else item for item in out]

    def _v4_facts(self, row: int, ip: str) -> tuple[str | None, tuple[Origin, ...]]:
        """A matched IPASN row's prefix and origins, worked out once per row however many addresses hit it."""
        if row < 0:
            return None, ()
        facts = self._facts.get(row)
        if facts is None:
            prefix = self._v4.prefixes[row]
            match = self.snapshot.match_of(ip, prefix, self._v4.asns[row])
            facts = self._facts[row] = (prefix, self._origins(match.origins))
        return facts

    def _general(self, number: int, text: str) -> BatchRow | BadLine:
        """IPv6 addresses through pyasn like /lookup; prefixes by their closest announced covering route."""
        try:
            if "/" in text:
                network = ipaddress.ip_network(text, strict=False)
            else:
                address = ipaddress.ip_address(text)
        except ValueError as error:
            return BadLine(number, text, str(error))
        if "/" not in text:
            match = self.snapshot.lookup_ip(str(address))
            country = self.snapshot.country_of_ip(str(address))
            if match is None:
                return BatchRow(number, text, None, (), country)
            return BatchRow(number, text, match.prefix, self._origins(match.origins), country)
        country = self.snapshot.country_of_ip(str(network.network_address))
        covering = covering_prefix(self.snapshot, network)
        if covering is None:
            return BatchRow(number, text, None, (), country)
        prefix, prefix_id = covering
        return BatchRow(
            number, text, prefix, self._origins(self.snapshot.origins_of_prefix(prefix_id)), country
        )

    def _origins(self, seen: list[OriginSeen]) -> tuple[Origin, ...]:
        return tuple(Origin(o.asn, self.snapshot.as_name(o.asn)) for o in seen)


CSV_HEADER = ("query", "prefix", "origin_as", "as_name", "country")


def write_rows(
    results: Iterable[list[BatchRow | BadLine]],
    out: TextIO,
    output_format: str,
    on_bad: Callable[[BadLine], None],
) -> None:
    """CSV (several origins space-separated, their names joined by " | ") or one JSON object per line,
    a chunk at a time; a bad line goes to `on_bad` and the stream goes on."""
    if output_format == "csv":
        out.write(",".join(CSV_HEADER) + "\n")
    middle: dict[tuple[str | None, tuple[Origin, ...]], str] = {}
    for chunk in results:
        text: list[str] = []
        for result in chunk:
            if isinstance(result, BadLine):
                on_bad(result)
            elif output_format == "csv":
                # queries are validated addresses or prefixes and countries two letters: only the
                # middle (AS names) may need quoting, and it is the same for every hit of a prefix
                key = (result.prefix, result.origins)
                if (fields := middle.get(key)) is None:
                    fields = middle[key] = _csv_middle(result)
                text.append(f"{result.query},{fields},{result.country or ''}\n")
            else:
                origins = [{"asn": o.asn, "name": o.name} for o in result.origins]
                row = {
                    "query": result.query,
                    "prefix": result.prefix,
                    "origins": origins,
                    "country": result.country,
                }
                text.append(json.dumps(row) + "\n")
        out.write("".join(text))


def _csv_middle(row: BatchRow) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(
        (
            row.prefix or "",
            " ".join(str(o.asn) for o in row.origins),
            " | ".join(o.name or "" for o in row.origins),
        )
    )
    return line.getvalue()
