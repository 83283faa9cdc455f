"""`/country` end to end on the hand-worked route set: options, bad input, missing data, help and registration."""

from __future__ import annotations

import pytest

from bot.app.answer import Answer
from bot.app.catalog import build_registry
from bot.app.commands import Caller, Context
from bot.app.features.country.command import COUNTRY, complete_country, country
from bot.core.errors import DataUnavailable, InvalidInput
from bot.routing.ixps import Ixp
from tests.bot.routing.profile_fake import RU1, FakeProfileData, worked_example
from tests.helpers import make_services


async def ask(data: FakeProfileData | None, target: str, **options: str | int) -> Answer:
    ctx = Context(services=make_services(snapshot=data), caller=Caller("tester", can_manage=False))
    return await country(ctx, target, **options)  # type: ignore[arg-type]


async def test_default_answer_compares_neighbours_and_checks_ru_and_cn() -> None:
    answer = await ask(worked_example(), "kazakhstan")

    assert answer.data["country"] == "KZ"
    assert [row["country"] for row in answer.data["comparison"]] == ["KZ", "UZ", "KG", "TJ", "TM"]
    assert answer.data["size"]["routed_ipv4_addresses"] == 114_688
    assert answer.data["origination"]["hhi"] == pytest.approx(3 / 7, abs=1e-6)
    assert answer.data["international_transit"]["hhi"] == pytest.approx(90 / 196, abs=1e-6)
    assert [(d["without"], d["ipv4_addresses"]) for d in answer.data["no_path_avoiding"]] == [
        ("RU", 32_768),
        ("CN", 0),
    ]
    assert answer.data["single_points_of_failure"][0]["asn"] == RU1
    assert answer.data["exchanges"] == []
    assert "No PeeringDB data" in next(s.text for s in answer.sections if s.title == "Exchanges")
    assert answer.attachments[0].filename == "country.png"


async def test_without_an_as_and_an_extra_comparison_country() -> None:
    data = worked_example()
    data.exchanges = [
        Ixp("KAZ-IX", "KZ", "Karaganda", prefixes=("195.2.230.0/24",), members=21, peeringdb_id=334)
    ]

    answer = await ask(data, "KZ", without="AS12389", compare="az, GE")

    assert answer.data["no_path_avoiding"] == [
        {"without": "AS12389", "share": pytest.approx(2 / 7, abs=1e-6), "ipv4_addresses": 32_768, "origins": 1,
         "total_ipv4_addresses": 114_688}
    ]  # fmt: skip
    assert [row["country"] for row in answer.data["comparison"]][-2:] == ["AZ", "GE"]
    assert answer.data["exchanges"][0]["members"] == 21
    assert any(s.name == "PeeringDB exchanges" for s in answer.sources)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"target": "Kazakstann"}, "'Kazakstann' is not a country I know. Did you mean"),
        ({"target": "KZ", "without": "KZ"}, "KZ is the country asked about"),
        ({"target": "KZ", "without": "AS0"}, "without: AS0 is not a public network's AS number"),
        ({"target": "KZ", "compare": "KZ,Atlantis"}, "compare: 'Atlantis' is not a country I know"),
        ({"target": "AQ"}, "Neither the registry data nor the routes"),
    ],
)
async def test_bad_input_says_what_is_wrong_with_a_working_example(
    options: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await ask(worked_example(), **options)

    assert message in caught.value.message
    assert caught.value.example is not None and caught.value.example.startswith("/country target:KZ")


async def test_no_snapshot_is_unavailable_not_a_traceback() -> None:
    with pytest.raises(DataUnavailable, match="snapshot"):
        await ask(None, "KZ")


async def test_registered_with_help_definitions_and_country_autocomplete() -> None:
    registry = build_registry()
    assert registry.get("country") is COUNTRY
    for term in ("HHI", "Customer cone", "first AS registered elsewhere", "best path", "PeeringDB"):
        assert term in (COUNTRY.help or "")
    assert any("Kazakhstan" in label for label in await complete_country(make_services(), "kaz"))
