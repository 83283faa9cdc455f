"""Memory ceiling of a whole import, measured in its own process on a generated full-table-shaped RIB.

1 M routes (200 k prefixes x 5 vantages, ~280 k distinct paths) peak at about 250 MB on the 2-core dev
machine, most of it while reading: the interpreter and numpy (~40 MB), the MRT reader's bounded caches of
decoded attributes and the route buffers spilled every 1 M routes (`route_build.SPILL_ROUTES`). The ceiling
leaves 30 % for other machines and Python builds; holding every route as a Python object (>= 100 bytes
each) or the whole table in a sort would add 100 MB or more and fail it. Past the caches, the peak grows with
distinct paths and prefixes (~50 and ~40 bytes each in `bot.routing.interning`'s tables), not with routes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.mrt_generator import generate

CEILING = 320 * 2**20
IMPORT = """
import json, sys
from pathlib import Path
from bot.routing.importer import import_files
report = import_files([Path(sys.argv[1])], Path(sys.argv[2]))
print(json.dumps(report.provenance.to_json()))
"""


def test_import_peak_memory_stays_under_the_ceiling(tmp_path: Path) -> None:
    (rib,) = generate(tmp_path / "mrt", routes=1_000_000, vantages=5)
    done = subprocess.run(
        [sys.executable, "-c", IMPORT, str(rib), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[3],
    )
    provenance = json.loads(done.stdout)
    assert (
        provenance["routes"] == 1_000_000 and provenance["prefixes_v4"] + provenance["prefixes_v6"] == 200_000
    )
    assert 200_000 < provenance["unique_paths"] < 400_000
    peak = provenance["import_peak_rss"]
    assert 50 * 2**20 < peak < CEILING, f"peak RSS {peak / 2**20:.0f} MiB"
