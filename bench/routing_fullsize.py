"""A generated full-size table (default 900k IPv4 + 100k IPv6 prefixes x 30 vantage points) built into a snapshot.

Run: .venv/bin/python bench/routing_fullsize.py [--v4 900000] [--v6 100000] [--vantages 30] [--keep]
Routes are fed to the snapshot builder as RouteEvents (`importer.import_events`), not through MRT files, so
this measures the builder and the on-disk format; MRT decoding speed is bench/routing_mrt_import.py's job.
Paths look like a real table: peer AS, one of 15 tier-1s, one of 3,000 upstreams, one of 70,000 origins
(about 2.1M distinct paths); every 25th prefix belongs to one of 5 large origins (~8k prefixes each, as the
largest real origins), the rest spread evenly (~13 each). Generated RIR delegated-stats lines register every AS
(a large DE set, a 300-AS KZ set, US, RU and others) so country answers on the snapshot are meaningful. Baselines in the same run: merely generating the events (import / generation
ratio) and pyasn loading the snapshot's own IPASN file (snapshot load / pyasn load ratio).
Everything is written under /tmp and removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.routing.importer import import_events
from bot.routing.mrt import RouteEvent
from bot.routing.registry import parse_delegated

ORIGINS = 70_000
LARGE_ORIGINS = 5  # AS1000..AS1004 take every 25th prefix
TIMESTAMP = 1_700_000_000
PUBLIC_SHIFT = 76_000  # origins from 64000 up become 140000+: 64496-131071 are private or reserved ASNs
# Registration blocks (first ASN, count, RIR, country) covering tier-1s, upstreams, origins and peers.
REGISTRY_BLOCKS = [
    (100, 15, "arin", "US"),
    (1000, 9000, "ripencc", "DE"),  # includes the large origins
    (10000, 1500, "ripencc", "RU"),  # half the upstreams
    (11500, 1500, "ripencc", "NL"),  # the other half
    (13000, 17000, "arin", "US"),
    (30000, 10000, "ripencc", "RU"),
    (40000, 10000, "lacnic", "BR"),
    (50000, 10000, "apnic", "CN"),
    (60000, 300, "ripencc", "KZ"),
    (60300, 3700, "ripencc", "GB"),
    (64000 + PUBLIC_SHIFT, 7000, "ripencc", "GB"),  # origins moved out of the private/reserved ASNs
    (200000, 15, "ripencc", "NL"),  # peers
    (200015, 15, "arin", "US"),
]


def delegated_lines() -> list[str]:
    """A delegated-stats file's lines for REGISTRY_BLOCKS, as an RIR publishes them."""
    return [f"2|nro|20231114|{len(REGISTRY_BLOCKS)}|19700101|20231114|+0000"] + [
        f"{rir}|{cc}|asn|{first}|{count}|20100101|allocated" for first, count, rir, cc in REGISTRY_BLOCKS
    ]


def prefixes(v4: int, v6: int) -> list[str]:
    """Distinct /24s from 1.0.0.0 (every tenth a /22 aggregate) and /48s under 2a00::/12."""
    out = []
    for i in range(v4):
        net = (1 << 24) + i * 256
        length = 22 if i % 10 == 0 else 24
        out.append(
            f"{net >> 24}.{(net >> 16) & 255}.{(net >> 8) & 255}.{net & 255}/{length}"
            if length == 24
            else f"{net >> 24}.{(net >> 16) & 255}.{(net >> 8) & 252}.0/22"
        )
    out.extend(f"2a00:{i >> 16:x}:{i & 0xFFFF:x}::/48" for i in range(v6))
    return out


def events(prefix_list: list[str], vantages: int) -> Iterator[RouteEvent]:
    """A TABLE_DUMP_V2-like order: each prefix, then every vantage's route to it."""
    peers = [(f"192.0.2.{v + 1}", 200_000 + v) for v in range(vantages)]
    for i, prefix in enumerate(prefix_list):
        origin = 1000 + (i // 25) % LARGE_ORIGINS if i % 25 == 0 else 1000 + i % ORIGINS
        origin += PUBLIC_SHIFT if origin >= 64000 else 0
        upstream = 10_000 + (origin * 7919) % 3000
        for v, (peer_ip, peer_asn) in enumerate(peers):
            tier1 = 100 + (origin + v) % 15
            yield RouteEvent(
                "B", TIMESTAMP, peer_ip, peer_asn, prefix, (peer_asn, tier1, upstream, origin), None
            )


LOAD_PROBE = """
import json, sys, time
def hwm():
    # VmHWM is per process image (ru_maxrss would include the parent's peak, inherited over fork+exec)
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
    return int(line.split()[1]) / 1024
sys.path.insert(0, sys.argv[1])
import pyasn
from bot.routing.snapshot import load_current
from pathlib import Path
t = time.perf_counter(); pyasn.pyasn(sys.argv[3]); pyasn_load = time.perf_counter() - t
t = time.perf_counter(); s = load_current(Path(sys.argv[2])); load = time.perf_counter() - t
t = time.perf_counter(); routes = s.routes_of_origin(1234); origin_query = time.perf_counter() - t
t = time.perf_counter()
for i in range(1000):
    s.lookup_ip(f"{1 + i % 13}.{i % 256}.{(i * 7) % 256}.1")
ip_lookup = (time.perf_counter() - t) / 1000
print(json.dumps({"pyasn_load": pyasn_load, "load": load, "origin_routes": len(routes),
                  "origin_query": origin_query, "ip_lookup": ip_lookup,
                  "peak_rss_mb": hwm()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--v4", type=int, default=900_000)
    parser.add_argument("--v6", type=int, default=100_000)
    parser.add_argument("--vantages", type=int, default=30)
    parser.add_argument("--data", type=Path, default=Path("/tmp/silkroute-bench-fullsize"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(args.data, ignore_errors=True)
    prefix_list = prefixes(args.v4, args.v6)
    total = len(prefix_list) * args.vantages

    started = time.perf_counter()
    generated = sum(1 for _ in events(prefix_list, args.vantages))
    generation = time.perf_counter() - started
    assert generated == total

    started = time.perf_counter()
    report = import_events(
        [("bench", events(prefix_list, args.vantages))],
        args.data,
        registry=parse_delegated(delegated_lines()),
    )
    elapsed = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # our own peak: we were not forked
    size = sum(p.stat().st_size for p in report.folder.iterdir()) / 1e6

    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_PROBE,
            str(Path(__file__).resolve().parents[1]),
            str(args.data),
            str(report.folder / "ipasn.dat"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(probe.stdout)
    p = report.provenance
    print(
        f"table: {p.prefixes_v4:,} IPv4 + {p.prefixes_v6:,} IPv6 prefixes x {args.vantages} vantages = "
        f"{p.routes:,} routes, {p.unique_paths:,} distinct paths"
    )
    print(f"baseline, generating the events only: {generation:.1f} s ({total / generation:,.0f} events/s)")
    print(
        f"import (generation + build + write): {elapsed:.1f} s = {total / elapsed:,.0f} routes/s; "
        f"ratio to generation alone {elapsed / generation:.2f}x; builder share {elapsed - generation:.1f} s"
    )
    print(f"peak RSS of the importing process: {peak_rss:,.0f} MB; snapshot on disk: {size:,.0f} MB")
    print(
        f"load in a fresh process: {loaded['load']:.2f} s vs pyasn alone loading the same IPASN "
        f"{loaded['pyasn_load']:.2f} s (ratio {loaded['load'] / loaded['pyasn_load']:.2f}x); "
        f"peak RSS after load {loaded['peak_rss_mb']:,.0f} MB"
    )
    print(
        f"routes_of_origin(AS1234): {loaded['origin_routes']} routes in {loaded['origin_query'] * 1e3:.1f} ms; "
        f"lookup_ip: {loaded['ip_lookup'] * 1e6:.0f} us"
    )
    if not args.keep:
        shutil.rmtree(args.data, ignore_errors=True)


if __name__ == "__main__":
    main()
