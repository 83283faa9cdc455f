"""Bulk lookups for researchers (the Team Cymru bulk-whois habit): addresses or prefixes to origin ASes.

`Snapshot.lookup_ip` costs microseconds an address (text parsing, the MOAS table); a list of a million
addresses should take seconds, so IPv4 addresses are matched a chunk at a time against the snapshot's
longest-prefix-match interval table in one vectorised search, and each matched prefix's facts are worked
out once. IPv6 addresses and prefixes take the general path. Input is read
and rows are produced chunk by chunk, so memory does not grow with the list.
"""

from __future__ import annotations

import csv
import functools
import io
import ipaddress
import json
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
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


Facts = tuple[str | None, tuple[Origin, ...]]  # matched prefix (None: no route covers it) and its origins


class BatchRow(NamedTuple):
    """One query's answer; `prefix` is None (and `origins` empty) when no route covers it."""

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


@dataclass(slots=True)
class Chunk:
    """Answers for up to CHUNK lines as columns: writers format each distinct answer once and a
    million-line list needs no per-row objects. Bad lines are listed apart (reported, then skipped)."""

    lines: list[int] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    answer: list[int] = field(default_factory=list)  # index into `facts`, per query
    countries: list[str | None] = field(default_factory=list)
    facts: list[Facts] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)

    def rows(self) -> Iterator[BatchRow]:
        for line, query, i, country in zip(
            self.lines, self.queries, self.answer, self.countries, strict=True
        ):
            yield BatchRow(line, query, *self.facts[i], country)


_inet_pton_v4 = functools.partial(socket.inet_pton, socket.AF_INET)  # C all the way down: no Python frame


class BatchLookup:
    """Answers many queries against one snapshot; build once, then feed it any number of lines."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._facts = _PrefixFacts(self)

    def rows(self, lines: Iterable[str]) -> Iterator[BatchRow | BadLine]:
        """One result per non-blank, non-comment line (`#` starts a comment); rows in input order."""
        for chunk in self.chunks(lines):
            yield from chunk.bad
            yield from chunk.rows()

    def chunks(self, lines: Iterable[str]) -> Iterator[Chunk]:
        """The same results, CHUNK lines at a time: one vectorised search per chunk."""
        first = 1
        batch = iter(lines)
        while texts := list(map(str.strip, islice(batch, CHUNK))):
            yield self._chunk(first, texts)
            first += len(texts)

    def _chunk(self, first: int, texts: list[str]) -> Chunk:
        """A chunk of plain IPv4 lines (the usual list) is converted in one C-level pass; anything else
        in it (comments, blanks, IPv6, prefixes, bad lines) sends the chunk down the line-by-line path."""
        chunk = Chunk()
        try:
            packed = b"".join(map(_inet_pton_v4, texts))
        except OSError:
            return self._mixed_chunk(first, texts)
        chunk.lines = list(range(first, first + len(texts)))
        chunk.queries = texts
        self._match_v4(chunk, np.frombuffer(packed, dtype=">u4").astype(np.uint64))
        return chunk

    def _mixed_chunk(self, first: int, texts: list[str]) -> Chunk:
        v4 = Chunk()
        general = Chunk()
        values: list[int] = []
        for number, line in enumerate(texts, first):
            text = line.partition("#")[0].strip()
            if not text:
                continue
            try:
                values.append(int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"))
            except OSError:
                self._general(general, number, text)
            else:
                v4.lines.append(number)
                v4.queries.append(text)
        self._match_v4(v4, np.array(values, dtype=np.uint64))
        return _merged(v4, general)

    def _match_v4(self, chunk: Chunk, addresses: U64) -> None:
        if not len(addresses):
            return
        unique, inverse = np.unique(self.snapshot.covering_v4(addresses), return_inverse=True)
        chunk.facts = list(map(self._facts.__getitem__, unique.tolist()))
        chunk.answer = inverse.tolist()
        chunk.countries = self.snapshot.countries_of_v4(addresses)

    def v4_facts(self, prefix_id: int) -> Facts:
        """A matched prefix (-1: none) and its origins."""
        if prefix_id < 0:
            return None, ()
        return self.snapshot.prefix(prefix_id), self._origins(self.snapshot.origins_of_prefix(prefix_id))

    def _general(self, chunk: Chunk, number: int, text: str) -> None:
        """IPv6 addresses like /lookup; prefixes by their closest announced covering route."""
        try:
            network = ipaddress.ip_network(text, strict=False) if "/" in text else None
            address = network.network_address if network else ipaddress.ip_address(text)
        except ValueError as error:
            chunk.bad.append(BadLine(number, text, str(error)))
            return
        facts: Facts = (None, ())
        if network is None:
            match = self.snapshot.lookup_ip(str(address))
            if match is not None:
                facts = (match.prefix, self._origins(match.origins))
        elif (covering := covering_prefix(self.snapshot, network)) is not None:
            facts = (covering[0], self._origins(self.snapshot.origins_of_prefix(covering[1])))
        chunk.lines.append(number)
        chunk.queries.append(text)
        chunk.answer.append(len(chunk.facts))
        chunk.facts.append(facts)
        chunk.countries.append(self.snapshot.country_of_ip(str(address)))

    def _origins(self, seen: list[OriginSeen]) -> tuple[Origin, ...]:
        return tuple(Origin(o.asn, self.snapshot.as_name(o.asn)) for o in seen)


class _PrefixFacts(dict[int, Facts]):
    """Each matched prefix's facts, worked out once however many addresses hit it: a chunk's hundreds of
    prefixes are then read by a C-level map, with no Python call for those already seen."""

    def __init__(self, lookup: BatchLookup) -> None:
        super().__init__()
        self._lookup = lookup

    def __missing__(self, prefix_id: int) -> Facts:
        facts = self[prefix_id] = self._lookup.v4_facts(prefix_id)
        return facts


def _merged(a: Chunk, b: Chunk) -> Chunk:
    """Both chunks' rows in line order (each is already in order), `b`'s answers renumbered after `a`'s."""
    shift = len(a.facts)
    rows = sorted(
        [*zip(a.lines, a.queries, a.answer, a.countries, strict=True)]
        + [(n, q, i + shift, c) for n, q, i, c in zip(b.lines, b.queries, b.answer, b.countries, strict=True)]
    )
    merged = Chunk(facts=a.facts + b.facts, bad=b.bad)
    if rows:
        lines, queries, answer, countries = zip(*rows, strict=True)
        merged.lines, merged.queries, merged.answer = list(lines), list(queries), list(answer)
        merged.countries = list(countries)
    return merged


CSV_HEADER = ("query", "prefix", "origin_as", "as_name", "country")


def write_rows(
    chunks: Iterable[Chunk], out: TextIO, output_format: str, on_bad: Callable[[BadLine], None]
) -> None:
    """CSV (several origins space-separated, their names joined by " | ") or one JSON object per line,
    a chunk at a time; a bad line goes to `on_bad` and the stream goes on."""
    if output_format == "csv":
        out.write(",".join(CSV_HEADER) + "\n")
    # One entry per matched prefix (bounded by the snapshot's prefixes): an answer is its prefix's origins,
    # so the prefix, a string whose hash Python keeps, stands for the whole answer.
    formatted: dict[str | None, str] = {}
    for chunk in chunks:
        for bad in chunk.bad:
            on_bad(bad)
        if output_format == "csv" and chunk.queries:
            # queries are validated addresses or prefixes and countries two letters: only the middle
            # (AS names) may need quoting, and it is formatted once per distinct answer; the rows are
            # then joined by C-level maps, with no Python code run per row
            middle = [
                formatted.get(facts[0]) or formatted.setdefault(facts[0], _csv_middle(facts))
                for facts in chunk.facts
            ]
            cells = zip(
                chunk.queries,
                map(middle.__getitem__, chunk.answer),
                map(_COUNTRY_CELL.__getitem__, chunk.countries),
                strict=True,
            )
            out.write("\n".join(map(",".join, cells)) + "\n")
        elif output_format != "csv":
            out.writelines(
                json.dumps(row._asdict() | {"origins": [o._asdict() for o in row.origins]}) + "\n"
                for row in chunk.rows()
            )


class _CountryCells(dict[str | None, str]):
    """A country's CSV cell (None: empty), learnt once per code so each row's lookup is C-level."""

    def __missing__(self, country: str | None) -> str:
        cell = self[country] = country or ""
        return cell


_COUNTRY_CELL = _CountryCells()


def _csv_middle(facts: Facts) -> str:
    prefix, origins = facts
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(
        (prefix or "", " ".join(str(o.asn) for o in origins), " | ".join(o.name or "" for o in origins))
    )
    return line.getvalue()
