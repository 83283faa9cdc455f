"""Bulk lookups for researchers (the Team Cymru bulk-whois habit): addresses or prefixes to origin ASes.

`Snapshot.lookup_ip` costs microseconds an address (text parsing, the MOAS table); a list of a million
addresses should take seconds, so IPv4 addresses are matched a chunk at a time against the snapshot's
longest-prefix-match interval table in one vectorised search, and each matched prefix's facts are worked
out once. IPv6 addresses and prefixes take the general path. Input is read
and rows are produced chunk by chunk, so memory does not grow with the list.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import compress, islice
from typing import NamedTuple, TextIO

import numpy as np
import numpy.typing as npt

from bot.routing.lookup import covering_prefix
from bot.routing.snapshot import OriginSeen, Snapshot

CHUNK = 4096
# Matched prefixes whose answers are kept (and sets of origins whose CSV cells are): a list over a whole
# full table would otherwise keep all ~1-2 M of them, ~0.5 KB each; past this many, the cache starts again.
FACTS_KEPT = 200_000
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


_CSV_SPECIAL = re.compile(r'[,"\r\n]')
_DOT, _NEWLINE, _ZERO = ord("."), ord("\n"), ord("0")


def dotted_quads(texts: list[str]) -> U64 | None:
    """Lines that are all IPv4 addresses in their plain dotted form, parsed in a few vectorised passes (a
    C call per line costs more than everything else a line needs); None when any line is not one: four
    decimal numbers of 1-3 digits up to 255, without leading zeros (a subset of what `inet_pton` accepts,
    with the same value), then the caller takes the line-by-line path, which says what is wrong."""
    try:
        raw = ("\n".join(texts) + "\n").encode("ascii")
    except UnicodeEncodeError:
        return None
    chars = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero((chars == _DOT) | (chars == _NEWLINE))  # where each number ends
    if len(ends) != 4 * len(texts):
        return None
    kinds = chars[ends].reshape(-1, 4)
    if (kinds[:, :3] != _DOT).any() or (kinds[:, 3] != _NEWLINE).any():
        return None
    starts = np.append(0, ends[:-1] + 1)
    lengths = ends - starts
    digits = chars.astype(np.int64) - _ZERO
    digits[ends] = 0
    if lengths.min() < 1 or lengths.max() > 3 or digits.min() < 0 or digits.max() > 9:
        return None
    if ((lengths > 1) & (digits[starts] == 0)).any():  # "01": inet_pton refuses it, our fallback says why
        return None
    values = digits[ends - 1] + np.where(lengths > 1, digits[ends - 2] * 10, 0)
    values += np.where(lengths > 2, digits[ends - 3] * 100, 0)
    if values.max() > 255:
        return None
    octets = values.reshape(-1, 4)
    quads: U64 = ((octets[:, 0] << 24) | (octets[:, 1] << 16) | (octets[:, 2] << 8) | octets[:, 3]).astype(
        np.uint64
    )
    return quads


class BatchLookup:
    """Answers many queries against one snapshot; build once, then feed it any number of lines."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._facts: dict[int, Facts] = {}
        self._alone = _SingleOrigins(snapshot)
        self._sets: dict[tuple[int, ...], tuple[Origin, ...]] = {}

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
        """A chunk of plain IPv4 lines (the usual list) is parsed in one vectorised pass; anything else
        in it (comments, blanks, IPv6, prefixes, bad lines) sends the chunk down the line-by-line path."""
        addresses = dotted_quads(texts)
        if addresses is None:
            return self._mixed_chunk(first, texts)
        chunk = Chunk(lines=list(range(first, first + len(texts))), queries=texts)
        self._match_v4(chunk, addresses)
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
        ids = unique.tolist()
        known = self._facts
        new = list(set(ids).difference(known))
        if len(known) + len(new) > FACTS_KEPT:
            known.clear()
            self._sets.clear()
            new = ids
        if new:
            known.update(self._v4_facts(new))
        chunk.facts = list(map(known.__getitem__, ids))
        chunk.answer = inverse.tolist()
        chunk.countries = self.snapshot.countries_of_v4(addresses)

    def _v4_facts(self, prefix_ids: list[int]) -> dict[int, Facts]:
        """Matched prefixes (-1: none) and their origins, many at once: on a full table a list of random
        addresses meets a new prefix at most lines, so their origins are gathered in one vectorised step."""
        found = np.array([p for p in prefix_ids if p >= 0], dtype=np.int64)
        counts, asns = self.snapshot.origin_asns_of(found)
        texts = self.snapshot.prefix_texts(found)
        facts: dict[int, Facts] = {-1: (None, ())} if len(found) < len(prefix_ids) else {}
        first = (np.cumsum(counts) - counts).astype(np.int64)  # each prefix's first origin in `asns`
        single = counts == 1
        # one origin, as almost every prefix has: C-level maps, no Python code per prefix
        alone = map(self._alone.__getitem__, asns[first[single]].tolist())
        facts.update(
            zip(
                found[single].tolist(), zip(compress(texts, single.tolist()), alone, strict=True), strict=True
            )
        )
        several = np.flatnonzero(~single)  # MOAS prefixes: a few percent of a real table's
        every = asns.tolist()
        for i, start, count in zip(
            several.tolist(), first[several].tolist(), counts[several].tolist(), strict=True
        ):
            facts[int(found[i])] = (texts[i], self._origin_set(every[start : start + count]))
        return facts

    def _origin_set(self, asns: list[int]) -> tuple[Origin, ...]:
        """The origins of a MOAS prefix, one shared tuple per distinct set: writers key on it."""
        key = tuple(asns)
        found = self._sets.get(key)
        if found is None:
            found = self._sets[key] = tuple(self._alone[a][0] for a in asns)
        return found

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
        return tuple(self._alone[o.asn][0] for o in seen)


class _SingleOrigins(dict[int, tuple[Origin]]):
    """Each AS as a prefix's only origin, with its name read from the snapshot once: origins repeat across
    prefixes (a full table has ~75 k origin ASes for ~1 M prefixes), and a hit is a C-level dict lookup."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self._snapshot = snapshot

    def __missing__(self, asn: int) -> tuple[Origin]:
        origins = self[asn] = (Origin(asn, self._snapshot.as_name(asn)),)
        return origins


class _OriginCells(dict[tuple[Origin, ...], str]):
    """The `origin_as,as_name` CSV cells of each set of origins, formatted once; only the names may need
    quoting (numbers never do), as the csv module quotes: a delimiter, a quote character, a line break."""

    def __missing__(self, origins: tuple[Origin, ...]) -> str:
        names = " | ".join(o.name or "" for o in origins)
        if _CSV_SPECIAL.search(names):
            names = '"' + names.replace('"', '""') + '"'
        cells = self[origins] = f"{' '.join(str(o.asn) for o in origins)},{names}"
        return cells


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
    origin_cells = _OriginCells()
    for chunk in chunks:
        for bad in chunk.bad:
            on_bad(bad)
        if len(origin_cells) > FACTS_KEPT:
            origin_cells.clear()
        if output_format == "csv" and chunk.queries:
            # queries are validated addresses or prefixes and countries two letters: only the AS names
            # may need quoting, formatted once per set of origins; the rows are then joined by C-level
            # maps, with no Python code run per row
            middle = [f"{prefix or ''},{origin_cells[origins]}" for prefix, origins in chunk.facts]
            rows = zip(
                chunk.queries,
                map(middle.__getitem__, chunk.answer),
                map(_COUNTRY_CELL.__getitem__, chunk.countries),
                strict=True,
            )
            out.write("\n".join(map(",".join, rows)) + "\n")
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
