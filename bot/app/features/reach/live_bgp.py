"""`/reach`'s live BGP part: RIPEstat's routing status per distinct prefix, asked all at once.

The failures and stale copies follow the shared live-part rules (`bot.app.live_parts`), so a failing
RIPEstat costs the answer one note, never the reachability verdict.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.app.live_parts import Failed, LiveParts, attempt, stale_label
from bot.i18n import ENGLISH, Translator
from bot.live.sources import LiveSources
from bot.net.address_safety import IPAddress
from bot.reach.bgp import LiveRouting, Network, live_resources, live_routing


@dataclass
class LiveBgp:
    """Live BGP visibility per address (text form) and the parts' sources and failures for the answer."""

    by_address: dict[str, LiveRouting] = field(default_factory=dict)
    parts: LiveParts = field(default_factory=LiveParts)


async def live_bgp(
    addresses: Iterable[tuple[IPAddress, Network]], live: LiveSources | Failed, tr: Translator = ENGLISH
) -> LiveBgp:
    """Ask RIPEstat's routing status once per distinct prefix, all at once; failures become notes."""
    result = LiveBgp(parts=LiveParts(tr=tr))
    if isinstance(live, Failed):
        result.parts.use(live)
        return result
    resources = live_resources(addresses)
    distinct = sorted(set(resources.values()))
    answers = await asyncio.gather(
        *(attempt(live.ripestat.routing_status(r), f"live BGP visibility of {r}") for r in distinct)
    )
    by_resource = {}
    for resource, answer in zip(distinct, answers, strict=True):
        status = result.parts.use(answer)
        if status is not None:
            by_resource[resource] = live_routing(resource, status, stale_label(status.meta, tr).strip())
    result.by_address = {a: by_resource[r] for a, r in resources.items() if r in by_resource}
    return result
