"""The /reach handler end to end: settings, progress as results arrive, JSON data, the snapshot."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bot.app.answer import Severity
from bot.app.commands import Caller, Context, Registry, parse_command_line
from bot.app.features.reach.command import COMMANDS
from bot.app.limits import FairUse
from bot.app.runner import execute
from bot.core.errors import DataUnavailable, InvalidInput
from bot.core.settings import LimitSettings, ReachSettings, Settings
from bot.reach.verdict import VERDICTS
from tests.bot.reach.servers import closed_port
from tests.fixtures.reach_lab import FakeSnapshot, Lab, Progress, Provenance
from tests.helpers import make_services


async def _context(lab: Lab, records: dict[str, list[str]], snapshot: FakeSnapshot | None = None) -> Context:
    dns = await lab.dns(records)
    reach = ReachSettings(
        silkroute_allow_unsafe_targets=True,
        silkroute_public_resolver=f"127.0.0.1:{dns.port}",
        silkroute_system_resolver=f"127.0.0.1:{dns.port}",
        silkroute_reach_timeout=1.0,
        silkroute_reach_extra_ca_file=lab.ca_file,
    )
    services = make_services(Settings(reach=reach), snapshot=snapshot)
    return Context(services=services, caller=Caller("tester", False), progress=Progress())


def test_spec_is_declared_with_its_options() -> None:
    registry = Registry()
    registry.extend(COMMANDS)
    invocation = parse_command_line('/reach target:"nur.kz kaspi.kz" vantage:atlas asn:9198', registry)
    assert invocation.options == {"target": "nur.kz kaspi.kz", "vantage": "atlas", "asn": 9198}
    assert parse_command_line("/reach nur.kz", registry).options["vantage"] == "local"


async def test_one_target_answer_carries_verdict_reason_addresses_and_dns(lab: Lab) -> None:
    server = await lab.web()
    ctx = await _context(lab, {"site.test": ["127.0.0.1"]}, FakeSnapshot())
    answer = await COMMANDS[0].handler(ctx, target=f"http://site.test:{server.port}/")
    data = answer.data
    assert data["verdict"] == "reachable" and data["reason"]
    assert data["dns"]["consistency"] == "consistent"
    [address] = data["addresses"]
    assert (address["asn"], address["prefix"], address["as_name"]) == (9198, "127.0.0.0/8", "KAZTELECOM-AS")
    assert address["tcp"]["ok"] and address["http"]["status_code"] == 200 and address["tls"] is None
    assert data["targets"][0]["verdict"] == "reachable"
    assert answer.severity is Severity.OK
    assert any(s.title == "2 BGP" and s.table is not None for s in answer.sections)
    assert answer.sources and answer.sources[0].date is not None


async def test_without_a_snapshot_reach_still_works_and_says_so(lab: Lab) -> None:
    server = await lab.web()
    ctx = await _context(lab, {"site.test": ["127.0.0.1"]}, None)
    answer = await COMMANDS[0].handler(ctx, target=f"http://site.test:{server.port}/")
    assert answer.data["verdict"] == "reachable"
    assert answer.data["addresses"][0]["asn"] is None
    bgp = next(s for s in answer.sections if s.title == "2 BGP")
    assert "No routing snapshot" in bgp.text


async def test_unannounced_address_that_does_not_connect_is_bgp_unrouted(lab: Lab) -> None:
    ctx = await _context(lab, {"gone.test": ["127.0.0.3"]}, FakeSnapshot())
    answer = await COMMANDS[0].handler(ctx, target=f"http://gone.test:{closed_port()}/")
    assert answer.data["verdict"] == "bgp_unrouted"
    assert answer.data["addresses"][0]["announced"] is False


@pytest.mark.parametrize(
    ("snapshot", "gaps"),
    [
        (FakeSnapshot(stale=True), "stale"),
        (FakeSnapshot(provenance=Provenance(["rrc00/bview.20241010.0800.gz"])), "partial"),
        (FakeSnapshot(stale=True, provenance=Provenance(["rrc00/bview.gz"])), "stale and partial"),
    ],
)
async def test_absence_from_a_stale_or_partial_snapshot_is_a_plain_tcp_failure(
    lab: Lab, snapshot: FakeSnapshot, gaps: str
) -> None:
    ctx = await _context(lab, {"gone.test": ["127.0.0.3"]}, snapshot)
    answer = await COMMANDS[0].handler(ctx, target=f"http://gone.test:{closed_port()}/")
    assert answer.data["verdict"] == "tcp"
    assert answer.data["reason"].endswith(f"; prefix not in the ({gaps}) snapshot.")
    assert answer.data["addresses"][0]["announced"] is False


async def test_several_targets_run_concurrently_and_report_progress(lab: Lab) -> None:
    server = await lab.web()
    stall = await lab.stall()
    ctx = await _context(lab, {"site.test": ["127.0.0.1"]}, FakeSnapshot())
    targets = (
        f"http://site.test:{server.port}/, https://site.test:{stall.port}/ http://site.test:{closed_port()}/"
    )
    answer = await COMMANDS[0].handler(ctx, target=targets)
    verdicts = [t["verdict"] for t in answer.data["targets"]]
    assert verdicts == ["reachable", "tls_timeout", "tcp"]  # the order typed, not the order finished
    assert "verdict" not in answer.data
    assert set(verdicts) <= set(VERDICTS)
    progress = ctx.progress
    assert isinstance(progress, Progress)
    assert [len(a.data["pending"]) for a in progress.answers] == [2, 1]
    assert "still being checked" in progress.answers[0].summary
    assert progress.answers[-1].data["pending"] == [f"https://site.test:{stall.port}/"]


async def test_asn_without_atlas_and_atlas_without_key_are_explained(lab: Lab) -> None:
    ctx = await _context(lab, {})
    with pytest.raises(InvalidInput, match="vantage:atlas"):
        await COMMANDS[0].handler(ctx, target="nur.kz", asn=9198)
    with pytest.raises(DataUnavailable, match="RIPE_ATLAS_KEY"):
        await COMMANDS[0].handler(ctx, target="nur.kz", vantage="atlas")


async def test_default_settings_refuse_a_loopback_literal(lab: Lab) -> None:
    server = await lab.web()
    ctx = Context(services=make_services(Settings()), caller=Caller("tester", False))
    answer = await COMMANDS[0].handler(ctx, target=f"http://127.0.0.1:{server.port}/")
    assert answer.data["verdict"] == "refused_unsafe_target"
    assert server.hits == []


async def test_fifty_concurrent_reach_calls_keep_the_process_wide_probe_cap(lab: Lab) -> None:
    in_flight, peak, release, capped = 0, 0, asyncio.Event(), asyncio.Event()

    async def held(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 4:
            capped.set()
        await release.wait()
        in_flight -= 1
        return web.Response(text="ok")

    server = await lab.web(held)
    ctx = await _context(lab, {"site.test": ["127.0.0.1"]}, FakeSnapshot())
    ctx.services.limits = FairUse(LimitSettings(silkroute_max_concurrent_probes=4))
    spec = COMMANDS[0]
    calls = [
        asyncio.create_task(
            execute(spec, ctx, {"target": f"http://site.test:{server.port}/{n}", "vantage": "local"})
        )
        for n in range(50)
    ]
    await asyncio.wait_for(capped.wait(), 10)
    for _ in range(50):  # give any probe beyond the cap every chance to start
        await asyncio.sleep(0)
    assert in_flight == 4 and ctx.services.limits.probes_running == 4
    release.set()
    answers = await asyncio.gather(*calls)
    assert peak == 4
    assert all(a.data["verdict"] == "reachable" for a in answers)
