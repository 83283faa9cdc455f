"""The snapshot built from real data: Kazakh answers and IP -> AS checked against pyasn's own MRT reader."""

from __future__ import annotations

import bz2
import gzip
import ipaddress
import json
import random
import struct
from pathlib import Path

import pyasn
import pyasn.mrtx
import pytest

from bot.routing.importer import import_files
from bot.routing.snapshot import FORMAT_VERSION, Route, Snapshot, SnapshotFormatError, load_current

RIB = "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2"


@pytest.fixture(scope="module")
def rib_only(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    data = tmp_path_factory.mktemp("rib-only")
    import_files([shared_data / RIB], data)
    snapshot = load_current(data)
    assert snapshot is not None
    return snapshot


@pytest.fixture(scope="module")
def pyasn_oracle(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> pyasn.pyasn:
    """pyasn's converter on the same RIB: the cut bz2 is decompressed to its last complete MRT record first,
    because pyasn's reader stops at the cut."""
    folder = tmp_path_factory.mktemp("oracle")
    raw = bz2.BZ2Decompressor().decompress((shared_data / RIB).read_bytes())
    pos = 0
    while pos + 12 <= len(raw) and pos + 12 + struct.unpack_from(">I", raw, pos + 8)[0] <= len(raw):
        pos += 12 + struct.unpack_from(">I", raw, pos + 8)[0]
    (folder / "rib.gz").write_bytes(gzip.compress(raw[:pos], 1))
    prefixes = pyasn.mrtx.parse_mrt_file(str(folder / "rib.gz"), skip_record_on_error=True)
    pyasn.mrtx.dump_prefixes_to_text_file(prefixes, str(folder / "ipasn.dat"), "rib")
    return pyasn.pyasn(str(folder / "ipasn.dat"))


def test_ip_to_as_agrees_with_pyasn(rib_only: Snapshot, pyasn_oracle: pyasn.pyasn) -> None:
    rng = random.Random(20140523)
    compared = 0
    for _ in range(6000):
        ip = f"{rng.randint(1, 5)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
        asn, prefix = pyasn_oracle.lookup(ip)
        ours = rib_only.lookup_ip(ip)
        if prefix is None:
            assert ours is None, ip
            continue
        assert ours is not None and ours.prefix == prefix, ip
        assert asn in [o.asn for o in ours.origins], ip
        compared += 1
    assert compared > 4000


def test_ip_match_counts_the_vantage_points_of_its_prefix(rib_only: Snapshot) -> None:
    match = rib_only.lookup_ip("2.72.0.1")
    assert match is not None and match.prefix == "2.72.0.0/18"
    seeing = {route.vantage for route in rib_only.routes(4) if route.prefix == match.prefix}
    assert match.vantage_points == len(seeing) >= 30


def test_truncated_rib_reported(rib_only: Snapshot) -> None:
    (record,) = rib_only.provenance.files
    assert record.truncated and record.events > 250_000 and record.collector == "routeviews2"
    assert rib_only.provenance.prefixes_v4 == 9072
    assert len(rib_only.vantages) == 35
    assert [s.name for s in rib_only.data_sources()] == ["BGP collector routeviews2"]


def test_kcell_routes_seen_from_many_vantages(rib_only: Snapshot) -> None:
    routes = rib_only.routes_of_origin(29355)
    assert {r.prefix for r in routes} >= {"2.72.0.0/18"}
    assert any(r.path[-4:] == (701, 3216, 9198, 29355) for r in routes)
    prefix_id = rib_only.prefix_id("2.72.0.0/18")
    assert prefix_id is not None
    assert rib_only.vantage_count(prefix_id) >= 30


def test_lookup_ip_agrees_with_pyasn_reading_the_snapshots_ipasn_file(real_snapshot: Snapshot) -> None:
    """The interval table answers IP lookups; pyasn, loading the `ipasn.dat` the same import wrote for
    researchers, must find the same prefix and most-seen origin for IPv4 and IPv6 alike."""
    bare = pyasn.pyasn(str(real_snapshot.folder / "ipasn.dat"))
    rng = random.Random(6)
    v6 = [r.prefix for r in real_snapshot.routes(6)]
    assert v6, "the real snapshot has IPv6 routes"
    ips = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(3000)]
    for prefix in rng.sample(v6, min(500, len(v6))):
        network = ipaddress.IPv6Network(prefix)
        inside = int(network.network_address) + rng.getrandbits(128 - network.prefixlen)
        ips += [
            str(ipaddress.IPv6Address(inside)),
            str(network.network_address),
            str(network.broadcast_address),
        ]
    ips += [str(ipaddress.IPv6Address(rng.getrandbits(128))) for _ in range(300)]
    hits = 0
    for ip in ips:
        asn, prefix = bare.lookup(ip)
        ours = real_snapshot.lookup_ip(ip)
        assert (ours.prefix if ours else None) == prefix, ip
        if ours is not None:
            assert ours.origins[0].asn == asn, ip
            hits += 1
    assert hits > 1500


def test_a_snapshot_of_another_format_asks_for_a_re_import(rib_only: Snapshot, tmp_path: Path) -> None:
    old = tmp_path / "20200101T000000-abcdef"
    old.mkdir()
    meta = json.loads((rib_only.folder / "meta.json").read_text(encoding="utf-8"))
    (old / "meta.json").write_text(json.dumps(meta | {"format": 1}), encoding="utf-8")
    with pytest.raises(SnapshotFormatError) as raised:
        Snapshot(old)
    assert f"written in format 1 and this version of silkroute reads format {FORMAT_VERSION}" in str(
        raised.value
    )
    assert "re-import the data (`silkroute data import FILE...` or `silkroute data update`)" in str(
        raised.value
    )


def test_an_origins_routes_are_its_row_ranges_in_route_order(real_snapshot: Snapshot) -> None:
    """The per-vantage row ranges give exactly the routes a full scan finds for the origin, in route order."""
    by_origin: dict[int, list[Route]] = {}
    for route in real_snapshot.routes():
        if route.path and isinstance(route.path[-1], int) and route.path[-1]:  # AS0 is no origin (RFC 7607)
            by_origin.setdefault(route.path[-1], []).append(route)
    assert len(by_origin) > 1000
    spread = sorted(by_origin, key=lambda asn: len({r.vantage for r in by_origin[asn]}))
    for asn in [*spread[:50], *spread[-50:], 9198, 29355]:
        assert list(real_snapshot.routes_of_origin(asn)) == by_origin.get(asn, []), asn
        assert list(real_snapshot.routes_of_origin(asn, 6)) == [
            r for r in by_origin.get(asn, []) if ":" in r.prefix
        ]
