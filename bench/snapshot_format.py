"""A format-2 snapshot re-written in the current format: bytes per route, cold load, and the same answers.

Run: .venv/bin/python bench/snapshot_format.py SNAPSHOT_FOLDER --old-code DIR [--work DIR] [--rounds 3]
SNAPSHOT_FOLDER is a format-2 snapshot (e.g. the 120 M-route pair of bench/README.md); DIR a checkout of the
code that wrote it (`git archive 0aeb5e3 | tar -x -C DIR`). Re-importing 100 M routes takes ~9 minutes of both
cores; this reads the old snapshot's tables back into a `SnapshotTables` (the route columns streamed through
the import's own `NpyWriter` and `id_columns.encoded`, chunk by chunk) and writes them with the current
`write_tables`/`write_meta` into `--work` (the interval tables and `ipasn.dat` are recomputed by it, and
compared with the old ones).
Then, alternating old and new `--rounds` times in the same run, each in a fresh process with a cold page cache
(the snapshot's files evicted with posix_fadvise(DONTNEED)): the old code opening the old snapshot, the new code
opening the new one, pyasn opening the IPASN file (the baseline), and the peak RSS after the load and a first
lookup. Last, both code trees answer the same questions (random IPv4 and IPv6 lookups, every route of a
sample of origin ASes, the first routes of the table) and the digests of their answers must be equal.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.routing import id_columns
from bot.routing.ixps import Ixp
from bot.routing.prefix_match import v6_text
from bot.routing.route_build import NpyWriter
from bot.routing.snapshot import FORMAT_VERSION, Provenance, SnapshotTables, Vantage, write_meta, write_tables

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 8_000_000
LOAD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bot.routing.snapshot import Snapshot
t = time.perf_counter(); s = Snapshot(Path(sys.argv[2])); loaded = time.perf_counter() - t
s.lookup_ip("1.2.3.4"); first = time.perf_counter() - t
line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(loaded, first, int(line.split()[1]) * 1024)
"""
PYASN = """
import sys, time, pyasn
t = time.perf_counter(); pyasn.pyasn(sys.argv[1]); print(time.perf_counter() - t)
"""
ANSWERS = """
import hashlib, random, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bot.routing.snapshot import Snapshot
s = Snapshot(Path(sys.argv[2]))
rng = random.Random(11)
digest = hashlib.sha256()
t = time.perf_counter()
for _ in range(20000):
    digest.update(repr(s.lookup_ip(".".join(str(rng.randint(1, 223)) for _ in range(4)))).encode())
for _ in range(2000):
    digest.update(repr(s.lookup_ip(f"2{rng.randint(0, 0xfff):03x}:{rng.randint(0, 0xffff):x}::1")).encode())
lookups = time.perf_counter() - t
origins = sorted(s.origin_asns())
sample = rng.sample(origins, min(200, len(origins)))
t = time.perf_counter()
routes = 0
for asn in sample:
    for family in (None, 4, 6):
        found = s.routes_of_origin(asn, family)
        routes += len(found)
        digest.update(repr(found).encode())
per_origin = time.perf_counter() - t
t = time.perf_counter()
scanned = 0
for scanned, route in enumerate(s.routes(), 1):
    digest.update(repr(route).encode())
    if scanned == 300000:
        break
scan = time.perf_counter() - t
print(digest.hexdigest(), lookups, routes, per_origin, scanned, scan)
"""


def old_tables(folder: Path, scratch: Path) -> tuple[SnapshotTables, Provenance]:
    """A format-2 snapshot's tables as the import would hand them to `write_tables`."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["format"] == 2, f"{folder} is in format {meta['format']}, not 2"
    load = {p.stem: np.load(p, mmap_mode="r") for p in folder.glob("*.npy")}
    n_prefixes = len(load["prefix_v4_keys"]) + len(load["prefix_v6_hi"])
    limits = {"route_prefix": n_prefixes, "route_path": len(load["path_offsets"]) - 1}
    columns: dict[str, Path] = {}
    for name, limit in limits.items():
        old = load[name]
        writer = NpyWriter(scratch / f"{name}.npy", id_columns.id_dtype(limit), len(old))
        for start in range(0, len(old), CHUNK):
            writer.write(id_columns.encoded(old[start : start + CHUNK], writer.dtype))
        columns[name] = writer.close()
    sets = json.loads((folder / "path_sets.json").read_text(encoding="utf-8"))
    names = load["asnames_offsets"]
    utf8 = bytes(load["asnames_utf8"])
    given = {"prefix_v4_keys", "route_prefix", "route_path"}
    arrays = {  # the rest of the tables that format 2 keeps in a file of their own name
        f.name: np.array(load[f.name], dtype=np.int64 if "offsets" in f.name else load[f.name].dtype)
        for f in fields(SnapshotTables)
        if f.name in load and f.name not in given
    }
    tables = SnapshotTables(
        vantages=[Vantage(c, ip, int(asn)) for c, ip, asn in meta["vantages"]],
        prefix_v4_keys=np.array(load["prefix_v4_keys"]),
        prefix_v6=list(map(v6_text, *(load[f"prefix_v6_{n}"].tolist() for n in ("hi", "lo", "len")))),
        route_prefix=columns["route_prefix"],
        route_path=columns["route_path"],
        path_sets={int(k): v for k, v in sets.items()},
        **arrays,
        asn_country=dict(
            zip(load["asn_registry_asns"].tolist(), load["asn_registry_cc"].tolist(), strict=True)
        ),
        name_country=dict(
            zip(load["asn_names_cc_asns"].tolist(), load["asn_names_cc"].tolist(), strict=True)
        ),
        as_names={
            asn: utf8[int(names[i]) : int(names[i + 1])].decode()
            for i, asn in enumerate(load["asnames_asns"].tolist())
        },
        v4_ranges=(
            np.array(load["registry_v4_start"]),
            np.array(load["registry_v4_end"]),
            load["registry_v4_cc"],
        ),
        v6_ranges=(
            np.array(load["registry_v6_start"]),
            np.array(load["registry_v6_end"]),
            load["registry_v6_cc"],
        ),
        ixps=[
            Ixp.from_json(i) for i in json.loads((folder / "ixps.json").read_text(encoding="utf-8"))["ixps"]
        ],
    )
    return tables, Provenance.from_json(meta["provenance"])


def evict(folder: Path) -> None:
    for path in folder.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def probe(script: str, *args: str | Path, cold: Path | None = None) -> list[str]:
    if cold is not None:
        evict(cold)
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--old-code", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/work/b12s/rewrite"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    old = args.snapshot.resolve()
    shutil.rmtree(args.work, ignore_errors=True)
    new = args.work / f"{old.name}-format{FORMAT_VERSION}"
    scratch = args.work / "scratch"
    new.mkdir(parents=True)
    scratch.mkdir()
    started = time.perf_counter()
    tables, provenance = old_tables(old, scratch)
    write_tables(new, tables)
    write_meta(new, tables, provenance)
    shutil.rmtree(scratch)
    print(f"re-written in {time.perf_counter() - started:.0f} s into {new}")
    routes = provenance.routes
    print(f"on disk: format 2 {size(old):,} bytes = {size(old) / routes:.2f} B/route; ", end="")
    print(f"format {FORMAT_VERSION} {size(new):,} bytes = {size(new) / routes:.2f} B/route")
    same = [
        p.name
        for p in sorted(old.iterdir())
        if (new / p.name).exists() and filecmp.cmp(p, new / p.name, False)
    ]
    print(f"files byte-identical in both: {', '.join(same)}")
    for label, folder in (("format 2", old), (f"format {FORMAT_VERSION}", new)):
        sizes = sorted(((p.stat().st_size, p.name) for p in folder.iterdir()), reverse=True)[:8]
        print(f"  {label} largest: " + ", ".join(f"{n} {s / 1e6:.1f} MB" for s, n in sizes))
    for round_ in range(1, args.rounds + 1):
        before = probe(LOAD, args.old_code, old, cold=old)
        after = probe(LOAD, ROOT, new, cold=new)
        baseline = float(probe(PYASN, new / "ipasn.dat", cold=new)[0])
        print(
            f"round {round_}, cold: pyasn {baseline:.3f} s | format 2 load {float(before[0]):.3f} s "
            f"({float(before[0]) / baseline:.2f}x pyasn), +first lookup {float(before[1]):.3f} s, "
            f"{int(before[2]) / 2**20:.0f} MiB | format {FORMAT_VERSION} load {float(after[0]):.3f} s "
            f"({float(after[0]) / baseline:.2f}x), +first lookup {float(after[1]):.3f} s, {int(after[2]) / 2**20:.0f} MiB"
        )
    digests = set()
    for pass_ in ("pages cold or half warm", "warm"):  # the second pass reads pages the first brought in
        for label, code, folder in (
            ("format 2", args.old_code, old),
            (f"format {FORMAT_VERSION}", ROOT, new),
        ):
            answers = probe(ANSWERS, code, folder)
            digests.add(answers[0])
            print(
                f"{label}, {pass_}: answers {answers[0][:16]}: 22,000 lookups {float(answers[1]):.2f} s, "
                f"{int(answers[2]):,} routes of 200 origins x 3 families {float(answers[3]):.2f} s, "
                f"the first {int(answers[4]):,} routes scanned {float(answers[5]):.2f} s"
            )
    assert len(digests) == 1, "the two formats answered differently"
    print("same answers: yes")


if __name__ == "__main__":
    main()
