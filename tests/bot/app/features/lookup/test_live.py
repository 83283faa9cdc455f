"""/lookup with live RIPEstat parts, against the local fake upstream server (real recorded responses).

The snapshot is the small hand-written one (95.56.0.0/14 and 2.72.0.0/18 and friends); the fake answers
routing-status with origin AS9198 (the snapshot agrees) and network-info with AS37385 and AS12345 (it does
not: that difference must be flagged as news).
"""

from __future__ import annotations

import asyncio

import pytest

from bot.app.answer import Answer, Severity
from bot.app.commands import Caller, Context
from bot.app.features.lookup.command import lookup_handler
from bot.app.features.lookup.live import LIVE_TITLE
from bot.app.wiring import Services
from bot.live.cache import ENDPOINTS
from bot.routing.importer import import_files
from bot.routing.snapshot import Snapshot, load_current
from bot.routing.snapshot_store import SnapshotStore
from tests.bot.live.fake_upstreams import FakeUpstreams
from tests.bot.live.live_world import Clock, live_services
from tests.bot.routing.snapshot_fixtures import all_files
from tests.helpers import serving


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SnapshotStore:
    folder = tmp_path_factory.mktemp("small")
    import_files(all_files(folder), folder / "data")
    snapshot = load_current(folder / "data")
    assert isinstance(snapshot, Snapshot)
    return serving(snapshot)


async def ask(services: Services, target: str) -> Answer:
    return await lookup_handler(Context(services=services, caller=Caller("tester", False)), target=target)


def live_section(answer: Answer) -> str:
    return next(s.text for s in answer.sections if s.title == LIVE_TITLE)


def ripestat_calls(answer: Answer) -> list[str]:
    return [s.detail.split(" ")[0] for s in answer.sources if s.name == "RIPEstat"]


async def test_prefix_adds_visibility_origins_and_rpki_with_sources(
    fake_upstreams: FakeUpstreams, store: SnapshotStore
) -> None:
    async with live_services(fake_upstreams, store) as services:
        answer = await ask(services, "95.56.0.0/14")
    live = answer.data["live"]
    assert answer.data["live_error"] is None
    assert live["visibility"] == {
        "family": "ipv4",
        "ris_peers_seeing": 352,
        "total_ris_peers": 356,
        "stale": False,
    }
    assert live["origins"] == [9198] and answer.data["origins"] == [9198] and not live["origins_differ"]
    assert live["rpki"] == [{"asn": 9198, "prefix": "95.56.0.0/14", "status": "valid", "stale": False}]
    text = live_section(answer)
    assert "352 of 356 RIS peers" in text and "same as in the snapshot" in text
    assert "RPKI: AS9198 95.56.0.0/14 is valid" in text
    assert "Latest available results are 27 hours old" in text  # RIPEstat's own warning reaches the user
    assert ripestat_calls(answer) == ["routing-status", "rpki-validation"]
    assert answer.severity == Severity.INFO
    # The snapshot's own answer and sources are untouched.
    assert answer.data["prefix"] == "95.56.0.0/14" and answer.sources[0].name.startswith("BGP collector")
    query = dict(fake_upstreams.queries[-1][1])
    assert query["resource"] == "AS9198" and query["prefix"] == "95.56.0.0/14"


async def in_flight(fake: FakeUpstreams, requests: int) -> None:
    """Until `requests` requests have reached the fake, woken by its `arrived` event (no wall-clock wait)."""
    async with asyncio.timeout(10):
        while True:
            fake.arrived.clear()
            if len(fake.queries) >= requests:
                return
            await fake.arrived.wait()


async def test_address_whose_live_origins_differ_is_news(
    fake_upstreams: FakeUpstreams, store: SnapshotStore
) -> None:
    # Two rounds (routing-status with network-info, then RPKI for both origins), each one request deep:
    # with every answer held back, a whole round is in flight at once.
    first_round = fake_upstreams.gate = asyncio.Event()
    async with live_services(fake_upstreams, store) as services:
        asking = asyncio.create_task(ask(services, "95.56.0.1"))
        await in_flight(fake_upstreams, 2)
        second_round = fake_upstreams.gate = asyncio.Event()
        first_round.set()
        await in_flight(fake_upstreams, 4)
        second_round.set()
        answer = await asking
    assert [key.split(":")[1] for key, _, _ in fake_upstreams.queries].count("rpki-validation") == 2
    live = answer.data["live"]
    assert live["origins"] == [12345, 37385] and live["origins_differ"]
    assert live["prefix"] == "41.138.32.0/20"  # network-info's covering prefix, used for RPKI
    assert {r["asn"] for r in live["rpki"]} == {12345, 37385}
    assert answer.severity == Severity.WARNING
    assert "Live: RIPEstat now sees origin AS12345, AS37385, the snapshot has AS9198." in answer.summary
    assert "differ from the snapshot's (AS9198)" in live_section(answer)
    assert sorted(ripestat_calls(answer)) == ["network-info", "routing-status", "rpki-validation"]


async def test_as_adds_holder_announced_and_upstream_count(
    fake_upstreams: FakeUpstreams, store: SnapshotStore
) -> None:
    async with live_services(fake_upstreams, store) as services:
        answer = await ask(services, "AS9198")
    live = answer.data["live"]
    assert live["holder"] == "KAZTELECOM-AS - JSC Kazakhtelecom" and live["announced"] is True
    assert live["upstreams"] == 1 and live["upstream_asns"] == [1853]  # the recorded asn-neighbours
    text = live_section(answer)
    assert len(answer.data["neighbours"]) == 3  # 3216, 9002 and 31133
    assert "Upstream (left) neighbours: 1: AS1853; the snapshot has 3." in text
    assert sorted(ripestat_calls(answer)) == ["as-overview", "asn-neighbours"]


async def test_failed_refresh_serves_the_old_value_labelled_stale(
    fake_upstreams: FakeUpstreams, store: SnapshotStore
) -> None:
    clock = Clock()
    async with live_services(fake_upstreams, store, clock=clock) as services:
        first = await ask(services, "95.56.0.0/14")
        fake_upstreams.fail("ripestat:routing-status", "500")
        fake_upstreams.fail("ripestat:rpki-validation", "500")
        clock.now += ENDPOINTS["routing-status"].ttl + 1
        answer = await ask(services, "95.56.0.0/14")
    assert not first.data["live"]["stale"]
    live = answer.data["live"]
    assert live["stale"] and live["visibility"]["stale"] and live["visibility"]["ris_peers_seeing"] == 352
    assert live["rpki"][0]["stale"]
    text = live_section(answer)
    assert "(stale copy, 15 min old: RIPEstat: server error (HTTP 500)" in text
    stale = [s for s in answer.sources if s.name == "RIPEstat"]
    assert stale and all(s.stale and "stale copy fetched 901 s ago" in s.detail for s in stale)
    assert answer.data["live_error"] is None  # served, if old: not an outage to report


@pytest.mark.parametrize("fault", ["500", "malformed", "reset", "ripestat-error"])
async def test_upstream_fault_leaves_the_snapshot_answer_and_a_note(
    fake_upstreams: FakeUpstreams, store: SnapshotStore, fault: str
) -> None:
    fake_upstreams.fail("ripestat:routing-status", fault)
    async with live_services(fake_upstreams, store) as services:
        answer = await ask(services, "95.56.0.0/14")
    assert answer.data["live"] is None and answer.data["origins"] == [9198]
    error = answer.data["live_error"]
    assert error.startswith("visibility: RIPEstat: ")
    assert live_section(answer) == f"Live data unavailable: {error}"
    assert not any(s.name == "RIPEstat" for s in answer.sources)
    assert fake_upstreams.requests["ripestat:rpki-validation"] == 0  # nothing to validate without origins


async def test_one_failing_part_keeps_the_others(fake_upstreams: FakeUpstreams, store: SnapshotStore) -> None:
    fake_upstreams.fail("ripestat:asn-neighbours", "404")
    async with live_services(fake_upstreams, store) as services:
        answer = await ask(services, "AS9198")
    assert answer.data["live"]["holder"].startswith("KAZTELECOM") and "upstreams" not in answer.data["live"]
    assert answer.data["live_error"] == "upstream neighbours: RIPEstat: not found."
    assert "Live data unavailable: upstream neighbours: RIPEstat: not found." in live_section(answer)
    assert ripestat_calls(answer) == ["as-overview"]


async def test_offline_makes_no_live_call_at_all(fake_upstreams: FakeUpstreams, store: SnapshotStore) -> None:
    async with live_services(fake_upstreams, store, offline=True) as services:
        answers = [await ask(services, target) for target in ("AS9198", "95.56.0.1", "2.72.0.0/18")]
    assert sum(fake_upstreams.requests.values()) == 0
    for answer in answers:
        assert answer.data["live"] is None and "SILKROUTE_OFFLINE=1" in answer.data["live_error"]
        assert live_section(answer).startswith("Live data unavailable: live sources are switched off")
        assert answer.data["origins"] and not any(s.name == "RIPEstat" for s in answer.sources)
