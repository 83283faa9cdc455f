"""RIS Live client against a local WebSocket server replaying real updates from MRT files and recordings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest

from bot.core.settings import Settings
from bot.live.http_client import HttpLayer, LiveOffline
from bot.live.rislive import (
    FeedState,
    FeedStatus,
    PathPattern,
    RisEvent,
    RisLiveClient,
    RisMessage,
    RisSubscription,
)
from tests.bot.live.fake_rislive import (
    FakeRisLive,
    _server_side_match,
    ris_messages_from_mrt,
    ris_messages_from_recording,
)

# Kazakh routes in the real 2019 RIS update stream: 79.140.224.0/20 space originated by AS43873.
KZ_PREFIX = "79.140.224.0/20"


@pytest.fixture
def replay(shared_data: Path) -> list[dict[str, object]]:
    return ris_messages_from_mrt(shared_data / "mrt" / "ris-rrc00-updates.20190101.0000.gz", 6000)


@pytest.fixture
def http(rislive_http: HttpLayer) -> HttpLayer:
    return rislive_http


async def next_event(stream: AsyncGenerator[RisEvent, None], within: float = 3.0) -> RisEvent:
    async with asyncio.timeout(within):
        return await anext(stream)


async def next_status(stream: AsyncGenerator[RisEvent, None], state: FeedState) -> FeedStatus:
    while True:
        event = await next_event(stream)
        if isinstance(event, FeedStatus) and event.state == state:
            return event


async def drain_messages(stream: AsyncGenerator[RisEvent, None], quiet: float = 0.3) -> list[RisMessage]:
    """Messages until the feed has been quiet for `quiet` seconds."""
    got: list[RisMessage] = []
    while True:
        try:
            event = await next_event(stream, quiet)
        except TimeoutError:
            return got
        if isinstance(event, RisMessage):
            got.append(event)


def expected(replay: list[dict[str, object]], sub: RisSubscription) -> list[dict[str, object]]:
    return [m for m in replay if _server_side_match(sub.to_json(), m)]


@pytest.mark.parametrize("server_filters", [True, False])
async def test_replayed_updates_are_filtered_by_server_and_client(
    http: HttpLayer, fake_rislive: FakeRisLive, replay: list[dict[str, object]], server_filters: bool
) -> None:
    fake_rislive.honour_filters = server_filters
    sub = RisSubscription(prefix=KZ_PREFIX, path="43873$", require="announcements")
    wanted = expected(replay, sub)
    assert 0 < len(wanted) < len(replay) / 10  # a real, selective filter on real data
    client = RisLiveClient(http, [sub], silence_seconds=2.0)
    stream = client.events()
    connected = await next_event(stream)
    assert isinstance(connected, FeedStatus) and connected.state == FeedState.CONNECTED
    await fake_rislive.wait_for(subscriptions=1)
    assert fake_rislive.clients[0].name == "silkroute"
    assert fake_rislive.clients[0].subscriptions[0]["path"] == "43873$"
    sent = [await fake_rislive.publish(m) for m in replay]
    got = await drain_messages(stream)
    await stream.aclose()
    assert sum(sent) == (len(wanted) if server_filters else len(replay))
    assert [m.id for m in got] == [m["id"] for m in wanted]
    assert all(m.origin_asn == 43873 and m.announced for m in got)
    assert client.filtered_out == (0 if server_filters else len(replay) - len(wanted))


async def test_reconnects_and_resubscribes_after_the_server_drops_the_socket(
    http: HttpLayer, fake_rislive: FakeRisLive, replay: list[dict[str, object]]
) -> None:
    subs = [RisSubscription(prefix=KZ_PREFIX), RisSubscription(path="9198$")]
    client = RisLiveClient(http, subs, silence_seconds=2.0, backoff_initial=0.01)
    stream = client.events()
    await next_status(stream, FeedState.CONNECTED)
    await fake_rislive.wait_for(subscriptions=2)
    await fake_rislive.drop_clients()
    down = await next_status(stream, FeedState.DISCONNECTED)
    assert "reconnecting" in down.detail
    await next_status(stream, FeedState.CONNECTED)
    await fake_rislive.wait_for(subscriptions=2, connections=2)
    assert [s["prefix"] for s in fake_rislive.clients[0].subscriptions if "prefix" in s] == [KZ_PREFIX]
    batch = [m for m in replay if any(_server_side_match(s.to_json(), m) for s in subs)][:3]
    assert batch
    for message in batch:
        await fake_rislive.publish(message)
    assert [m.id for m in await drain_messages(stream)] == [m["id"] for m in batch]
    await stream.aclose()
    assert client.connects == 2


async def test_silence_is_reported_then_resumed_then_a_second_silence_reconnects(
    http: HttpLayer, fake_rislive: FakeRisLive, replay: list[dict[str, object]]
) -> None:
    client = RisLiveClient(http, silence_seconds=0.2, backoff_initial=0.01)
    stream = client.events()
    await next_status(stream, FeedState.CONNECTED)
    await fake_rislive.wait_for(subscriptions=0)
    silent = await next_event(stream)
    assert isinstance(silent, FeedStatus) and silent.state == FeedState.SILENT
    assert silent.silent_for >= 0.2
    await fake_rislive.publish(replay[0])
    resumed = await next_event(stream)
    assert isinstance(resumed, FeedStatus) and resumed.state == FeedState.RESUMED
    assert isinstance(await next_event(stream), RisMessage)
    again = await next_event(stream)
    assert isinstance(again, FeedStatus) and again.state == FeedState.SILENT
    down = await next_event(stream)
    assert isinstance(down, FeedStatus) and down.state == FeedState.DISCONNECTED
    await next_status(stream, FeedState.CONNECTED)
    await stream.aclose()
    assert fake_rislive.connections == 2


async def test_ris_error_and_recorded_messages(
    http: HttpLayer, fake_rislive: FakeRisLive, shared_data: Path
) -> None:
    recorded = ris_messages_from_recording(shared_data / "rislive" / "ris-live-rrc00.20190326.jsonl")
    client = RisLiveClient(http, [RisSubscription(type=None)], silence_seconds=2.0)
    stream = client.events()
    await next_status(stream, FeedState.CONNECTED)
    await fake_rislive.wait_for(subscriptions=1)
    await fake_rislive.send_raw('{"type":"ris_error","data":{"message":"this is a test error message"}}')
    error = await next_event(stream)
    assert isinstance(error, FeedStatus)
    assert (error.state, error.detail) == (FeedState.ERROR, "this is a test error message")
    await fake_rislive.send_raw("not json at all")
    for message in recorded:
        await fake_rislive.publish(message)
    got = await drain_messages(stream)
    await stream.aclose()
    assert [m.type for m in got] == ["UPDATE", "RIS_PEER_STATE", "OPEN", "NOTIFICATION", "KEEPALIVE"]
    update = got[0]
    assert update.peer_asn == 11708 and update.origin_asn == 268481
    assert update.announced == ("45.161.192.0/23",)
    assert got[1].state == "down"


async def test_subscribe_and_unsubscribe_while_connected(http: HttpLayer, fake_rislive: FakeRisLive) -> None:
    client = RisLiveClient(http, silence_seconds=2.0)
    stream = client.events()
    await next_status(stream, FeedState.CONNECTED)
    sub = RisSubscription(prefix="95.56.0.0/16", host="rrc00")
    await client.subscribe(sub)
    await fake_rislive.wait_for(subscriptions=1)
    await client.unsubscribe(sub)
    await stream.aclose()
    assert [m["type"] for m in fake_rislive.received] == ["ris_subscribe", "ris_unsubscribe"]
    assert fake_rislive.received[0]["data"] == {
        "socketOptions": {"includeRaw": False},
        "type": "UPDATE",
        "prefix": "95.56.0.0/16",
        "moreSpecific": True,
        "lessSpecific": False,
        "host": "rrc00",
    }


def test_client_side_filters() -> None:
    message = RisMessage(
        type="UPDATE",
        timestamp=0,
        host="rrc00",
        peer="192.0.2.1",
        peer_asn=3216,
        path=(3216, 9198, 29355),
        withdrawals=("2.72.0.0/18",),
    )
    assert RisSubscription(prefix="2.72.0.0/16").matches(message)
    assert not RisSubscription(prefix="2.72.0.0/16", more_specific=False).matches(message)
    assert RisSubscription(prefix="2.72.0.0/20", less_specific=True, more_specific=False).matches(message)
    assert not RisSubscription(require="announcements").matches(message)
    assert RisSubscription(path="^3216,9198").matches(message)
    assert not RisSubscription(path="^9198").matches(message)
    assert RisSubscription(path="!9002").matches(message)
    assert PathPattern.parse("9198,29355$").matches((3216, 9198, 29355))
    with pytest.raises(ValueError, match="bad AS path pattern"):
        RisSubscription(path="AS9198$")


async def test_offline_switch_stops_the_feed() -> None:
    client = RisLiveClient(HttpLayer(Settings()))
    with pytest.raises(LiveOffline):
        await anext(client.events())
