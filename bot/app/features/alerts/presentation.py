"""An alert message as an `Answer`, so the console and Discord render it with their usual renderers.

Every alert carries its evidence (AS paths, peers, before/after) because operators want to judge an
alert from the message alone, without opening another tool; an outage alert also carries the `/outage`
chart, drawn when the message leaves (the outbox stores evidence rows, not 48 h of series).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from bot.alerts.delivery import Delivery, Entry
from bot.alerts.model import NEWS_RESOLUTION, AlertKind, AlertSeverity, OutboxEvent
from bot.alerts.ports import OutageWatch
from bot.alerts.repository import AlertRecord
from bot.app.answer import Answer, Severity
from bot.app.features.outage.command import chart
from bot.core.errors import DomainError
from bot.core.settings import Settings
from bot.core.values import Section, Source, Table
from bot.outage.model import Entity
from bot.routing.country_names import country_name

log = logging.getLogger(__name__)

_SEVERITY = {
    AlertSeverity.CRITICAL: Severity.CRITICAL,
    AlertSeverity.WARNING: Severity.WARNING,
    AlertSeverity.OK: Severity.OK,
    AlertSeverity.INFO: Severity.INFO,
}
_SOURCES = {
    AlertKind.ORIGIN: "RIS Live (RIPE NCC)",
    AlertKind.VISIBILITY: "RIS Live (RIPE NCC)",
    AlertKind.UPSTREAM: "RIS Live (RIPE NCC)",
    AlertKind.FEED: "RIS Live (RIPE NCC)",
    AlertKind.EXIT: "routing snapshot",
    AlertKind.SITE: "reach check",
    AlertKind.OUTAGE: "outage watch (/outage signals)",
    AlertKind.TEST: "silkroute",
}


def status_tag(entry: Entry) -> str:
    alert = entry.alert
    if alert.kind is AlertKind.TEST:
        return "TEST"
    if entry.event is OutboxEvent.RESOLVED:
        return "RESOLVED (opened and resolved while delivery was paused)" if entry.also_opened else "RESOLVED"
    if alert.resolution == NEWS_RESOLUTION:
        return "NEWS"
    if entry.event is OutboxEvent.RENOTIFY:
        return "STILL OPEN"
    return "OPEN"


def entry_title(entry: Entry) -> str:
    """A recovery reads as one ("Recovered: … visible again"), not as the problem it ends."""
    if entry.event is OutboxEvent.RESOLVED:
        return str(entry.alert.evidence.get("resolved_title") or entry.alert.title)
    return entry.alert.title


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "—"


def _evidence_sections(entry: Entry) -> list[Section]:
    alert = entry.alert
    evidence = alert.evidence
    lines = [f"Alert #{alert.id} · {alert.kind.value} · opened {_when(alert.opened_at)}"]
    if alert.resolved_at and entry.event is OutboxEvent.RESOLVED:
        lines.append(f"Resolved {_when(alert.resolved_at)}: {alert.resolution}")
    if alert.acked_by:
        lines.append(f"Acknowledged by {alert.acked_by}")
    for key in ("expected_origins", "new_origin", "known_upstreams", "new_upstream"):
        if key in evidence:
            lines.append(f"{key.replace('_', ' ')}: {_as_numbers(evidence[key])}")
    if "rpki" in evidence:
        lines.append(f"rpki: {evidence['rpki']}")
    if "peers_seeing" in evidence:
        lines.append(f"peers still seeing it: {evidence['peers_seeing']:,}")
    if "snapshot_after" in evidence:
        lines.append(
            f"snapshots: {evidence['snapshot_before']} (data of {evidence['data_date_before']}) → "
            f"{evidence['snapshot_after']} (data of {evidence['data_date_after']})"
        )
    if lost := evidence.get("lost_peers"):
        lines.append(
            f"peers that lost it ({len(lost)}): {', '.join(lost[:10])}{' …' if len(lost) > 10 else ''}"
        )
    rows: list[list[str]] = []
    for label, key in (("now", "paths"), ("before", "paths_before")):
        rows.extend([label, peer, path] for peer, path in evidence.get(key, ()))
    resolution = evidence.get("resolution") or {}
    rows.extend(["after", peer, path] for peer, path in resolution.get("paths_now", ()))
    title = f"{status_tag(entry)} · {entry_title(entry)}"
    sections = [
        Section(
            title, text="\n".join(lines), table=Table(["when", "peer", "AS path"], rows) if rows else None
        )
    ]
    if shares := evidence.get("exit_shares"):
        sections.append(
            Section(
                f"Exit countries of AS{evidence['asn']} (IPv4 route share, before → after)",
                table=Table(
                    ["country", "before", "after", "change"],
                    [[cc, f"{old:.1%}", f"{new:.1%}", f"{new - old:+.1%}"] for cc, old, new in shares],
                ),
            )
        )
    if signals := evidence.get("signals"):
        down = ", ".join(evidence.get("down") or ()) or "none"
        sections.append(
            Section(
                f"Signals (verdict {evidence.get('verdict')}, families down: {down})",
                table=Table(["signal", "status", "vs baseline", "source"], [list(row) for row in signals]),
            )
        )
    return sections


def _as_numbers(value: Any) -> str:
    """Evidence that names ASes (one or a list); counts are written as counts by the caller."""
    if isinstance(value, list):
        return ", ".join(f"AS{v}" if isinstance(v, int) else str(v) for v in value) or "none"
    return f"AS{value}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def render_delivery(delivery: Delivery) -> Answer:
    entries = delivery.entries
    first = entries[0]
    if len(entries) == 1:
        title = f"{status_tag(first)}: {entry_title(first)}"
        summary = first.alert.summary
        if first.event is OutboxEvent.RESOLVED:
            summary = f"{first.alert.resolution}\n(was: {first.alert.summary})"
    else:
        target = first.alert.target or "the live feed"
        title = f"{len(entries)} alerts for {target}"
        summary = "\n".join(f"• {status_tag(e)}: {entry_title(e)}" for e in entries)
    worst = max(entries, key=lambda e: e.alert.severity.rank)
    severity = (
        Severity.OK
        if all(e.event is OutboxEvent.RESOLVED for e in entries)
        else _SEVERITY[worst.alert.severity]
    )
    sources = sorted(
        {_source(e.alert) for e in entries},
        key=lambda s: (s.name, s.date or datetime.min.replace(tzinfo=UTC)),
    )
    if any("rpki" in e.alert.evidence for e in entries):
        sources.append(Source("RIPEstat rpki-validation", None, "checked when the alert opened"))
    return Answer(
        command="alert",
        title=title,
        summary=summary,
        severity=severity,
        sections=[section for e in entries for section in _evidence_sections(e)],
        sources=sources,
        data={
            "alerts": [{"id": e.alert.id, "event": e.event.value, "key": e.alert.dedupe_key} for e in entries]
        },
    )


async def delivery_answer(delivery: Delivery, outage: OutageWatch | None, settings: Settings) -> Answer:
    """`render_delivery` plus the 48 h chart of each outage alert's country or AS, as the sinks post it.

    The chart comes from the outage watch that raised the alert, at delivery time; when it cannot be drawn
    the message still goes out (an alert must never wait for its picture) and says why it has none.
    """
    answer = render_delivery(delivery)
    if outage is None:
        return answer
    keys = {e.alert.evidence.get("entity") for e in delivery.entries if e.alert.kind is AlertKind.OUTAGE}
    for key in sorted(k for k in keys if isinstance(k, str) and ":" in k):
        kind, code = key.split(":", 1)
        entity = Entity(kind, code, country_name(code) if kind == "country" else "")
        try:
            answer.attachments.append(await chart(await outage.verdict(entity), settings))
        except DomainError as exc:
            log.info("no outage chart for %s: %s", key, exc.message)
            answer.sections.append(Section(f"No chart for {entity.label}", exc.message))
    return answer


def _source(alert: AlertRecord) -> Source:
    """Snapshot comparisons cite the newer snapshot and its data date; the others the time they saw it."""
    if "snapshot_after" in alert.evidence:
        date = alert.evidence["data_date_after"]
        return Source(
            "routing snapshot",
            datetime.strptime(date, "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC) if date != "unknown" else None,
            f"{alert.evidence['snapshot_after']} compared with {alert.evidence['snapshot_before']}",
        )
    return Source(_SOURCES[alert.kind], datetime.fromtimestamp(alert.opened_at, UTC))
