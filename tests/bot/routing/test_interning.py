"""Exact interning in numpy batches: the same ids a dict gives, in first-seen order, never two sequences merged."""

from __future__ import annotations

import itertools
import random
from array import array

import numpy as np
import pytest

from bot.routing import interning
from bot.routing.interning import Interner, SequenceTable
from bot.routing.route_build import (
    path_of_words,
    path_words,
    prefix_key,
    prefix_key_of_text,
    prefix_sequences,
)


def packed(sequences: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    elems = np.array([e for s in sequences for e in s], dtype=np.uint32)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sequences]))).astype(np.int64)
    return elems, offsets


def interned_in_chunks(
    table: SequenceTable, given: list[tuple[int, ...]], chunk: int
) -> dict[tuple[int, ...], int]:
    """Intern `given` a chunk at a time, checking that every id is the one `dict.setdefault` gives; that dict."""
    expected: dict[tuple[int, ...], int] = {}
    for start in range(0, len(given), chunk):
        part = given[start : start + chunk]
        assert table.intern(*packed(part)).tolist() == [expected.setdefault(s, len(expected)) for s in part]
    return expected


def test_ids_are_a_dicts_ids_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short sequences from a small alphabet (many repeats, empty ones, shared prefixes and suffixes), fed
    in chunks that cross the batch size: every id is the one `dict.setdefault` gives."""
    monkeypatch.setattr(interning, "BATCH", 700)
    rng = random.Random(7)
    given = [tuple(rng.randint(1, 30) for _ in range(rng.randint(0, 4))) for _ in range(12_000)]
    table = SequenceTable()
    expected = interned_in_chunks(table, given, 2_500)
    assert len(table) == len(expected)
    assert sequences(table) == [list(s) for s in expected]


def test_a_table_taken_whole_finds_its_sequences_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """`intern_table` into an empty table keeps the other table's ids (only indexing them, in batches);
    later batches find those sequences and number new ones after them; into a table that has sequences
    it interns as usual."""
    monkeypatch.setattr(interning, "BATCH", 300)
    rng = random.Random(5)
    first = SequenceTable()
    first.intern(*packed([tuple(rng.randint(1, 40) for _ in range(rng.randint(0, 3))) for _ in range(2_000)]))
    taken = SequenceTable()
    assert taken.intern_table(first.elems, first.offsets).tolist() == list(range(len(first)))
    expected = {tuple(s): i for i, s in enumerate(sequences(first))}
    later = [tuple(rng.randint(1, 60) for _ in range(rng.randint(0, 3))) for _ in range(2_000)]
    assert taken.intern(*packed(later)).tolist() == [expected.setdefault(s, len(expected)) for s in later]
    again = taken.intern_table(first.elems, first.offsets)
    assert again.tolist() == list(range(len(first)))
    assert len(taken) == len(expected)


def test_interner_resolves_provisional_ids_to_first_seen_ids() -> None:
    rng = random.Random(3)
    given = [tuple(rng.randint(1, 9) for _ in range(3)) for _ in range(5_000)]
    interner, provisional, expected = Interner(), [], {}
    for i, sequence in enumerate(given):
        provisional.append(interner.provisional(array("I", sequence)))
        if i % 1_000 == 999:
            interner.resolved()  # resolving in several batches keeps earlier answers
    resolved = interner.resolved()
    assert [int(resolved[p]) for p in provisional] == [expected.setdefault(s, len(expected)) for s in given]
    assert len(interner) == len(expected)


def test_equal_hashes_of_different_sequences_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids are verified element by element: a hash collision fails loudly instead of merging two paths."""

    def colliding(elems: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        same = np.zeros(len(offsets) - 1, dtype=np.uint64)
        return same, same

    monkeypatch.setattr(interning, "sequence_hashes", colliding)
    table = SequenceTable()
    table.intern(*packed([(174, 9198)]))
    with pytest.raises(RuntimeError, match="same 128-bit hash"):
        table.intern(*packed([(3356, 9198)]))
    with pytest.raises(RuntimeError, match="same 128-bit hash"):
        SequenceTable().intern(*packed([(1, 2), (2, 1)]))


def test_sequences_sharing_the_first_hash_keep_their_own_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the first 64-bit hash cut to two values, batches and the index are full of ties that only the
    second hash tells apart: ids are still a dict's, across batches."""
    real = interning.sequence_hashes

    def tied(elems: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h1, h2 = real(elems, offsets)
        return h1 & np.uint64(1), h2

    monkeypatch.setattr(interning, "sequence_hashes", tied)
    monkeypatch.setattr(interning, "BATCH", 500)
    rng = random.Random(9)
    given = [tuple(rng.randint(1, 25) for _ in range(rng.randint(0, 3))) for _ in range(4_000)]
    assert len(interned_in_chunks(SequenceTable(), given, 1_000)) == len(set(given))


@pytest.mark.parametrize(
    "path",
    [(), (174, 9198), (0,), (64500, 0, 9198), (174, frozenset({65001, 65002})), (frozenset({7}),)],
)
def test_path_words_decode_to_the_same_path(path: tuple[int | frozenset[int], ...]) -> None:
    words = path_words(path)
    assert path_of_words(list(words)) == path
    plain = all(isinstance(e, int) for e in path) and 0 not in path
    assert (list(words) == list(path)) is plain


def prefix_words(*keys: bytes) -> list[list[int]]:
    """Each `prefix_key`'s words, decoded in one batch."""
    buffer = np.frombuffer(b"".join(keys), dtype=np.uint8)
    ends = np.cumsum([len(key) for key in keys])
    elems, offsets = prefix_sequences(buffer, np.concatenate(([0], ends)).astype(np.int64))
    return [elems[a:b].tolist() for a, b in itertools.pairwise(offsets.tolist())]


def sequences(table: SequenceTable) -> list[list[int]]:
    """Every sequence of the table, in id order."""
    return [table.elems[a:b].tolist() for a, b in itertools.pairwise(table.offsets.tolist())]


def test_prefix_words_clear_host_bits_and_separate_families() -> None:
    dirty, clean = prefix_key(bytes((23, 10, 1, 3)), False), prefix_key_of_text("10.1.2.0/23")
    assert prefix_words(dirty, clean) == [[23, 0x0A010200]] * 2
    assert prefix_words(prefix_key(bytes((0,)), False)) == [[0, 0]]
    v6 = prefix_key_of_text("2001:db8::/32")
    assert (
        prefix_words(v6, prefix_key(bytes((32, 0x20, 0x01, 0x0D, 0xB8)), True))
        == [[288, 0x20010DB8, 0, 0, 0]] * 2
    )
    assert prefix_words(prefix_key_of_text("2001:db8:1:2:3:4:5:6/127"))[0][-1] == 0x00050006
    assert prefix_words(prefix_key(bytes((8, 10)), False)) != prefix_words(prefix_key(bytes((8, 10)), True))
