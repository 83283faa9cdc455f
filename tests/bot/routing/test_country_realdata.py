"""`/country` on the shared real data, each figure checked against independent code written here: the delegated
file counted line by line, and every route of the snapshot walked with plain loops (nothing shared with
`bot.routing.country_profile` or `bot.routing.transit`)."""

from __future__ import annotations

import gzip
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app.commands import Caller, Context
from bot.app.features.country.command import country
from bot.frontends.discord.embeds import (
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_LIMIT,
    FIELDS_PER_EMBED,
    TITLE_LIMIT,
    render_messages,
)
from bot.routing.country_profile import ProfileIndex
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current
from tests.helpers import make_services

DELEGATED = "registry/delegated-derived.20260201.txt.gz"
NAMES = "asnames/asnames-libloc.20221029.json.gz"
IXPS = "ixp/ixps-peering-lans.202410.jsonl"


def delegated_lines(shared: Path, cc: str) -> Iterator[list[str]]:
    with gzip.open(shared / DELEGATED, "rt", encoding="utf-8") as text:
        for line in text:
            fields = line.strip().split("|")
            if len(fields) >= 7 and fields[1] == cc and fields[6] in ("allocated", "assigned"):
                yield fields


def naive_registered(shared: Path, cc: str) -> tuple[set[int], int]:
    asns: set[int] = set()
    v4: list[tuple[int, int]] = []
    for fields in delegated_lines(shared, cc):
        if fields[2] == "asn":
            asns.update(range(int(fields[3]), int(fields[3]) + int(fields[4])))
        elif fields[2] == "ipv4":
            start = int(ipaddress.IPv4Address(fields[3]))
            v4.append((start, start + int(fields[4])))
    covered = reach = 0
    for start, end in sorted(v4):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return asns, covered


def ipv4_addresses(prefixes: set[str]) -> int:
    nets = [ipaddress.IPv4Network(p) for p in prefixes]
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(nets))


@pytest.fixture(scope="module")
def snapshot(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The shared real snapshot's inputs plus the real IXP list."""
    data_dir = tmp_path_factory.mktemp("country-real")
    import_files(
        [
            shared_data / "mrt/routeviews2-rib.20140523.0600.first1MiB.bz2",
            shared_data / "mrt/ris-rrc00-updates.20190101.0000.gz",
            shared_data / DELEGATED,
            shared_data / NAMES,
            shared_data / IXPS,
        ],
        data_dir,
    )
    loaded = load_current(data_dir)
    assert loaded is not None
    return loaded


def test_size_equals_a_direct_count_of_the_delegated_file_and_the_routes(
    shared_data: Path, snapshot: Snapshot
) -> None:
    asns, registered_v4 = naive_registered(shared_data, "KZ")
    origins: set[int] = set()
    v4: set[str] = set()
    v6: set[str] = set()
    for route in snapshot.routes():
        origin = route.path[-1] if route.path else None
        if isinstance(origin, int) and origin in asns:
            origins.add(origin)
            (v6 if ":" in route.prefix else v4).add(route.prefix)

    size = ProfileIndex(snapshot).size("KZ")

    assert size.registered_asns == len(asns) > 100
    assert size.registered_ipv4 == registered_v4 > 3_000_000
    assert size.routed_asns == len(origins) > 20
    assert (size.prefixes_v4, size.prefixes_v6) == (len(v4), len(v6))
    assert size.routed_ipv4 == ipv4_addresses(v4)


def test_kazakh_exchanges_come_from_the_shared_peeringdb_list(shared_data: Path, snapshot: Snapshot) -> None:
    expected = set()
    for line in (shared_data / IXPS).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#") and json.loads(line).get("country") == "KZ":
            expected.add(json.loads(line)["name"])
    kz = {ixp.name: ixp for ixp in snapshot.ixps() if ixp.country == "KZ"}

    assert set(kz) == expected
    assert {"KAZ-IX", "Kazakhstan Internet Exchange"} <= set(kz)
    assert "KAZ-GOV-IX" in kz["Kazakhstan Internet Exchange"].aka
    assert kz["Kazakhstan Internet Exchange"].prefixes == ("195.12.116.0/23",)
    assert kz["KAZ-IX"].city == "Karaganda"


def naive_without_alternative(data: Snapshot, home: str, avoid: str) -> tuple[int, int]:
    """Per origin registered in `home`: does any clean IPv4 path avoid `avoid`? Addresses lacking one, total."""
    avoided: dict[int, bool] = {}
    prefixes: dict[int, set[str]] = {}
    for route in data.routes():
        if ":" in route.prefix or any(isinstance(hop, frozenset) for hop in route.path):
            continue
        path: list[Any] = []
        for hop in route.path:
            if not path or path[-1] != hop:
                path.append(hop)
        if not path or len(set(path)) != len(path) or data.country_of_asn(path[-1]) != home:
            continue
        origin = path[-1]
        prefixes.setdefault(origin, set()).add(route.prefix)
        clean = all(data.country_of_asn(asn) != avoid for asn in path[:-1])
        avoided[origin] = avoided.get(origin, False) or clean
    lacking = sum(ipv4_addresses(prefixes[o]) for o, ok in avoided.items() if not ok)
    return lacking, sum(ipv4_addresses(p) for p in prefixes.values())


@pytest.fixture(
    scope="module",
    params=["mrt/routeviews2-rib.20140523.0600.first1MiB.bz2", "mrt/ris-rrc00-updates.20190101.0000.gz"],
)
def one_collector(
    request: pytest.FixtureRequest, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Snapshot:
    """The 2014 RouteViews RIB alone, then the 2019 RIS updates alone, with the real registry."""
    data_dir = tmp_path_factory.mktemp("one-collector")
    import_files([shared_data / request.param, shared_data / DELEGATED], data_dir)
    loaded = load_current(data_dir)
    assert loaded is not None
    return loaded


@pytest.mark.parametrize("avoid", ["RU", "CN"])
def test_no_path_avoiding_agrees_with_a_naive_implementation(one_collector: Snapshot, avoid: str) -> None:
    lacking, total = naive_without_alternative(one_collector, "KZ", avoid)
    index = ProfileIndex(one_collector)

    result = index.avoiding_country(index.profile("KZ"), avoid)

    assert (result.space_without_alternative, result.total_space) == (lacking, total)
    assert total > 0
    if avoid == "RU":
        assert result.share > 0  # the agreement is not the trivial 0 == 0


async def test_the_answer_fits_discord_and_keeps_stable_json_keys(snapshot: Snapshot) -> None:
    ctx = Context(services=make_services(snapshot=snapshot), caller=Caller("tester", can_manage=False))

    answer = await country(ctx, "Kazakhstan", compare="AZ", rows=25)

    for message in render_messages(answer):
        assert 1 <= len(message.embeds) <= EMBEDS_PER_MESSAGE
        for embed in message.embeds:
            assert len(embed.fields) <= FIELDS_PER_EMBED
            assert len(embed) <= EMBED_TOTAL_LIMIT
            assert all(
                len(f.value or "") <= FIELD_LIMIT and len(f.name or "") <= TITLE_LIMIT for f in embed.fields
            )
    assert set(answer.data) == {
        "target", "country", "country_name", "size", "comparison", "origination", "customer_cone",
        "international_transit", "exchanges", "no_path_avoiding", "single_points_of_failure", "vantage_points",
        "collectors", "observed_paths_only", "countries_are",
    }  # fmt: skip
    assert [row["country"] for row in answer.data["comparison"]] == ["KZ", "UZ", "KG", "TJ", "TM", "AZ"]
    assert [d["without"] for d in answer.data["no_path_avoiding"]] == ["RU", "CN"]
    assert {"KAZ-IX", "Kazakhstan Internet Exchange"} <= {x["name"] for x in answer.data["exchanges"]}
    assert answer.attachments[0].content.startswith(b"\x89PNG")
    assert any(s.name == "PeeringDB exchanges" and s.date is not None for s in answer.sources)
