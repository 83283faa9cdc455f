"""`/transit` end to end on a hand-built snapshot: targets, answer shape, chart, bad input, DNS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.app.answer import Answer
from bot.app.commands import Caller, Context
from bot.app.features.transit.command import TRANSIT, TRANSIT_COMMANDS, complete_country, transit
from bot.app.features.transit.query import EXAMPLE, parse_transit_target
from bot.app.targets import AsTarget, CountryTarget, DomainTarget, NetworkTarget
from bot.core.errors import DataUnavailable, InvalidInput
from bot.core.settings import Settings
from tests.bot.routing.transit_fake import FakeData
from tests.helpers import make_services
from tests.local_dns import SERVFAIL, serving_dns


def kz_data() -> FakeData:
    """AS9198 (KZ) seen by three US peers: two reach it via Rostelecom (RU), one via China Telecom (CN)."""
    data = FakeData(
        registry={
            9198: "KZ",
            29355: "KZ",
            12389: "RU",
            4134: "CN",
            701: "US",
            702: "US",
            703: "US",
            99: "AQ",
        },
        names={9198: "KAZTELECOM", 12389: "ROSTELECOM", 4134: "CHINANET"},
    )
    for peer, upstream in ((701, 12389), (702, 12389), (703, 4134)):
        v = data.vantage(peer)
        data.add(v, "95.56.0.0/16", peer, upstream, 9198, 9198)
        data.add(v, "2a00:12f8::/32", peer, upstream, 9198)
    return data


@dataclass
class Ask:
    data: FakeData | None = field(default_factory=kz_data)
    settings: Settings = field(default_factory=Settings)

    def ctx(self) -> Context:
        services = make_services(self.settings, snapshot=self.data)
        return Context(services=services, caller=Caller("tester", can_manage=False))

    async def __call__(self, target: str, **options: str | int) -> Answer:
        return await transit(self.ctx(), target, **options)  # type: ignore[arg-type]


async def test_as_answer_has_tables_data_sources_and_chart() -> None:
    answer = await Ask()("AS9198")
    assert "registration" in answer.summary and "not where the fibre runs" in answer.summary
    data = answer.data
    assert data["asn"] == 9198 and data["country"] == "KZ" and data["vantage_points"] == 3
    assert data["exit_countries"] == [
        {"country": "RU", "share": pytest.approx(2 / 3)},
        {"country": "CN", "share": pytest.approx(1 / 3)},
    ]
    assert data["transit_ases"][0] == {
        "asn": 12389,
        "name": "ROSTELECOM",
        "country": "RU",
        "hegemony": 0.666667,
        "ihr_hegemony": None,  # no live sources in this process
    }
    assert {c["country"] for c in data["countries"]} == {"US", "RU", "CN"}
    assert data["collectors"] == ["rrc00"]
    assert answer.sources[0].name == "BGP collector rrc00" and answer.sources[0].date is not None
    assert [s.title for s in answer.sections][:3] == [
        "Exit countries",
        "Country presence on paths",
        "Transit ASes",
    ]
    (chart,) = answer.attachments
    assert chart.filename == "transit.png" and chart.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_bare_number_rows_and_ipv6() -> None:
    answer = await Ask()("9198", family="ipv6", rows=1)
    assert answer.data["family"] == "ipv6" and answer.data["address_space"] == 1
    assert len(answer.data["transit_ases"]) == 1
    assert len(answer.sections[2].table.rows) == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("target", ["KZ", "kazakhstan", "Kazakhstan (KZ)", "KAZ"])
async def test_country_answer(target: str) -> None:
    answer = await Ask()(target)
    data = answer.data
    assert data["kind"] == "country" and data["country"] == "KZ"
    # 9198 is the only Kazakh origin with routes; 29355 is registered but announces nothing here.
    assert (data["registered_ases"], data["origin_ases"], data["address_space"]) == (2, 1, 65536)
    assert data["exit_countries"][0] == {"country": "RU", "share": pytest.approx(2 / 3)}
    assert "1 of its 2 registered ASes" in answer.summary


@pytest.mark.parametrize("target", ["95.56.1.1", "95.56.0.0/16", "95.56.4.0/24"])
async def test_address_targets_resolve_to_the_origin(target: str) -> None:
    answer = await Ask()(target)
    assert answer.data["asn"] == 9198
    assert answer.data["resolved_from"]["prefix"] == "95.56.0.0/16"
    assert answer.data["resolved_from"]["origins"] == [9198]


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("AS0", "reserved (RFC 7607)"),
        ("AS4294967296", "32-bit"),
        ("AS64512", "(private use)"),
        ("as65534", "(private use)"),
        ("AS4200000000", "(private use)"),
        ("AS4294967294", "(private use)"),
        ("AS23456", "(AS_TRANS (RFC 6793))"),
        ("AS65535", "(reserved)"),
        ("AS64500", "(reserved for documentation)"),
        ("AS100000", "(reserved)"),
        ("AS29355", "originates no ipv4 routes"),
        ("AS3356", "originates no ipv4 routes"),
        ("Antarctica", "None of the 1 ASes registered in Antarctica"),
        ("Narnia", "not an AS, an IP, a domain or a country"),
        ("Kazakstan", "Did you mean Kazakhstan (KZ)"),
        ("ZZ", "not an AS"),
        ("FR", "No AS is registered in France"),
        ("10.1.2.3", "private address space"),
        ("95.56.0.0/33", "not a valid IP address or prefix"),
        ("1.2.3", "not a valid IP"),
        ("8.8.8.8", "No route in the snapshot covers 8.8.8.8"),
        ("", "Give an AS"),
    ],
)
async def test_bad_input_is_explained_with_a_working_example(target: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await Ask()(target)
    assert words in caught.value.message
    assert caught.value.example and caught.value.example.startswith("/transit target:")


def test_options_are_checked_by_their_spec() -> None:
    rows, family = TRANSIT.option("rows"), TRANSIT.option("family")
    assert rows is not None and family is not None
    with pytest.raises(InvalidInput, match="rows"):
        rows.convert("51", EXAMPLE)
    with pytest.raises(InvalidInput, match="family"):
        family.convert("ipv5", EXAMPLE)


async def test_no_snapshot_is_unavailable_and_says_how_to_import() -> None:
    with pytest.raises(DataUnavailable) as caught:
        await Ask(data=None)("AS9198")
    assert "No routing snapshot" in caught.value.message
    assert caught.value.example and "silkroute data" in caught.value.example


async def test_domain_is_refused_offline() -> None:
    with pytest.raises(DataUnavailable, match="Offline mode"):
        await Ask()("nur.kz")


@pytest.fixture
async def dns_server() -> AsyncIterator[int]:
    """nur.kz A 95.56.7.7, broken.kz SERVFAIL, anything else NXDOMAIN."""
    async for port in serving_dns({"nur.kz": ["95.56.7.7"], "broken.kz": [SERVFAIL]}):
        yield port


async def test_domain_resolves_through_the_configured_resolver(
    dns_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILKROUTE_OFFLINE", "0")
    monkeypatch.setenv("SILKROUTE_SYSTEM_RESOLVER", f"127.0.0.1:{dns_server}")
    ask = Ask()
    answer = await ask("https://nur.kz/news")
    assert answer.data["asn"] == 9198
    assert answer.data["resolved_from"]["addresses"] == ["95.56.7.7"]
    with pytest.raises(InvalidInput, match=r"Could not resolve nope\.kz"):
        await ask("nope.kz")
    with pytest.raises(InvalidInput, match="no IPv6 address"):
        await ask("nur.kz", family="ipv6")
    with pytest.raises(DataUnavailable, match="SERVFAIL"):
        await ask("broken.kz")


def test_target_kinds() -> None:
    assert parse_transit_target("AS 9198") == AsTarget(9198)
    assert isinstance(parse_transit_target("2a00:12f8::1"), NetworkTarget)
    assert parse_transit_target("russia") == CountryTarget("RU")
    assert parse_transit_target("kaspi.kz") == DomainTarget("kaspi.kz")


async def test_country_autocomplete() -> None:
    services = make_services(Settings())
    assert (await complete_country(services, "kaz"))[0] == "Kazakhstan (KZ)"
    assert (await complete_country(services, "KZ"))[0] == "Kazakhstan (KZ)"
    assert "Russian Federation (RU)" in await complete_country(services, "rus")
    assert await complete_country(services, "AS91") == []
    assert await complete_country(services, "95.56") == []
    assert len(await complete_country(services, "")) == 25


def test_spec_documents_the_definitions() -> None:
    assert TRANSIT_COMMANDS == [TRANSIT]
    for phrase in ("AS_SET", "prepending", "2^(32-len)", "10 % trimmed mean", "registration", "ZZ"):
        assert phrase in TRANSIT.help
    target = TRANSIT.option("target")
    assert target is not None and target.autocomplete is complete_country


@pytest.mark.parametrize("target", ["http://[::1", "https://[nur.kz/"])
async def test_malformed_url_is_bad_input_not_a_crash(target: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await Ask()(target)
    assert caught.value.example and caught.value.example.startswith("/transit target:")


@pytest.mark.parametrize("target", ["KZ", "AS9198"])
async def test_a_family_the_snapshot_lacks_is_unavailable_not_bad_input(target: str) -> None:
    data = kz_data()
    data.table = [r for r in data.table if ":" not in r.prefix]  # an IPv4-only RIB
    with pytest.raises(DataUnavailable, match="holds no IPv6 routes"):
        await Ask(data)(target, family="ipv6")
    assert (await Ask(data)(target, family="ipv4")).data
