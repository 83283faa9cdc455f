"""/transit with IHR's AS hegemony next to ours, against the local fake IHR (documented fields).

The fake IHR scores AS3216 0.41 and AS9002 0.27 for any origin; the hand-built routes give AS9198 the
transit AS3216 (2 of 3 vantage points) and AS9002 (1 of 3).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app.answer import Answer
from bot.app.commands import Caller, Context
from bot.app.features.transit.command import transit
from bot.app.wiring import Services
from bot.core.values import Section
from bot.live.cache import ENDPOINTS
from bot.live.ihr import IhrClient
from tests.bot.live.fake_upstreams import FakeUpstreams
from tests.bot.live.live_world import Clock, live_services
from tests.bot.routing.transit_fake import FakeData
from tests.helpers import serving


def kz_data() -> FakeData:
    data = FakeData(
        registry={9198: "KZ", 3216: "RU", 9002: "GB", 701: "US", 702: "US", 703: "US"},
        names={9198: "KAZTELECOM", 3216: "SOVAM", 9002: "RETN"},
    )
    for peer, upstream in ((701, 3216), (702, 3216), (703, 9002)):
        data.add(data.vantage(peer), "95.56.0.0/16", peer, upstream, 9198)
    return data


async def ask(services: Services, target: str) -> Answer:
    return await transit(Context(services=services, caller=Caller("tester", False)), target)


def section(answer: Answer, title: str) -> Section:
    return next(s for s in answer.sections if s.title == title)


def ihr_of(answer: Answer) -> dict[int, float | None]:
    return {item["asn"]: item["ihr_hegemony"] for item in answer.data["transit_ases"]}


def ours(answer: Answer) -> list[tuple[int, float]]:
    return [(item["asn"], item["hegemony"]) for item in answer.data["transit_ases"]]


async def test_ihr_column_json_and_source_next_to_ours(fake_upstreams: FakeUpstreams) -> None:
    async with live_services(fake_upstreams, serving(kz_data())) as services:
        answer = await ask(services, "AS9198")
    table = section(answer, "Transit ASes").table
    assert table is not None and table.columns[-1] == "IHR"
    rows = {row[0]: row for row in table.rows}
    assert rows["AS3216"] == ["AS3216", "SOVAM", "RU", "66.7 %", "41.0 %"]
    assert rows["AS9002"] == ["AS9002", "RETN", "GB", "33.3 %", "27.0 %"]
    assert rows["AS701"][-1] == "–"  # a vantage point's own AS: IHR does not list it
    assert ihr_of(answer) == {3216: 0.41, 701: None, 702: None, 703: None, 9002: 0.27}
    ihr = [s for s in answer.sources if s.name == "Internet Health Report"]
    assert len(ihr) == 1 and not ihr[0].stale and ihr[0].date is not None
    assert answer.data["ihr_timebin"] == ihr[0].date.isoformat() and answer.data["ihr_error"] is None
    text = section(answer, "Internet Health Report").text
    assert f"time bin {ihr[0].date:%Y-%m-%d %H:%M} UTC" in text and "towards AS9198 (IPv4)" in text
    query = fake_upstreams.queries[0][1]
    assert query["originasn"] == "9198" and query["af"] == "4"


async def test_failed_refresh_shows_the_stale_ihr_values_labelled(fake_upstreams: FakeUpstreams) -> None:
    clock = Clock()
    async with live_services(fake_upstreams, serving(kz_data()), clock=clock) as services:
        live = services.live
        assert live is not None
        now = datetime.now(UTC)
        live.ihr = IhrClient(live.http, live.cache, now=lambda: now)  # one IHR window for both questions
        await ask(services, "AS9198")
        fake_upstreams.fail("ihr:hegemony/", "500")
        clock.now += ENDPOINTS["hegemony"].ttl + 1
        answer = await ask(services, "AS9198")
    assert ihr_of(answer)[3216] == 0.41 and ihr_of(answer)[9002] == 0.27
    assert "(stale copy, 15 min old: Internet Health Report: server error (HTTP 500)" in (
        section(answer, "Internet Health Report").text
    )
    assert [s.stale for s in answer.sources if s.name == "Internet Health Report"] == [True]


@pytest.mark.parametrize("fault", ["500", "400", "truncated"])
async def test_ihr_failure_leaves_our_answer_unchanged_with_a_note(
    fake_upstreams: FakeUpstreams, fault: str
) -> None:
    async with live_services(fake_upstreams, serving(kz_data()), offline=True) as services:
        offline = await ask(services, "AS9198")
    fake_upstreams.fail("ihr:hegemony/", fault)
    async with live_services(fake_upstreams, serving(kz_data())) as services:
        answer = await ask(services, "AS9198")
    assert ours(answer) == ours(offline)
    assert ours(answer)[0] == (3216, 0.666667) and (9002, 0.333333) in ours(answer)
    assert section(answer, "Transit ASes").table == section(offline, "Transit ASes").table
    assert all(item["ihr_hegemony"] is None for item in answer.data["transit_ases"])
    error = answer.data["ihr_error"]
    assert error.startswith("IHR AS hegemony: Internet Health Report: ")
    assert section(answer, "Internet Health Report").text == f"Live data unavailable: {error}"
    assert not any(s.name == "Internet Health Report" for s in answer.sources)


async def test_offline_asks_ihr_nothing(fake_upstreams: FakeUpstreams) -> None:
    async with live_services(fake_upstreams, serving(kz_data()), offline=True) as services:
        answer = await ask(services, "AS9198")
    assert sum(fake_upstreams.requests.values()) == 0
    assert "SILKROUTE_OFFLINE=1" in answer.data["ihr_error"]
    assert section(answer, "Transit ASes").table.columns == ["ASN", "name", "country", "hegemony"]  # type: ignore[union-attr]


async def test_country_answer_has_no_ihr_part(fake_upstreams: FakeUpstreams) -> None:
    async with live_services(fake_upstreams, serving(kz_data())) as services:
        answer = await ask(services, "KZ")
    assert sum(fake_upstreams.requests.values()) == 0
    assert "ihr_error" not in answer.data and "ihr_hegemony" not in answer.data["transit_ases"][0]
