"""The probe panel's host check against local TLS servers, with /reach's safety rules, and the panel's rounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app.wiring import ReachHostCheck
from bot.net.address_safety import SafetyPolicy
from bot.outage.model import Entity, Status
from bot.outage.panel import ProbePanel
from bot.outage.verdict import SignalInput, Thresholds, judge
from tests.bot.reach.servers import make_leaf, server_context
from tests.fixtures.reach_lab import Lab

KZ = Entity("country", "KZ")
HOSTS = {"kaspi.kz": ["127.0.0.1"], "egov.kz": ["127.0.0.1"]}


async def test_a_host_answers_after_tcp_and_a_verified_tls_handshake(lab: Lab) -> None:
    server = await lab.web(context=server_context(lab.tmp, make_leaf(lab.ca, "kaspi.kz"), [lab.ca]))
    config = await lab.config(HOSTS)
    assert await ReachHostCheck(lambda: config, port=server.port)("kaspi.kz")
    # egov.kz resolves to the same server, whose certificate does not name it: not an answer.
    assert not await ReachHostCheck(lambda: config, port=server.port)("egov.kz")


async def test_reach_safety_rules_refuse_loopback_and_a_stall_is_no_answer(lab: Lab) -> None:
    server = await lab.web(context=server_context(lab.tmp, make_leaf(lab.ca, "kaspi.kz"), [lab.ca]))
    safe = await lab.config(HOSTS, policy=SafetyPolicy(allow_unsafe=False))
    assert not await ReachHostCheck(lambda: safe, port=server.port)("kaspi.kz")
    assert server.hits == []
    stall = await lab.stall()
    quick = await lab.config(HOSTS, stage_seconds=0.3)
    assert not await ReachHostCheck(lambda: quick, port=stall.port)("kaspi.kz")
    assert stall.connections == 1


async def test_a_fresh_panel_is_shown_but_not_judged_until_it_has_a_day() -> None:
    answering = True

    async def check(host: str) -> bool:
        return answering

    panel = ProbePanel(list(HOSTS), check, 300)
    thresholds = Thresholds(0.6, timedelta(minutes=20), 7, 3, timedelta(hours=48))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for minutes in range(0, 12 * 60, 5):
        await panel.run_round(now + timedelta(minutes=minutes))
    later = now + timedelta(hours=12)
    data = await panel.fetch(KZ, later - thresholds.history, later)
    (reading,) = judge(KZ, [SignalInput(panel.name, panel.family, data)], later, thresholds).readings
    assert reading.status is Status.NO_BASELINE and reading.value == 1.0
    for minutes in range(12 * 60, 26 * 60, 5):
        answering = minutes < 25 * 60
        await panel.run_round(now + timedelta(minutes=minutes))
    later = now + timedelta(hours=26)
    data = await panel.fetch(KZ, later - thresholds.history, later)
    (reading,) = judge(KZ, [SignalInput(panel.name, panel.family, data)], later, thresholds).readings
    assert reading.status is Status.DOWN and reading.baseline == 1.0
    assert "not answering: kaspi.kz, egov.kz" in data.source.detail
