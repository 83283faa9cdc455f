"""`/lookup`'s live section: RIPEstat's view right now next to the snapshot's, fetched concurrently.

Follows the shared live-part rules (`bot.app.live_parts`): offline means no call, a failing source is one
note, each part used adds its source; a difference from the snapshot is news for the summary.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from bot.app.answer import Answer, Severity
from bot.app.features.lookup.presentation import MAX_ROWS
from bot.app.live_parts import Failed, LiveParts, attempt, stale_label
from bot.live.ripestat import RoutingStatus
from bot.live.sources import LiveSources

LIVE_TITLE = "Live (RIPEstat)"
MAX_RPKI = 5


def _visibility(status: RoutingStatus, family: int) -> tuple[dict[str, Any], str]:
    seeing, total = status.peers_seeing(family)
    data = {"family": f"ipv{family}", "ris_peers_seeing": seeing, "total_ris_peers": total}
    text = f"Visibility: seen by {seeing} of {total} RIS peers (IPv{family}){stale_label(status.meta)}."
    return {**data, "stale": status.meta.stale}, text


def _origins_news(answer: Answer, live_origins: list[int], label: str) -> tuple[bool, str]:
    """Compare RIPEstat's current origins with the snapshot's; a difference is news for the summary."""
    ours = sorted(answer.data.get("origins") or [])
    names = ", ".join(f"AS{a}" for a in live_origins) or "none (not announced)"
    if live_origins == ours:
        return False, f"Current origins: {names}, the same as in the snapshot{label}."
    before = ", ".join(f"AS{a}" for a in ours) or "none"
    answer.summary += f" Live: RIPEstat now sees origin {names}, the snapshot has {before}."
    answer.severity = Severity.WARNING
    return True, f"Current origins: {names}, which differ from the snapshot's ({before}){label}."


async def _live_ip_or_prefix(
    answer: Answer, live: LiveSources, parts: LiveParts
) -> tuple[dict[str, Any] | None, list[str]]:
    """Routing status (and network-info for an address) at once, then RPKI for each current origin."""
    data = answer.data
    is_ip = data["kind"] in ("ip", "domain")
    resource = data["ip"] if is_ip else data["query"]
    family = ipaddress.ip_network(resource, strict=False).version
    ripestat = live.ripestat
    if is_ip:
        status_result, info_result = await asyncio.gather(
            attempt(ripestat.routing_status(resource), "visibility"),
            attempt(ripestat.network_info(resource), "current origins"),
        )
        info = parts.use(info_result)
    else:
        status_result, info = await attempt(ripestat.routing_status(resource), "visibility"), None
    status = parts.use(status_result)
    if status is None and info is None:
        return None, []
    lines: list[str] = []
    visibility = None
    if status is not None:
        visibility, text = _visibility(status, family)
        lines.append(text)
    origins_from = info if info is not None else status
    assert origins_from is not None
    live_origins = sorted(set(origins_from.origins))
    differ, text = _origins_news(answer, live_origins, stale_label(origins_from.meta))
    lines.append(text)
    prefix = info.prefix if info is not None else (None if is_ip else resource)
    prefix = prefix or data.get("prefix")
    rpki = []
    if prefix:
        checks = live_origins[:MAX_RPKI]
        results = await asyncio.gather(
            *(attempt(ripestat.rpki_validation(a, prefix), f"RPKI of AS{a}") for a in checks)
        )
        rpki = [r for r in map(parts.use, results) if r is not None]
    invalid = [r for r in rpki if r.status.startswith("invalid")]
    if invalid:
        answer.summary += " RPKI: " + ", ".join(f"AS{r.asn} {r.prefix} is {r.status}" for r in invalid) + "."
        answer.severity = Severity.WARNING
    live_data = {
        "resource": resource,
        "prefix": prefix,
        "visibility": visibility,
        "origins": live_origins,
        "origins_differ": differ,
        "rpki": [{"asn": r.asn, "prefix": r.prefix, "status": r.status, "stale": r.meta.stale} for r in rpki],
        "stale": parts.stale,
    }
    lines += [f"RPKI: AS{r.asn} {r.prefix} is {r.status}{stale_label(r.meta)}." for r in rpki]
    return live_data, lines


async def _live_asn(
    answer: Answer, live: LiveSources, parts: LiveParts
) -> tuple[dict[str, Any] | None, list[str]]:
    """Holder and announced state (as-overview) and upstream neighbours (asn-neighbours), fetched at once."""
    asn = int(answer.data["asn"])
    overview_result, neighbours_result = await asyncio.gather(
        attempt(live.ripestat.as_overview(asn), "holder"),
        attempt(live.ripestat.asn_neighbours(asn), "upstream neighbours"),
    )
    overview, neighbours = parts.use(overview_result), parts.use(neighbours_result)
    lines: list[str] = []
    live_data: dict[str, Any] = {"asn": asn, "stale": parts.stale}
    if overview is not None:
        announced = "announcing prefixes" if overview.announced else "announcing nothing"
        lines.append(f"Holder: {overview.holder or '?'}; {announced} now{stale_label(overview.meta)}.")
        live_data.update(holder=overview.holder, announced=overview.announced)
        if not overview.announced and answer.data.get("prefixes"):
            answer.summary += f" Live: RIPEstat sees no announcement from AS{asn} now."
            answer.severity = Severity.WARNING
    if neighbours is not None:
        upstreams = sorted(neighbours.of_type("left"), key=lambda n: (-n.v4_peers - n.v6_peers, n.asn))
        shown = ", ".join(f"AS{n.asn}" for n in upstreams[:MAX_ROWS])
        lines.append(
            f"Upstream (left) neighbours: {len(upstreams)}"
            + (f": {shown}" if shown else "")
            + f"; the snapshot has {len(answer.data.get('neighbours') or [])}{stale_label(neighbours.meta)}."
        )
        live_data.update(upstreams=len(upstreams), upstream_asns=[n.asn for n in upstreams])
    return (live_data if overview or neighbours else None), lines


async def add_live(answer: Answer, live: LiveSources | Failed) -> None:
    """Add the live section, sources and JSON `live`/`live_error`; the snapshot answer stands either way."""
    parts = LiveParts()
    live_data: dict[str, Any] | None = None
    lines: list[str] = []
    if isinstance(live, Failed):
        parts.use(live)
    elif answer.data["kind"] == "asn":
        live_data, lines = await _live_asn(answer, live, parts)
    else:
        live_data, lines = await _live_ip_or_prefix(answer, live, parts)
    answer.data["live"] = live_data
    answer.data["live_error"] = parts.error
    parts.add_to(answer, LIVE_TITLE, lines)
