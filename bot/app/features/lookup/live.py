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
from bot.i18n import ENGLISH, N_, Translator
from bot.live.ripestat import RoutingStatus, RpkiValidation
from bot.live.sources import LiveSources

LIVE_TITLE = N_("Live (RIPEstat)")
MAX_RPKI = 5


def _visibility(status: RoutingStatus, family: int, tr: Translator) -> tuple[dict[str, Any], str]:
    seeing, total = status.peers_seeing(family)
    data = {"family": f"ipv{family}", "ris_peers_seeing": seeing, "total_ris_peers": total}
    text = tr.gettext("Visibility: seen by {seeing} of {total} RIS peers (IPv{family}){stale}.").format(
        seeing=seeing, total=total, family=family, stale=stale_label(status.meta, tr)
    )
    return {**data, "stale": status.meta.stale}, text


def _origins_news(answer: Answer, live_origins: list[int], label: str, tr: Translator) -> tuple[bool, str]:
    """Compare RIPEstat's current origins with the snapshot's; a difference is news for the summary."""
    _ = tr.gettext
    ours = sorted(answer.data.get("origins") or [])
    names = ", ".join(f"AS{a}" for a in live_origins) or _("none (not announced)")
    if live_origins == ours:
        return False, _("Current origins: {origins}, the same as in the snapshot{stale}.").format(
            origins=names, stale=label
        )
    before = ", ".join(f"AS{a}" for a in ours) or _("none")
    answer.summary += " " + _("Live: RIPEstat now sees origin {origins}, the snapshot has {before}.").format(
        origins=names, before=before
    )
    answer.severity = Severity.WARNING
    return True, _("Current origins: {origins}, which differ from the snapshot's ({before}){stale}.").format(
        origins=names, before=before, stale=label
    )


def rpki_text(result: RpkiValidation, tr: Translator) -> str:
    """'AS9198 95.56.0.0/14 is valid': the status is RPKI's own code, as operators quote it."""
    return tr.gettext("AS{asn} {prefix} is {status}").format(
        asn=result.asn, prefix=result.prefix, status=result.status
    )


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
    tr = parts.tr
    lines: list[str] = []
    visibility = None
    if status is not None:
        visibility, text = _visibility(status, family, tr)
        lines.append(text)
    origins_from = info if info is not None else status
    assert origins_from is not None
    live_origins = sorted(set(origins_from.origins))
    differ, text = _origins_news(answer, live_origins, stale_label(origins_from.meta, tr), tr)
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
        answer.summary += " RPKI: " + ", ".join(rpki_text(r, tr) for r in invalid) + "."
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
    lines += [f"RPKI: {rpki_text(r, tr)}{stale_label(r.meta, tr)}." for r in rpki]
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
    tr = parts.tr
    _ = tr.gettext
    lines: list[str] = []
    live_data: dict[str, Any] = {"asn": asn, "stale": parts.stale}
    if overview is not None:
        holder = (
            _("Holder: {holder}; announcing prefixes now{stale}.")
            if overview.announced
            else _("Holder: {holder}; announcing nothing now{stale}.")
        )
        lines.append(holder.format(holder=overview.holder or "?", stale=stale_label(overview.meta, tr)))
        live_data.update(holder=overview.holder, announced=overview.announced)
        if not overview.announced and answer.data.get("prefixes"):
            answer.summary += " " + _("Live: RIPEstat sees no announcement from AS{asn} now.").format(asn=asn)
            answer.severity = Severity.WARNING
    if neighbours is not None:
        upstreams = sorted(neighbours.of_type("left"), key=lambda n: (-n.v4_peers - n.v6_peers, n.asn))
        shown = ", ".join(f"AS{n.asn}" for n in upstreams[:MAX_ROWS])
        lines.append(
            _("Upstream (left) neighbours: {count}{shown}; the snapshot has {ours}{stale}.").format(
                count=len(upstreams),
                shown=f": {shown}" if shown else "",
                ours=len(answer.data.get("neighbours") or []),
                stale=stale_label(neighbours.meta, tr),
            )
        )
        live_data.update(upstreams=len(upstreams), upstream_asns=[n.asn for n in upstreams])
    return (live_data if overview or neighbours else None), lines


async def add_live(answer: Answer, live: LiveSources | Failed, tr: Translator = ENGLISH) -> None:
    """Add the live section, sources and JSON `live`/`live_error`; the snapshot answer stands either way."""
    parts = LiveParts(tr=tr)
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
    parts.add_to(answer, tr.gettext(LIVE_TITLE), lines)
