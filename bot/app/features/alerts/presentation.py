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
from bot.alerts.model import NEWS_RESOLUTION, WORDING, AlertKind, AlertSeverity, OutboxEvent
from bot.alerts.ports import OutageWatch
from bot.alerts.repository import AlertRecord
from bot.app.answer import Answer, Severity
from bot.app.features.outage.command import chart
from bot.core.errors import DomainError
from bot.core.guild_languages import GuildLanguages
from bot.core.settings import Settings
from bot.core.values import Section, Source, Table
from bot.i18n import ENGLISH, N_, Language, Translator, Worded, translator
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
_EVIDENCE_LABELS = {
    "expected_origins": N_("expected origins"),
    "new_origin": N_("new origin"),
    "known_upstreams": N_("known upstreams"),
    "new_upstream": N_("new upstream"),
}


async def alert_translator(languages: GuildLanguages, guild_id: int, default: Language) -> Translator:
    """A channel's alerts speak its server's language (`/settings language:`), else the sink's default."""
    return translator(await languages.get(guild_id) or default)


def status_tag(entry: Entry, tr: Translator = ENGLISH) -> str:
    alert = entry.alert
    _ = tr.gettext
    if alert.kind is AlertKind.TEST:
        return _("TEST")
    if entry.event is OutboxEvent.RESOLVED:
        return (
            _("RESOLVED (opened and resolved while delivery was paused)")
            if entry.also_opened
            else _("RESOLVED")
        )
    if alert.resolution == NEWS_RESOLUTION:
        return _("NEWS")
    if entry.event is OutboxEvent.RENOTIFY:
        return _("STILL OPEN")
    return _("OPEN")


def worded(evidence: dict[str, Any], name: str, english: str, tr: Translator) -> str:
    """An alert text in the channel's language when the monitor recorded its template; as stored otherwise."""
    recorded = (evidence.get(WORDING) or {}).get(name)
    if tr.language is Language.EN or not recorded:
        return english
    return tr.word(Worded.from_json(recorded))


def entry_title(entry: Entry, tr: Translator = ENGLISH) -> str:
    """A recovery reads as one ("Recovered: … visible again"), not as the problem it ends."""
    alert = entry.alert
    if entry.event is OutboxEvent.RESOLVED:
        resolved = alert.evidence.get("resolved_title")
        if resolved:
            return worded(alert.evidence.get("resolution") or {}, "title", str(resolved), tr)
    return worded(alert.evidence, "title", alert.title, tr)


def _resolution(alert: AlertRecord, tr: Translator) -> str:
    return worded(alert.evidence.get("resolution") or {}, "summary", alert.resolution, tr)


def _when(ts: float | None, tr: Translator) -> str:
    return tr.datetime(datetime.fromtimestamp(ts, UTC)) if ts else "—"


def _evidence_sections(entry: Entry, tr: Translator) -> list[Section]:
    _ = tr.gettext
    alert = entry.alert
    evidence = alert.evidence
    lines = [
        _("Alert #{id} · {kind} · opened {time}").format(
            id=alert.id, kind=alert.kind.value, time=_when(alert.opened_at, tr)
        )
    ]
    if alert.resolved_at and entry.event is OutboxEvent.RESOLVED:
        lines.append(
            _("Resolved {time}: {resolution}").format(
                time=_when(alert.resolved_at, tr), resolution=_resolution(alert, tr)
            )
        )
    if alert.acked_by:
        lines.append(_("Acknowledged by {who}").format(who=alert.acked_by))
    for key, label in _EVIDENCE_LABELS.items():
        if key in evidence:
            lines.append(f"{_(label)}: {_as_numbers(evidence[key], tr)}")
    if "rpki" in evidence:
        lines.append(f"rpki: {evidence['rpki']}")
    if "peers_seeing" in evidence:
        lines.append(_("peers still seeing it: {count}").format(count=tr.number(evidence["peers_seeing"])))
    if "snapshot_after" in evidence:
        lines.append(
            _("snapshots: {before} (data of {before_date}) → {after} (data of {after_date})").format(
                before=evidence["snapshot_before"],
                before_date=evidence["data_date_before"],
                after=evidence["snapshot_after"],
                after_date=evidence["data_date_after"],
            )
        )
    if lost := evidence.get("lost_peers"):
        lines.append(
            _("peers that lost it ({count}): {peers}").format(
                count=len(lost), peers=", ".join(lost[:10]) + (" …" if len(lost) > 10 else "")
            )
        )
    rows: list[list[str]] = []
    for label, key in ((_("now"), "paths"), (_("before"), "paths_before")):
        rows.extend([label, peer, path] for peer, path in evidence.get(key, ()))
    resolution = evidence.get("resolution") or {}
    rows.extend([_("after"), peer, path] for peer, path in resolution.get("paths_now", ()))
    title = f"{status_tag(entry, tr)} · {entry_title(entry, tr)}"
    sections = [
        Section(
            title,
            text="\n".join(lines),
            table=Table([_("when"), _("peer"), _("AS path")], rows) if rows else None,
        )
    ]
    if shares := evidence.get("exit_shares"):
        sections.append(
            Section(
                _("Exit countries of AS{asn} (IPv4 route share, before → after)").format(asn=evidence["asn"]),
                table=Table(
                    [_("country"), _("before"), _("after"), _("change")],
                    [
                        [cc, tr.percent(old), tr.percent(new), tr.percent(new - old, signed=True)]
                        for cc, old, new in shares
                    ],
                ),
            )
        )
    if signals := evidence.get("signals"):
        down = ", ".join(evidence.get("down") or ()) or _("none")
        sections.append(
            Section(
                _("Signals (verdict {verdict}, families down: {down})").format(
                    verdict=evidence.get("verdict"), down=down
                ),
                table=Table(
                    [_("signal"), _("status"), _("vs baseline"), _("source")], [list(row) for row in signals]
                ),
            )
        )
    return sections


def _as_numbers(value: Any, tr: Translator) -> str:
    """Evidence that names ASes (one or a list); counts are written as counts by the caller."""
    if isinstance(value, list):
        return ", ".join(f"AS{v}" if isinstance(v, int) else str(v) for v in value) or tr.gettext("none")
    return f"AS{value}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def render_delivery(delivery: Delivery, tr: Translator = ENGLISH) -> Answer:
    """One message for the delivery's alerts, worded in `tr`'s language (the channel's server's)."""
    _ = tr.gettext
    entries = delivery.entries
    first = entries[0]
    if len(entries) == 1:
        title = f"{status_tag(first, tr)}: {entry_title(first, tr)}"
        summary = worded(first.alert.evidence, "summary", first.alert.summary, tr)
        if first.event is OutboxEvent.RESOLVED:
            summary = _("{resolution}\n(was: {summary})").format(
                resolution=_resolution(first.alert, tr), summary=summary
            )
    else:
        target = first.alert.target or _("the live feed")
        title = tr.ngettext("{count} alert for {target}", "{count} alerts for {target}", len(entries)).format(
            count=len(entries), target=target
        )
        summary = "\n".join(f"• {status_tag(e, tr)}: {entry_title(e, tr)}" for e in entries)
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
        sources.append(Source("RIPEstat rpki-validation", None, _("checked when the alert opened")))
    return Answer(
        command="alert",
        title=title,
        summary=summary,
        severity=severity,
        language=tr.language,
        sections=[section for e in entries for section in _evidence_sections(e, tr)],
        sources=sources,
        data={
            "alerts": [{"id": e.alert.id, "event": e.event.value, "key": e.alert.dedupe_key} for e in entries]
        },
    )


async def delivery_answer(
    delivery: Delivery, outage: OutageWatch | None, settings: Settings, tr: Translator = ENGLISH
) -> Answer:
    """`render_delivery` plus the 48 h chart of each outage alert's country or AS, as the sinks post it.

    The chart comes from the outage watch that raised the alert, at delivery time; when it cannot be drawn
    the message still goes out (an alert must never wait for its picture) and says why it has none.
    """
    answer = render_delivery(delivery, tr)
    if outage is None:
        return answer
    keys = {e.alert.evidence.get("entity") for e in delivery.entries if e.alert.kind is AlertKind.OUTAGE}
    for key in sorted(k for k in keys if isinstance(k, str) and ":" in k):
        kind, code = key.split(":", 1)
        entity = Entity(kind, code, country_name(code) if kind == "country" else "")
        try:
            answer.attachments.append(await chart(await outage.verdict(entity), settings, tr))
        except DomainError as exc:
            log.info("no outage chart for %s: %s", key, exc.message)
            answer.sections.append(
                Section(tr.gettext("No chart for {target}").format(target=entity.label), exc.message)
            )
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
