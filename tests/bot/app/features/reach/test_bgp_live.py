"""/reach's live BGP visibility (RIPEstat routing status) against the local fake upstream server.

The fake answers routing-status for any resource with origin AS9198, seen by 352 of 356 RIS peers.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.app.answer import Answer
from bot.app.commands import Caller, Context
from bot.app.features.reach.command import reach
from bot.core.settings import ReachSettings
from bot.core.values import Section
from bot.i18n import Language, translator
from bot.live.cache import ENDPOINTS
from tests.bot.live.fake_upstreams import DOCUMENTED, FakeUpstreams
from tests.bot.live.live_world import Clock, live_services
from tests.bot.reach.servers import closed_port
from tests.fixtures.reach_lab import FakeSnapshot, Lab, Progress
from tests.helpers import serving

LIVE = "2 BGP live (RIPEstat)"


class Checker:
    def __init__(self, lab: Lab, fake: FakeUpstreams) -> None:
        self.lab, self.fake = lab, fake

    @contextlib.asynccontextmanager
    async def context(
        self, *, offline: bool = False, clock: Clock | None = None, snapshot: bool = True, stale: bool = False
    ) -> AsyncIterator[Context]:
        dns = await self.lab.dns({"site.test": ["127.0.0.1"], "gone.test": ["127.0.0.3"]})
        settings = ReachSettings(
            silkroute_allow_unsafe_targets=True,
            silkroute_public_resolver=f"127.0.0.1:{dns.port}",
            silkroute_system_resolver=f"127.0.0.1:{dns.port}",
            silkroute_reach_timeout=1.0,
        )
        store = serving(FakeSnapshot(stale=stale) if snapshot else None)
        async with live_services(self.fake, store, offline=offline, clock=clock, reach=settings) as services:
            yield Context(services=services, caller=Caller("tester", False), progress=Progress())


def live_section(answer: Answer) -> Section:
    return next(s for s in answer.sections if s.title == LIVE)


async def test_live_visibility_is_reported_next_to_the_snapshot(
    lab: Lab, fake_upstreams: FakeUpstreams
) -> None:
    server = await lab.web()
    async with Checker(lab, fake_upstreams).context() as ctx:
        answer = await reach(ctx, target=f"http://site.test:{server.port}/")
    assert answer.data["verdict"] == "reachable"  # reachability is decided apart from BGP visibility
    [address] = answer.data["addresses"]
    assert address["bgp_live"] == {
        "resource": "127.0.0.0/8",  # the snapshot's covering prefix is what RIPEstat is asked about
        "announced": True,
        "origins": [9198],
        "ris_peers_seeing": 352,
        "total_ris_peers": 356,
        "stale": False,
    }
    assert answer.data["bgp_live_error"] is None
    titles = [s.title for s in answer.sections]
    assert titles.index(LIVE) == titles.index("2 BGP") + 1
    table = live_section(answer).table
    assert table is not None and table.rows == [
        ["127.0.0.1", "127.0.0.0/8", "yes", "352 of 356", "AS9198", ""]
    ]
    assert [s.detail for s in answer.sources if s.name == "RIPEstat"] == ["routing-status"]
    assert fake_upstreams.queries[0][1]["resource"] == "127.0.0.0/8"


async def test_several_targets_share_one_lookup_per_prefix(lab: Lab, fake_upstreams: FakeUpstreams) -> None:
    server = await lab.web()
    async with Checker(lab, fake_upstreams).context(snapshot=False) as ctx:
        answer = await reach(ctx, target=f"http://site.test:{server.port}/ http://gone.test:{closed_port()}/")
    # Without a snapshot the address itself is the resource: two addresses, two lookups, all at once.
    assert fake_upstreams.requests["ripestat:routing-status"] == 2
    resources = {t["addresses"][0]["bgp_live"]["resource"] for t in answer.data["targets"]}
    assert resources == {"127.0.0.1", "127.0.0.3"}
    assert live_section(answer).table is not None and answer.sections[1].title == LIVE


async def test_failed_refresh_shows_stale_visibility(lab: Lab, fake_upstreams: FakeUpstreams) -> None:
    server = await lab.web()
    clock = Clock()
    async with Checker(lab, fake_upstreams).context(clock=clock) as ctx:
        await reach(ctx, target=f"http://site.test:{server.port}/")
        fake_upstreams.fail("ripestat:routing-status", "500")
        clock.now += ENDPOINTS["routing-status"].ttl + 1
        answer = await reach(ctx, target=f"http://site.test:{server.port}/")
    assert answer.data["addresses"][0]["bgp_live"]["stale"] is True
    table = live_section(answer).table
    assert table is not None and table.rows[0][-1].startswith(
        "(stale copy, 15 min old: RIPEstat: server error"
    )
    assert [s.stale for s in answer.sources if s.name == "RIPEstat"] == [True]


async def test_failure_keeps_the_snapshot_stage_and_adds_a_note(
    lab: Lab, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.fail("ripestat:routing-status", "reset")
    async with Checker(lab, fake_upstreams).context() as ctx:
        answer = await reach(ctx, target=f"http://gone.test:{closed_port()}/")
    assert answer.data["verdict"] == "bgp_unrouted"  # the snapshot still decides
    assert answer.data["addresses"][0]["bgp_live"] is None
    error = answer.data["bgp_live_error"]
    assert error.startswith("live BGP visibility of 127.0.0.3: RIPEstat: ")
    assert live_section(answer).text == f"Live data unavailable: {error}"


async def test_offline_asks_nothing(lab: Lab, fake_upstreams: FakeUpstreams) -> None:
    server = await lab.web()
    async with Checker(lab, fake_upstreams).context(offline=True) as ctx:
        answer = await reach(ctx, target=f"http://site.test:{server.port}/")
    assert sum(fake_upstreams.requests.values()) == 0
    assert answer.data["verdict"] == "reachable" and answer.data["addresses"][0]["bgp_live"] is None
    assert "SILKROUTE_OFFLINE=1" in answer.data["bgp_live_error"]
    assert not any(s.name == "RIPEstat" for s in answer.sources)


async def test_live_not_announced_makes_a_silent_address_unrouted_despite_a_stale_snapshot(
    lab: Lab, fake_upstreams: FakeUpstreams, monkeypatch: pytest.MonkeyPatch
) -> None:
    unannounced = {"origins": [], "visibility": {"v4": {"ris_peers_seeing": 0, "total_ris_peers": 356}}}
    monkeypatch.setitem(DOCUMENTED, "routing-status", unannounced)
    async with Checker(lab, fake_upstreams).context(stale=True) as ctx:
        ctx.tr = translator(Language.RU)  # asked in Russian: the JSON keeps English, the text does not
        answer = await reach(ctx, target=f"http://gone.test:{closed_port()}/")
    assert answer.data["verdict"] == "bgp_unrouted"
    assert answer.data["reason"].endswith("and RIPEstat sees no announced prefix covering it now.")
    assert answer.data["addresses"][0]["outcome"] == "bgp_unrouted"
    assert answer.summary.startswith("**bgp_unrouted** — TCP-соединение с 127.0.0.3")
    assert answer.summary.endswith("и RIPEstat сейчас не видит анонсированного префикса, покрывающего его.")
    assert answer.title == "Доступность gone.test"
    assert any(s.title == "2 BGP сейчас (RIPEstat)" for s in answer.sections)


async def test_live_announced_overrides_a_snapshot_that_misses_the_prefix(
    lab: Lab, fake_upstreams: FakeUpstreams
) -> None:
    async with Checker(lab, fake_upstreams).context() as ctx:
        answer = await reach(ctx, target=f"http://gone.test:{closed_port()}/")
    assert answer.data["addresses"][0]["bgp_live"]["announced"] is True
    assert answer.data["verdict"] == "tcp"
    assert answer.data["reason"].endswith("failed (connection refused).")


async def test_without_live_data_a_stale_snapshot_does_not_call_an_address_unrouted(
    lab: Lab, fake_upstreams: FakeUpstreams
) -> None:
    async with Checker(lab, fake_upstreams).context(offline=True, stale=True) as ctx:
        answer = await reach(ctx, target=f"http://gone.test:{closed_port()}/")
    assert answer.data["verdict"] == "tcp"
    assert answer.data["reason"].endswith("; prefix not in the (stale) snapshot.")
