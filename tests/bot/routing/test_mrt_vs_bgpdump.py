"""Every real MRT file read by us and by Debian's `bgpdump -m` in the same run, compared route by route.

The stored golden outputs cover only RIPE's own bgpdump-* inputs; this oracle reaches the real collector
files too (e.g. rrc15's AS4_PATH as long as its AS_PATH, where a wrong merge boundary changes paths).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.mrt_generator import generate
from bot.routing.mrt import MrtReader, RouteEvent
from tests.bot.routing.test_mrt import bgpdump_routes, ours, read
from tests.conftest import SHARED_DATA

# Collected from the folder so a newly added file is compared without editing this list; without the
# folder one placeholder lets the shared_data fixture skip (or fail under CI) with its usual reason.
MRT_FILES = sorted(p.name for p in (SHARED_DATA / "mrt").glob("*.*")) or ["shared-data-missing"]

# Debian's bgpdump 1.6.2 prints an NLRI with trailing mask bits as sent (11.13.0.0/13); upstream and we
# clear the host bits (11.8.0.0/13). The only such prefixes in the real files, so the fix stays narrow.
HOST_BITS_PRINTED = {"bgpdump-updates.nlri_mask_trailing_bits.gz": 1}


@pytest.fixture(scope="module")
def bgpdump() -> str:
    found = shutil.which("bgpdump")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but `bgpdump` is missing (.ci/run installs Debian's bgpdump package)")
        pytest.skip("`bgpdump` not installed (apt-get install bgpdump) - the C reference parser")
    return found


def normalised(lines: list[str]) -> tuple[list[str], int]:
    """Prefixes re-rendered the way we print them: RFC 5952 text (bgpdump writes `2001:668::3:ffff:0:...`
    where a lone zero group stays `:0:`) and host bits cleared; returns how many had host bits set."""
    host_bits = 0
    out = []
    for line in lines:
        f = line.split("|")
        if len(f) > 5 and f[2] in ("A", "B", "W"):
            network = ipaddress.ip_network(f[5], strict=False)
            host_bits += network.network_address != ipaddress.ip_address(f[5].partition("/")[0])
            f[5] = str(network)
        out.append("|".join(f))
    return out, host_bits


def same_as_bgpdump(
    bgpdump: str, path: Path, tmp_path: Path, host_bits: int = 0
) -> tuple[list[RouteEvent], MrtReader]:
    """Read `path` while bgpdump prints it; assert the same routes; our events and reader."""
    out = tmp_path / "bgpdump-m.txt"
    with out.open("w") as sink:
        proc = subprocess.Popen([bgpdump, "-m", str(path)], stdout=sink, stderr=subprocess.DEVNULL)
        events, reader = read(path, include_multicast=True)
        assert proc.wait(timeout=120) == 0
    lines, printed_host_bits = normalised(out.read_text().splitlines())
    assert printed_host_bits == host_bits
    assert ours(events) == bgpdump_routes(lines)
    return events, reader


def test_generated_files_equal_debian_bgpdump(bgpdump: str, tmp_path: Path) -> None:
    """The benchmark generator writes real MRT: bgpdump reads its RIB and BGP4MP_ET updates as we do."""
    rib, updates = generate(tmp_path / "gen", routes=30_000, vantages=6, updates_peers=2)
    events, _ = same_as_bgpdump(bgpdump, rib, tmp_path)
    paths = [e.as_path for e in events]
    assert len(events) == 30_000 and {e.kind for e in events} == {"B"}
    assert any(any(isinstance(hop, frozenset) for hop in p) for p in paths)  # aggregates
    assert any(len(set(p)) < len(p) for p in paths)  # prepending
    assert any(any(isinstance(h, int) and h > 65535 for h in p) for p in paths)  # 4-byte ASNs
    assert any(":" in e.prefix for e in events) and any(e.prefix.endswith("/24") for e in events)
    events, _ = same_as_bgpdump(bgpdump, updates, tmp_path)
    assert {e.kind for e in events} == {"A", "W"} and len([e for e in events if e.kind == "A"]) == 2 * 5000


@pytest.mark.parametrize("name", MRT_FILES)
def test_routes_equal_debian_bgpdump(shared_data: Path, bgpdump: str, tmp_path: Path, name: str) -> None:
    """Multiset equality of (kind, time, peer, peer AS, prefix, AS path), multicast included as bgpdump
    prints it (the golden test checks the unicast default). bgpdump runs while we parse: 2 cores, one run."""
    events, reader = same_as_bgpdump(
        bgpdump, shared_data / "mrt" / name, tmp_path, HOST_BITS_PRINTED.get(name, 0)
    )
    report = reader.report
    assert report.skipped_corrupt == 0, report.errors
    assert report.records > 0 and report.first_timestamp is not None
    if name.startswith("ris-bview.20140112"):
        # three RIB records cut out of a bview without its PEER_INDEX_TABLE: no peer to attach them to
        assert report.skipped_no_peer_index == 3 and not events
    else:
        assert events
