"""IHR client: only documented parameters, pagination via `next`, 400 invalid_query_params and 504."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.answer import as_command_error
from bot.core.errors import InvalidInput
from bot.live.cache import LiveCache
from bot.live.http_client import HttpLayer
from bot.live.ihr import IhrClient, IhrGatewayTimeout, IhrInvalidParams
from tests.bot.live.fake_upstreams import FakeUpstreams

NOW = datetime(2024, 10, 10, 8, 7, tzinfo=UTC)


@pytest.fixture
async def ihr(fake_upstreams: FakeUpstreams) -> AsyncIterator[IhrClient]:
    http = HttpLayer(fake_upstreams.settings())
    yield IhrClient(http, LiveCache(), now=lambda: NOW)
    await http.close()


async def test_hegemony_pages_through_next_and_sends_only_documented_params(
    ihr: IhrClient, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.page_size = 1
    result = await ihr.hegemony("AS9198")
    assert fake_upstreams.requests["ihr:hegemony/"] == 4  # 4 rows, 1 per page
    assert [s.asn for s in result.latest()] == [9198, 3216, 9002, 20485]
    assert not result.truncated
    first = fake_upstreams.queries[0][1]
    assert first == {
        "originasn": "9198",
        "af": "4",
        "timebin__gte": "2024-10-10T07:00",
        "timebin__lte": "2024-10-10T08:00",
    }
    assert "format" not in first
    assert result.meta.data_time == datetime(2024, 10, 10, 8, 0, tzinfo=UTC)
    assert result.meta.to_source().name == "Internet Health Report"


async def test_country_dependency_and_disco_events(ihr: IhrClient, fake_upstreams: FakeUpstreams) -> None:
    kz = await ihr.country_hegemony("kz", transitonly=True)
    assert kz.country == "KZ" and kz.latest()[0].asn == 9198
    assert fake_upstreams.queries[-1][1]["transitonly"] == "true"
    events = await ihr.disco_events("AS9198")
    assert [e.likely_real for e in events.events] == [True, False]
    assert fake_upstreams.queries[-1][1]["streamname"] == "9198"


async def test_invalid_query_params_names_the_parameter(
    ihr: IhrClient, fake_upstreams: FakeUpstreams
) -> None:
    with pytest.raises(IhrInvalidParams) as caught:
        await ihr._get("hegemony/", {"originasn": "9198", "format": "json"})
    assert as_command_error(caught.value).user_text() == (
        "Internet Health Report: rejected the parameter(s) format (invalid_query_params)."
    )
    assert fake_upstreams.requests["ihr:hegemony/"] == 1  # a 400 is never retried


async def test_504_is_reported_with_a_hint_and_not_repeated(
    ihr: IhrClient, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.fail("ihr:hegemony/", "504")
    with pytest.raises(IhrGatewayTimeout, match="try a shorter time range"):
        await ihr.hegemony(9198)
    assert fake_upstreams.requests["ihr:hegemony/"] == 1


async def test_ranges_beyond_ihr_limits_are_bad_input(ihr: IhrClient) -> None:
    with pytest.raises(InvalidInput, match="at most 7 days"):
        await ihr.hegemony(9198, start=NOW - timedelta(days=8))
    with pytest.raises(InvalidInput, match="start time is after the end"):
        await ihr.country_hegemony("KZ", start=NOW, end=NOW - timedelta(days=1))


async def test_historical_bins_use_the_long_lived_cache(
    ihr: IhrClient, fake_upstreams: FakeUpstreams
) -> None:
    past = NOW - timedelta(days=30)
    await ihr.hegemony(9198, start=past - timedelta(hours=1), end=past)
    await ihr.hegemony(9198, start=past - timedelta(hours=1), end=past)
    assert fake_upstreams.requests["ihr:hegemony/"] == 2  # one lookup of 2 pages; the repeat is a hit
    assert ihr._cache.size("ihr") == 1
