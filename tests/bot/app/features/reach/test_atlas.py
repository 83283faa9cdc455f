"""vantage:atlas against a local aiohttp server imitating the RIPE Atlas v2 API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.app.commands import Caller, Context
from bot.app.features.reach.command import COMMANDS
from bot.core.errors import DataUnavailable
from bot.core.settings import CoreSettings, LiveSettings, ReachSettings, Settings
from bot.live import LiveSources
from tests.bot.reach.servers import WebServer, make_ca, make_leaf, name
from tests.fixtures.reach_lab import Lab
from tests.helpers import make_services


@dataclass
class FakeAtlas:
    """POST /measurements/ -> ids; GET results: one probe now, the rest on the next poll."""

    results: list[dict[str, Any]]
    created: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    status: int = 201

    async def create(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Key secret-key"
        body = await request.json()
        self.created.append(body)
        if self.status != 201:
            return web.json_response({"error": {"detail": "slow down"}}, status=self.status)
        return web.json_response(
            {"measurements": [1000 + i for i in range(len(body["definitions"]))]}, status=201
        )

    async def results_of(self, request: web.Request) -> web.Response:
        assert request.match_info["id"] == "1000"
        self.polls += 1
        return web.json_response(self.results[: self.polls])


def _row(probe: int, chain: list[bytes]) -> dict[str, Any]:
    return {
        "prb_id": probe,
        "from": f"95.56.0.{probe}",
        "dst_addr": "127.0.0.1",
        "rt": 120.5,
        "cert": [c.decode() for c in chain],
    }


async def _context(lab: Lab, atlas: FakeAtlas) -> tuple[Context, int]:
    """A context whose Atlas URL is the fake, and the port of a local site to check."""
    app = web.Application()
    app.router.add_post("/api/v2/measurements/", atlas.create)
    app.router.add_get("/api/v2/measurements/{id}/results/", atlas.results_of)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    lab.closers.append(WebServer(runner, port))
    server = await lab.web()
    dns = await lab.dns({"site.test": ["127.0.0.1"]})
    settings = Settings(
        core=CoreSettings(silkroute_offline=False),
        live=LiveSettings(
            ripe_atlas_url=f"http://127.0.0.1:{port}/api/v2",
            ripe_atlas_key="secret-key",
            silkroute_http_retries=0,
        ),
        reach=ReachSettings(
            silkroute_allow_unsafe_targets=True,
            silkroute_public_resolver=f"127.0.0.1:{dns.port}",
            silkroute_system_resolver=f"127.0.0.1:{dns.port}",
            silkroute_atlas_probes=2,
            silkroute_atlas_wait_seconds=2.0,
            silkroute_atlas_poll_seconds=0.01,
        ),
    )
    live = LiveSources(settings)
    lab.closers.append(live)
    return Context(services=make_services(settings, live=live), caller=Caller("tester", False)), server.port


async def test_probes_chains_are_checked_for_interception(lab: Lab) -> None:
    isca = make_ca(name(C="KZ", O="ISCA", CN="Information Security Certification Authority"))
    real = make_ca(name(C="US", O="Real CA", CN="Real Root"))
    atlas = FakeAtlas(
        [
            _row(1, [make_leaf(real, "site.test").pem(), real.pem()]),
            _row(2, [make_leaf(isca, "site.test").pem(), isca.pem()]),
        ]
    )
    ctx, port = await _context(lab, atlas)
    answer = await COMMANDS[0].handler(ctx, target=f"http://site.test:{port}/", vantage="atlas", asn=9198)
    [created] = atlas.created
    assert created["probes"] == [{"requested": 2, "type": "asn", "value": 9198}]
    assert created["definitions"][0]["type"] == "sslcert" and created["is_oneoff"] is True
    [measurement] = answer.data["atlas"]
    assert measurement["complete"] and atlas.polls == 2
    intercepted = [r["probe_id"] for r in measurement["results"] if r["interception"]]
    assert intercepted == [2]
    assert "interception certificate" in answer.summary
    section = next(s for s in answer.sections if s.title == "Inside Kazakhstan (RIPE Atlas)")
    assert section.table is not None and len(section.table.rows) == 2
    assert answer.data["verdict"] == "reachable"  # the local view is kept apart from the probes' view


async def test_results_still_missing_at_the_deadline_are_reported_as_partial(lab: Lab) -> None:
    atlas = FakeAtlas([])
    ctx, port = await _context(lab, atlas)
    ctx.services.settings.reach.silkroute_atlas_wait_seconds = 0.2
    answer = await COMMANDS[0].handler(ctx, target=f"http://site.test:{port}/", vantage="atlas")
    [measurement] = answer.data["atlas"]
    assert not measurement["complete"] and measurement["results"] == []
    assert atlas.created[0]["probes"] == [{"requested": 2, "type": "country", "value": "KZ"}]


async def test_rate_limit_is_unavailable_with_a_clear_message(lab: Lab) -> None:
    atlas = FakeAtlas([], status=429)
    ctx, port = await _context(lab, atlas)
    with pytest.raises(DataUnavailable, match="rate-limiting"):
        await COMMANDS[0].handler(ctx, target=f"http://site.test:{port}/", vantage="atlas")
