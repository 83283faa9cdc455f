"""The bounded-memory route build: spilled, batched and bucketed builds give the very same snapshot bytes."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np
import pytest

from bot.routing import interning, mrt, route_build
from bot.routing.importer import import_files
from bot.routing.mrt import RouteEvent
from bot.routing.route_build import NpyWriter, RouteAccumulator

REAL_INPUTS = (
    "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2",
    "mrt/ris-rrc00-updates.20190101.0000.gz",
    "mrt/bgpdump-bview.ipv4_unicast_add_path.gz",
    "mrt/bgpdump-bview.ipv6_unicast_add_path.gz",
)


def snapshot_files(folder: Path) -> dict[str, bytes]:
    """Every file of a snapshot; meta.json without when it was built and what the build cost."""
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    meta = json.loads(files.pop("meta.json"))
    for varies in ("built_at", "import_seconds", "import_peak_rss"):
        del meta["provenance"][varies]
    files["meta.json"] = json.dumps(meta, sort_keys=True).encode()
    return files


def test_spilled_build_is_byte_identical_to_in_memory_build(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real RIB, updates replayed over it and ADD-PATH RIBs, built with every bound set so low that each
    vantage spills many times, pairs merge in many batches and ids are interned in many batches."""
    inputs = [shared_data / name for name in REAL_INPUTS]
    whole = import_files(inputs, tmp_path / "whole")
    monkeypatch.setattr(route_build, "SPILL_ROUTES", 997)
    monkeypatch.setattr(route_build, "PENDING_PAIRS", 3001)
    # caches of recent prefixes and paths this small hand one key many provisional ids, resolved in many batches
    monkeypatch.setattr(route_build, "RECENT_KEYS", 7)
    monkeypatch.setattr(mrt, "_CACHE_LIMIT", 5)
    monkeypatch.setattr(interning, "BATCH", 1_000)
    spilled = import_files(inputs, tmp_path / "spilled")
    assert whole.provenance.routes > 200_000
    assert snapshot_files(whole.folder) == snapshot_files(spilled.folder)
    leftovers = [p.name for p in (tmp_path / "spilled" / "snapshots").iterdir() if p.name.startswith(".")]
    assert leftovers == []  # the scratch folder went with the import


def test_accumulator_keeps_at_most_the_spill_limit_in_ram(tmp_path: Path) -> None:
    routes = RouteAccumulator(tmp_path / "scratch", spill_routes=100)
    events = (
        RouteEvent(
            "B", 1, f"192.0.2.{i % 3}", 64500 + i % 3, f"10.{i // 256}.{i % 256}.0/24", (174, 9198), None
        )
        for i in range(1000)
    )
    routes.consume("c", events)
    assert routes.rib_routes == 1000
    buffered = sum(len(rib) // 3 for rib in routes._ribs.values())
    assert buffered < 100
    spilled = sum(p.stat().st_size for p in (tmp_path / "scratch").glob("rib-*.bin")) // 12
    assert spilled + buffered == 1000


def test_npy_writer_writes_what_np_save_writes(tmp_path: Path) -> None:
    values = np.arange(100_000, dtype=np.uint32) * np.uint32(7)
    np.save(tmp_path / "saved.npy", values)
    writer = NpyWriter(tmp_path / "written.npy", np.uint32, len(values))
    for start in range(0, len(values), 30_000):
        writer.write(values[start : start + 30_000])
    assert filecmp.cmp(writer.close(), tmp_path / "saved.npy", shallow=False)


def test_npy_writer_refuses_a_short_table(tmp_path: Path) -> None:
    writer = NpyWriter(tmp_path / "short.npy", np.uint32, 10)
    writer.write(np.zeros(9, dtype=np.uint32))
    with pytest.raises(RuntimeError, match="wrote 9 items, announced 10"):
        writer.close()


def test_pair_counts_merged_in_many_batches_are_counted_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-vantage (prefix, origin) keys merged into the table many times (known keys counted up, new ones
    merged in at their places): the same per-prefix origins and counts as counting them all at once."""
    monkeypatch.setattr(route_build, "PENDING_PAIRS", 500)
    rng = np.random.default_rng(4)
    pairs = route_build._PairCounts()
    counted: dict[int, int] = {}
    for _ in range(40):  # vantages, each seeing a distinct set of keys
        keys = np.unique(
            rng.integers(0, 300, 120).astype(np.uint64) << np.uint64(32)
            | rng.integers(0, 4, 120).astype(np.uint64)
        )
        pairs.add(keys)
        for key in keys.tolist():
            counted[key] = counted.get(key, 0) + 1
    offsets, origins, counts = pairs.table(300)
    for prefix in range(300):
        got = list(
            zip(
                origins[offsets[prefix] : offsets[prefix + 1]].tolist(),
                counts[offsets[prefix] : offsets[prefix + 1]].tolist(),
                strict=True,
            )
        )
        mine = sorted(
            ((key & 0xFFFFFFFF, n) for key, n in counted.items() if key >> 32 == prefix),
            key=lambda t: (-t[1], t[0]),
        )
        assert got == mine
