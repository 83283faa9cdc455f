"""The HTTP layer against a local server with injected faults: clear errors, bounded retries, no crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot import __version__
from bot.app.answer import as_command_error
from bot.core.settings import Settings
from bot.live.http_client import (
    HttpLayer,
    LiveOffline,
    UpstreamBadResponse,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
)
from tests.bot.live.fake_upstreams import FakeUpstreams

PATH = "data/looking-glass/data.json"
KEY = "ripestat:looking-glass"


@pytest.fixture
async def http(live_settings: Settings) -> AsyncIterator[HttpLayer]:
    layer = HttpLayer(live_settings)
    yield layer
    await layer.close()


async def test_identifies_itself_with_sourceapp_and_versioned_user_agent(
    http: HttpLayer, fake_upstreams: FakeUpstreams
) -> None:
    body = await http.get_json("ripestat", PATH, {"resource": "140.78.0.0/16"})
    assert body["status"] == "ok"
    _, query, headers = fake_upstreams.queries[-1]
    assert query == {"resource": "140.78.0.0/16", "sourceapp": "silkroute"}
    assert headers["User-Agent"] == f"silkroute/{__version__} (+silkroute)"


@pytest.mark.parametrize(
    ("kind", "error", "words", "requests"),
    [
        ("500", UpstreamHTTPError, "server error (HTTP 500)", 3),
        ("429", UpstreamRateLimited, "rate limit", 3),
        ("slow", UpstreamTimeout, "no answer in time", 3),
        ("truncated", UpstreamConnectionError, "connection failed", 3),
        # aiohttp itself resends an idempotent request once when the connection is reset before any
        # response (RFC 9112 §9.3.1), so each of our 3 attempts reaches the server twice.
        ("reset", UpstreamConnectionError, "connection failed", 6),
    ],
)
async def test_retryable_faults_retry_up_to_the_limit_then_fail_clearly(
    http: HttpLayer,
    fake_upstreams: FakeUpstreams,
    kind: str,
    error: type[UpstreamError],
    words: str,
    requests: int,
) -> None:
    fake_upstreams.fail(KEY, kind)
    with pytest.raises(error) as caught:
        await http.get_json("ripestat", PATH)
    assert as_command_error(caught.value).user_text().startswith("RIPEstat: ")
    assert words in as_command_error(caught.value).user_text()
    assert fake_upstreams.requests[KEY] == requests  # one try + SILKROUTE_HTTP_RETRIES=2
    assert http.stats["ripestat"].retries == 2
    assert http.stats["ripestat"].failures == 1


@pytest.mark.parametrize("kind", ["500", "429", "slow", "truncated", "reset"])
async def test_a_transient_fault_is_retried_into_success(
    http: HttpLayer, fake_upstreams: FakeUpstreams, kind: str
) -> None:
    fake_upstreams.fail(KEY, kind, times=1)
    body = await http.get_json("ripestat", PATH)
    assert body["data"]["rrcs"][0]["rrc"] == "RRC00"
    assert fake_upstreams.requests[KEY] == 2
    assert http.stats["ripestat"].failures == 0


@pytest.mark.parametrize(
    ("kind", "error"),
    [("malformed", UpstreamBadResponse), ("404", UpstreamNotFound), ("400", UpstreamRejected)],
)
async def test_non_retryable_answers_fail_after_one_request(
    http: HttpLayer, fake_upstreams: FakeUpstreams, kind: str, error: type[UpstreamError]
) -> None:
    fake_upstreams.fail(KEY, kind)
    with pytest.raises(error):
        await http.get_json("ripestat", PATH)
    assert fake_upstreams.requests[KEY] == 1


async def test_retry_after_is_honoured_but_capped(fake_upstreams: FakeUpstreams) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    http = HttpLayer(fake_upstreams.settings(silkroute_http_retry_after_max=7.0), sleep=record)
    try:
        fake_upstreams.fail(KEY, "429", times=2, retry_after="3")
        await http.get_json("ripestat", PATH)
        fake_upstreams.fail(KEY, "429", times=1, retry_after="3600")
        await http.get_json("ripestat", PATH)
    finally:
        await http.close()
    assert waits == [3.0, 3.0, 7.0]


async def test_backoff_grows_exponentially_with_jitter(live_settings: Settings) -> None:
    settings = live_settings
    settings.live.silkroute_http_backoff_seconds = 1.0
    settings.live.silkroute_http_retry_after_max = 100.0
    low = HttpLayer(settings, jitter=lambda: 0.0)
    high = HttpLayer(settings, jitter=lambda: 1.0)
    assert [low.backoff(n) for n in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert [high.backoff(n) for n in range(4)] == [1.0, 2.0, 4.0, 8.0]


async def test_response_size_is_capped(fake_upstreams: FakeUpstreams) -> None:
    http = HttpLayer(fake_upstreams.settings(silkroute_http_max_bytes=100_000))
    fake_upstreams.fail(KEY, "huge")
    try:
        with pytest.raises(UpstreamBadResponse, match="100,000-byte limit"):
            await http.get_json("ripestat", PATH)
    finally:
        await http.close()
    assert fake_upstreams.requests[KEY] == 1


async def test_concurrency_per_source_is_bounded(fake_upstreams: FakeUpstreams) -> None:
    fake_upstreams.delay = 0.05
    http = HttpLayer(fake_upstreams.settings(silkroute_http_concurrency=2))
    in_flight = 0
    peak = 0
    original = fake_upstreams._serve

    async def counting(request, key, body):  # type: ignore[no-untyped-def]
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(request, key, body)
        finally:
            in_flight -= 1

    fake_upstreams._serve = counting  # type: ignore[method-assign]
    try:
        await asyncio.gather(*(http.get_json("ripestat", PATH, {"n": str(i)}) for i in range(6)))
    finally:
        await http.close()
    assert peak == 2
    assert fake_upstreams.requests[KEY] == 6


async def test_offline_switch_blocks_every_call_with_a_clear_message() -> None:
    http = HttpLayer(Settings())  # the test environment sets SILKROUTE_OFFLINE=1
    with pytest.raises(LiveOffline, match="SILKROUTE_OFFLINE=1"):
        await http.get_json("ripestat", PATH)
    with pytest.raises(LiveOffline):
        http.ws_connect("rislive")
    await http.close()
