"""The transit definitions on hand-built route sets; every expected number is worked out in the comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import DataUnavailable
from bot.routing.importer import import_files
from bot.routing.snapshot_store import SnapshotStore
from bot.routing.transit import (
    TransitIndex,
    TransitIndexes,
    address_space,
    clean_path,
    prefix_weight,
    trimmed_mean,
)
from tests.bot.routing.snapshot_fixtures import all_files
from tests.bot.routing.transit_fake import FakeData

# Registration: 100-103, 200 KZ; 300 RU; 400 CN; 500, 501 and the peers 1000+ US; 600 has none.
REGISTRY = {100: "KZ", 101: "KZ", 102: "KZ", 103: "KZ", 200: "KZ", 300: "RU", 400: "CN", 500: "US", 501: "US"}


def data_with_registry() -> FakeData:
    registry = dict(REGISTRY)
    registry.update({1000 + v: "US" for v in range(30)})
    return FakeData(registry=registry, names={300: "RU-TRANSIT", 9198: "KAZTELECOM"})


def test_clean_path_collapses_prepending_and_names_drops() -> None:
    assert clean_path((500, 300, 300, 200, 100, 100)) == (500, 300, 200, 100)
    assert clean_path((500, frozenset({300, 400}), 100)) == "as_set"
    assert clean_path((500, 200, 300, 200, 100)) == "loop"
    assert clean_path(()) == "empty"


def test_weights_and_address_space() -> None:
    assert prefix_weight("10.0.0.0/24") == 256
    assert prefix_weight("10.0.0.0/8") == 2**24
    assert prefix_weight("2001:db8::/32") == 1
    # A /16 and a /24 inside it cover 65,536 addresses, not 65,792; IPv6 counts distinct prefixes.
    assert address_space(["10.0.0.0/16", "10.0.1.0/24", "10.0.1.0/24"], 4) == 65536
    assert address_space(["2001:db8::/32", "2001:db8::/48", "2001:db8::/32"], 6) == 2


def test_trimmed_mean_pads_missing_vantages_with_zero() -> None:
    # n=10 drops one from each end: [0,0,0,1 x7] -> [0,0,1 x6] -> 6/8.
    assert trimmed_mean([1.0] * 7, 10) == pytest.approx(0.75)
    # n=9 drops nothing (int(0.9) = 0).
    assert trimmed_mean([1.0] * 3, 9) == pytest.approx(3 / 9)
    # n=30 drops three from each end.
    assert trimmed_mean([1.0] * 2, 30) == 0.0


def test_one_vantage_prepending_as_set_and_loop() -> None:
    data = data_with_registry()
    v = data.vantage(500)
    data.add(v, "10.0.0.0/24", 500, 300, 300, 200, 100, 100)  # -> 500 300 200 100, weight 256
    data.add(v, "10.0.1.0/24", 500, 400, 200, 100)  # weight 256
    data.add(v, "10.0.2.0/23", 500, frozenset({300, 400}), 200, 100)  # AS_SET: dropped
    data.add(v, "10.0.4.0/22", 500, 200, 300, 200, 100)  # loop: dropped
    data.add(v, "10.0.8.0/25", 500, 300, 200, 100)  # weight 128
    result = TransitIndex(data).origin(100, 4)
    # Valid weight 640: via RU 256 + 128 = 384 (0.6), via CN 256 (0.4); 500 and 200 are on every path.
    assert dict(result.transit) == pytest.approx({500: 1.0, 200: 1.0, 300: 0.6, 400: 0.4})
    assert dict(result.countries) == pytest.approx({"US": 1.0, "KZ": 1.0, "RU": 0.6, "CN": 0.4})
    # Walking from 100: 200 is KZ like the origin, so the exit is the next AS: RU or CN.
    assert dict(result.exit_countries) == pytest.approx({"RU": 0.6, "CN": 0.4})
    assert [cc for cc, _ in result.exit_countries] == ["RU", "CN"]
    assert (result.routes, result.dropped_as_set, result.dropped_loop) == (3, 1, 1)
    assert (result.prefixes, result.address_space, result.vantage_points) == (3, 640, 1)


def ten_vantage_origin(data: FakeData, origin: int, prefix: str) -> None:
    """Vantages 0-6 reach the origin via RU 300, 7-8 via CN 400, 9 via KZ 200 and then its own US peer."""
    for v in range(10):
        vantage = data.vantage(1000 + v)
        middle = 300 if v < 7 else 400 if v < 9 else 200
        data.add(vantage, prefix, 1000 + v, middle, origin)


def test_trimming_with_ten_vantage_points() -> None:
    data = data_with_registry()
    ten_vantage_origin(data, 100, "10.0.0.0/24")
    result = TransitIndex(data).origin(100, 4)
    # RU: seven 1s and three 0s; drop one of each end -> 6/8. CN: two 1s -> one 1 left of 8 -> 1/8.
    # US (vantage 9's exit): one 1 -> trimmed away. Untrimmed means would be 0.7 / 0.2 / 0.1.
    assert dict(result.exit_countries) == pytest.approx({"RU": 0.75, "CN": 0.125})
    # Each peer AS is on one vantage's paths only (value 1 at one vantage) and is trimmed to 0; so is 200.
    assert dict(result.transit) == pytest.approx({300: 0.75, 400: 0.125})
    # Every path holds a US peer; KZ (200) only at vantage 9 -> trimmed away.
    assert dict(result.countries) == pytest.approx({"US": 1.0, "RU": 0.75, "CN": 0.125})
    assert (result.vantage_points, result.leaving_vantage_points) == (10, 10)


def test_trimming_with_thirty_vantage_points() -> None:
    data = data_with_registry()
    for v in range(30):
        vantage = data.vantage(1000 + v)
        if v < 20:  # all via RU
            data.add(vantage, "10.0.0.0/24", 1000 + v, 300, 100)
            data.add(vantage, "10.0.1.0/24", 1000 + v, 300, 100)
        elif v < 25:  # half the weight via RU, half via CN
            data.add(vantage, "10.0.0.0/24", 1000 + v, 300, 100)
            data.add(vantage, "10.0.1.0/24", 1000 + v, 400, 100)
        elif v < 28:  # all via CN
            data.add(vantage, "10.0.0.0/24", 1000 + v, 400, 100)
        else:  # straight from the US peer
            data.add(vantage, "10.0.0.0/24", 1000 + v, 100)
    result = TransitIndex(data).origin(100, 4)
    # n=30, drop 3 each end.
    # RU sorted: 0 x5, 0.5 x5, 1 x20 -> keep 0 x2, 0.5 x5, 1 x17 = 19.5 / 24.
    # CN sorted: 0 x22, 0.5 x5, 1 x3 -> keep 0 x19, 0.5 x5 = 2.5 / 24.
    # US: 1 x2 (vantages 28, 29) -> both among the top three dropped -> 0.
    assert dict(result.exit_countries) == pytest.approx({"RU": 19.5 / 24, "CN": 2.5 / 24})
    assert dict(result.transit) == pytest.approx({300: 19.5 / 24, 400: 2.5 / 24})
    assert result.vantage_points == 30


def test_ipv6_routes_weigh_one_each_and_families_stay_apart() -> None:
    data = data_with_registry()
    v = data.vantage(500)
    data.add(v, "2001:db8::/32", 500, 300, 100)
    data.add(v, "2001:db8:1::/48", 500, 400, 100)
    data.add(v, "2001:db8:2::/48", 500, 400, 100)
    data.add(v, "10.0.0.0/24", 500, 300, 100)
    index = TransitIndex(data)
    v6 = index.origin(100, 6)
    # Weight 1 each: RU 1 of 3, CN 2 of 3 (by address count the /32 would outweigh both /48s 65536 times).
    assert dict(v6.exit_countries) == pytest.approx({"RU": 1 / 3, "CN": 2 / 3})
    assert (v6.routes, v6.address_space) == (3, 3)
    v4 = index.origin(100, 4)
    assert dict(v4.exit_countries) == pytest.approx({"RU": 1.0})


def test_origin_with_no_foreign_exit() -> None:
    data = data_with_registry()
    v = data.vantage(200)  # a Kazakh peer: every path stays in KZ
    data.add(v, "10.0.0.0/24", 200, 100)
    data.add(v, "10.0.1.0/24", 200, 101, 100)
    result = TransitIndex(data).origin(100, 4)
    assert result.exit_countries == ()
    assert result.leaving_vantage_points == 0
    assert dict(result.transit) == pytest.approx({200: 1.0, 101: 0.5})
    assert dict(result.countries) == pytest.approx({"KZ": 1.0})


def test_unregistered_as_is_skipped_for_the_exit_but_reported() -> None:
    data = data_with_registry()
    v = data.vantage(500)
    data.add(v, "10.0.0.0/24", 500, 300, 600, 100)  # 600 has no country: the exit is RU behind it
    data.add(v, "10.0.1.0/24", 500, 400, 100)
    result = TransitIndex(data).origin(100, 4)
    assert dict(result.exit_countries) == pytest.approx({"RU": 0.5, "CN": 0.5})
    assert dict(result.countries) == pytest.approx({"US": 1.0, "RU": 0.5, "ZZ": 0.5, "CN": 0.5})
    assert result.unregistered_before_exit == pytest.approx(0.5)
    # An unregistered origin has no home country, so nothing can leave it.
    data.add(v, "10.9.0.0/24", 500, 300, 600)
    assert TransitIndex(data).origin(600, 4).exit_countries == ()


def test_country_scope_weights_origins_by_address_space() -> None:
    data = data_with_registry()
    # Origin 100: one vantage, 10.0.0.0/24 (256 addresses) via US 500 then RU 300 -> exit RU 1.
    v = data.vantage(500)
    data.add(v, "10.0.0.0/24", 500, 300, 100)
    # Origin 101: ten vantages, 10.1.0.0/23 (512) -> exits RU 0.75, CN 0.125, normalised 6/7 and 1/7.
    ten_vantage_origin(data, 101, "10.1.0.0/23")
    # Origin 103: 10.3.0.0/24 (256) seen only from a KZ peer: no exit, but counts for presence and transit.
    data.add(data.vantage(200), "10.3.0.0/24", 200, 103)
    index = TransitIndex(data)
    result = index.country("KZ", 4)
    # Exits over origins 100 and 101 (weights 256, 512): RU = 1/3 * 1 + 2/3 * 6/7 = 19/21, CN = 2/3 * 1/7.
    assert dict(result.exit_countries) == pytest.approx({"RU": 19 / 21, "CN": 2 / 21})
    # Transit over all three (1024): 300 = (256*1 + 512*0.75)/1024; 500 = 256/1024; 400 = 512*0.125/1024.
    # 200 is registered in KZ, so it is not foreign and not listed.
    assert dict(result.transit) == pytest.approx({300: 0.625, 500: 0.25, 400: 0.0625})
    # Presence: US on 100's and 101's paths (768/1024); RU 0.625; CN 0.0625; KZ (200) on 103's (256/1024).
    assert dict(result.countries) == pytest.approx({"US": 0.75, "RU": 0.625, "CN": 0.0625, "KZ": 0.25})
    assert (result.registered_ases, result.origin_ases, result.leaving_origin_ases) == (5, 3, 2)
    assert result.address_space == 1024
    assert len(result.vantage_ids) == 12
    # Repeated questions are served from the cache: same object, no recomputation.
    assert index.country("KZ", 4) is result
    assert index.cached_origin(101, 4) is index.origin(101, 4)


def test_indexes_follow_the_served_snapshot() -> None:
    indexes = TransitIndexes()
    first, second = data_with_registry(), data_with_registry()
    index = indexes.for_snapshot(first)
    assert indexes.for_snapshot(first) is index
    assert indexes.for_snapshot(second) is not index


async def test_the_snapshot_store_keeps_one_transit_index_per_served_snapshot(tmp_path: Path) -> None:
    """The index (and the results and charts it caches) lives and dies with the snapshot it describes."""
    for folder in ("first", "second"):
        (tmp_path / folder).mkdir()
    import_files(all_files(tmp_path / "first"), tmp_path / "data")
    store = SnapshotStore(tmp_path / "data")
    with pytest.raises(DataUnavailable, match="No routing snapshot"):
        store.transit_index()
    await store.start()
    index = store.transit_index()
    assert store.transit_index() is index and index.data is store.current
    import_files(all_files(tmp_path / "second"), tmp_path / "data")
    await store.reload()
    assert store.transit_index() is not index and store.transit_index().data is store.current
