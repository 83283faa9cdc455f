"""RIPEstat client on the real recorded responses (and documented shapes where none was recorded)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.app.answer import as_command_error
from bot.core.errors import InvalidInput
from bot.live.cache import LiveCache
from bot.live.http_client import (
    HttpLayer,
    UpstreamBadResponse,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamRejected,
)
from bot.live.ripestat import RipestatClient, normalise_asn, normalise_resource, parse_as_path
from tests.bot.live.fake_upstreams import FakeUpstreams


@pytest.fixture
async def ripestat(fake_upstreams: FakeUpstreams) -> AsyncIterator[RipestatClient]:
    http = HttpLayer(fake_upstreams.settings())
    yield RipestatClient(http, LiveCache())
    await http.close()


async def test_looking_glass_from_the_real_recording(ripestat: RipestatClient) -> None:
    result = await ripestat.looking_glass("140.78.0.0/16")
    route = result.routes[0]
    assert (route.collector, route.peer, route.as_path) == (
        "RRC00",
        "2.56.11.1",
        (34854, 6939, 1853, 1853, 1205),
    )
    assert result.origins == (1205,)
    assert result.meta.data_time == datetime(2021, 4, 15, 12, 51, 4, tzinfo=UTC)
    assert result.meta.to_source().name == "RIPEstat"


async def test_recorded_calls_parse(ripestat: RipestatClient) -> None:
    neighbours = await ripestat.asn_neighbours("AS1205")
    assert neighbours.of_type("left")[0].asn == 1853
    assert neighbours.of_type("left")[0].v4_peers == 288
    announced = await ripestat.announced_prefixes(3333)
    assert announced.prefixes[0].prefix == "193.0.10.0/23"
    assert announced.prefixes[0].last_seen == datetime(2021, 4, 14, 16, tzinfo=UTC)
    info = await ripestat.network_info("41.138.32.1")
    assert (info.prefix, info.origins) == ("41.138.32.0/20", (37385, 12345))
    rpki = await ripestat.rpki_validation("AS3333", "193.0.0.0/21")
    assert rpki.status == "valid"
    assert rpki.roas[0].max_length == 21


async def test_documented_calls_parse_and_surface_warnings(ripestat: RipestatClient) -> None:
    status = await ripestat.routing_status("95.56.0.0/16")
    assert status.announced and status.origins == (9198,)
    assert (status.v4_peers_seeing, status.v4_peers_total) == (352, 356)
    assert status.meta.notes == ("warning: Latest available results are 27 hours old.",)
    visibility = await ripestat.visibility("95.56.0.0/16")
    assert visibility.seeing(4) == (19, 20)
    overview = await ripestat.prefix_overview("95.56.0.0/16")
    assert [h.asn for h in overview.origins] == [9198] and not overview.moas
    assert (await ripestat.as_overview("AS9198")).holder.startswith("KAZTELECOM")
    assert (await ripestat.rir_stats_country("95.56.0.0/16")).country == "KZ"
    kz = await ripestat.country_resource_list("kz")
    assert kz.country == "KZ" and 9198 in kz.asns


async def test_sourceapp_and_resource_are_sent(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams
) -> None:
    await ripestat.rpki_validation("as3333", "193.0.0.1/21")
    key, query, _ = fake_upstreams.queries[-1]
    assert key == "ripestat:rpki-validation"
    assert query == {"resource": "AS3333", "prefix": "193.0.0.0/21", "sourceapp": "silkroute"}


async def test_envelope_error_status_becomes_a_clear_error(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.fail("ripestat:network-info", "ripestat-error")
    with pytest.raises(UpstreamRejected, match="network-info: error: Backend unavailable"):
        await ripestat.network_info("41.138.32.1")
    fake_upstreams.fail("ripestat:as-overview", "400")
    with pytest.raises(UpstreamRejected, match="Invalid resource"):
        await ripestat.as_overview(9198)


@pytest.mark.parametrize(
    ("kind", "error"), [("malformed", UpstreamBadResponse), ("truncated", UpstreamConnectionError)]
)
async def test_unreadable_answers_are_clear_errors(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams, kind: str, error: type[UpstreamError]
) -> None:
    fake_upstreams.fail("ripestat:looking-glass", kind)
    with pytest.raises(error, match=r"^RIPEstat: "):
        await ripestat.looking_glass("140.78.0.0/16")


async def test_an_answer_without_documented_fields_is_a_clear_error(
    ripestat: RipestatClient, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.fail("ripestat:looking-glass", "slow")
    fake_upstreams.slow_seconds = 0.0  # answers at once, but with an empty data object
    with pytest.raises(UpstreamBadResponse, match="unexpected answer from looking-glass"):
        await ripestat.looking_glass("140.78.0.0/16")


def test_input_normalisation() -> None:
    assert normalise_asn("as 9198") == 9198
    assert normalise_resource("AS9198") == "AS9198"
    assert normalise_resource("95.56.1.1/16") == "95.56.0.0/16"
    assert parse_as_path("701 3216 {9198,29355}") == (701, 3216, 9198, 29355)
    with pytest.raises(InvalidInput) as caught:
        normalise_asn("Kazakhtelecom")
    assert (
        as_command_error(caught.value).user_text() == "'Kazakhtelecom' is not an AS number. Example: AS9198"
    )
    with pytest.raises(InvalidInput):
        normalise_resource("95.56.0.0/33")
