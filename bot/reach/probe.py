"""Run every stage for one target: DNS, routing, then TCP → TLS → HTTP for each address in parallel."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import DataUnavailable
from bot.core.settings import Settings
from bot.net.address_safety import IPAddress, SafetyPolicy
from bot.net.dns import Nameserver, compare, resolve
from bot.reach.bgp import LiveRouting, RoutingView, network_of
from bot.reach.fetch import HttpLimits, fetch
from bot.reach.interception import InterceptionDetector
from bot.reach.report import AddressReport, DnsReport, TargetReport
from bot.reach.site import Target
from bot.reach.tls import tcp_connect, tls_handshake
from bot.reach.verdict import address_outcome, decide

MAX_SYSTEM_ADDRESSES = 4
MAX_CONTROL_ADDRESSES = 2


@dataclass(frozen=True, slots=True)
class ReachConfig:
    """Everything a check needs, built once from settings; tests replace single fields."""

    policy: SafetyPolicy
    system_resolver: Nameserver | None
    public_resolver: Nameserver
    timeout: float
    max_bytes: int
    detector: InterceptionDetector
    extra_ca_file: Path | None = None
    user_agent: str = "silkroute reachability check"

    @classmethod
    def from_settings(cls, settings: Settings) -> ReachConfig:
        """Translate settings, naming the variable when one cannot be used."""
        reach = settings.reach
        try:
            public = Nameserver.parse(reach.silkroute_public_resolver)
        except ValueError:
            raise DataUnavailable(
                "SILKROUTE_PUBLIC_RESOLVER must be an IP address with an optional port."
            ) from None
        try:
            system = (
                Nameserver.parse(reach.silkroute_system_resolver) if reach.silkroute_system_resolver else None
            )
        except ValueError:
            raise DataUnavailable(
                "SILKROUTE_SYSTEM_RESOLVER must be empty or an IP address with a port."
            ) from None
        try:
            detector = InterceptionDetector.from_setting(reach.silkroute_extra_interception_spki)
        except ValueError as exc:
            raise DataUnavailable(str(exc)) from None
        return cls(
            policy=SafetyPolicy(allow_unsafe=reach.silkroute_allow_unsafe_targets),
            system_resolver=system,
            public_resolver=public,
            timeout=reach.silkroute_reach_timeout,
            max_bytes=reach.silkroute_reach_max_bytes,
            detector=detector,
            extra_ca_file=reach.silkroute_reach_extra_ca_file,
            user_agent=f"{settings.live.silkroute_client_name} reachability check",
        )


async def check_target(target: Target, config: ReachConfig, snapshot: RoutingView | None) -> TargetReport:
    """All stages for one target; the verdict is filled in by `bot.reach.verdict.decide`."""
    started = time.perf_counter()
    if target.ip is not None:
        report = TargetReport(target, dns=None)
        found = {target.ip: ["literal"]}
    else:
        dns = await _dns_stage(target.host, config, snapshot)
        report = TargetReport(target, dns=dns)
        found = _candidates(dns)
    report.routing_known = snapshot is not None
    report.addresses = list(
        await asyncio.gather(
            *(_check_address(target, address, names, config, snapshot) for address, names in found.items())
        )
    )
    report.verdict, report.reason = decide(report)
    report.seconds = time.perf_counter() - started
    return report


async def _dns_stage(host: str, config: ReachConfig, snapshot: RoutingView | None) -> DnsReport:
    system, control = await asyncio.gather(
        resolve(host, config.system_resolver, config.timeout),
        resolve(host, config.public_resolver, config.timeout),
    )
    consistency, why = compare(system, control, lambda ip: network_of(ip, snapshot).asn)
    return DnsReport(system, control, consistency, why)


def _candidates(dns: DnsReport) -> dict[IPAddress, list[str]]:
    """The system resolver's addresses first, then a few the control alone returned (for the dns verdict)."""
    found: dict[IPAddress, list[str]] = {}
    for text in dns.system.addresses[:MAX_SYSTEM_ADDRESSES]:
        found.setdefault(ipaddress.ip_address(text), []).append("system")
    extra = 0
    for text in dns.control.addresses:
        address = ipaddress.ip_address(text)
        if address in found:
            found[address].append("control")
        elif extra < MAX_CONTROL_ADDRESSES:
            found[address] = ["control"]
            extra += 1
    return found


async def _check_address(
    target: Target, address: IPAddress, found_by: list[str], config: ReachConfig, snapshot: RoutingView | None
) -> AddressReport:
    report = AddressReport(address, found_by, network_of(address, snapshot))
    report.refused = config.policy.refusal(address, target.port)
    if report.refused is None:
        await _connect_stages(report, target, config)
    report.outcome = address_outcome(report)
    return report


async def _connect_stages(report: AddressReport, target: Target, config: ReachConfig) -> None:
    report.tcp, streams = await tcp_connect(report.address, target.port, config.timeout)
    if streams is None:
        return
    if target.uses_tls:
        report.tls = await tls_handshake(
            streams, target.host, config.timeout, detector=config.detector, extra_ca_file=config.extra_ca_file
        )
        if report.tls.status != "ok":
            return
    else:
        streams[1].close()
    report.http = await fetch(
        target.url,
        report.address,
        policy=config.policy,
        resolve_host=lambda host: _addresses(host, config),
        limits=HttpLimits(config.timeout, config.max_bytes, config.user_agent, config.extra_ca_file),
    )


async def _addresses(host: str, config: ReachConfig) -> list[str]:
    """Redirect hops resolve through the same resolver a user's browser would use."""
    return (await resolve(host, config.system_resolver, config.timeout)).addresses


def apply_live_routing(report: TargetReport, live: Mapping[str, LiveRouting]) -> None:
    """Re-decide with live BGP (fetched after the checks): it settles whether a silent address is unrouted."""
    for address in report.addresses:
        routing = live.get(str(address.address))
        address.live_announced = routing.announced if routing is not None else None
        address.outcome = address_outcome(address)
    report.verdict, report.reason = decide(report)


ProbeSlot = Callable[[], AbstractAsyncContextManager[object]]
"""Held around each target's check: the caller's cap on active probes across the whole process."""


async def check_each(
    targets: list[Target],
    config: ReachConfig,
    snapshot: RoutingView | None,
    concurrency: int,
    slot: ProbeSlot | None = None,
) -> AsyncIterator[TargetReport]:
    """Check targets concurrently (at most `concurrency` at a time, and within `slot`), yielding reports as
    they finish."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(target: Target) -> TargetReport:
        async with semaphore, slot() if slot is not None else contextlib.nullcontext():
            return await check_target(target, config, snapshot)

    tasks = [asyncio.ensure_future(one(t)) for t in targets]
    try:
        for finished in asyncio.as_completed(tasks):
            yield await finished
    finally:
        for task in tasks:
            task.cancel()
