"""Turn target reports into an `Answer`: readable sections for people, `data` for scripts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.app.answer import Answer, Severity
from bot.app.features.reach.live_bgp import LiveBgp
from bot.core.values import Section, Source, Table
from bot.i18n import ENGLISH, N_, Translator
from bot.reach.bgp import RoutingView
from bot.reach.probe import ReachConfig
from bot.reach.report import AddressReport, TargetReport
from bot.reach.site import Target
from bot.reach.verdict import STAGE_OF

_SEVERITY = {
    "reachable": Severity.OK,
    "tls_intercepted": Severity.CRITICAL,
    "refused_unsafe_target": Severity.INFO,
}
_ORDER = [Severity.INFO, Severity.OK, Severity.WARNING, Severity.CRITICAL]
BGP_TITLE = N_("2 BGP")


def target_data(report: TargetReport, live: LiveBgp | None = None) -> dict[str, Any]:
    """The JSON for one target: verdict, reason, failed stage, dns and every address's stages.

    With `live`, each address gets `bgp_live` (RIPEstat's routing status now, or null) and the target
    `bgp_live_error` (why some or all of it is missing, or null).
    """
    addresses = [a.to_json() for a in report.addresses]
    if live is not None:
        for address, item in zip(report.addresses, addresses, strict=True):
            routing = live.by_address.get(str(address.address))
            item["bgp_live"] = routing.to_json() if routing else None
    data: dict[str, Any] = {
        "target": report.target.text,
        "url": report.target.url,
        "verdict": report.verdict,
        "reason": report.reason,
        "stage": STAGE_OF.get(report.verdict, "unknown"),
        "seconds": round(report.seconds, 3),
        "routing_snapshot": report.routing_known,
        "dns": report.dns.to_json() if report.dns else None,
        "addresses": addresses,
    }
    if live is not None:
        data["bgp_live_error"] = live.parts.error
    return data


def build_answer(
    reports: list[TargetReport],
    pending: list[Target],
    config: ReachConfig,
    snapshot: RoutingView | None,
    extra_sections: list[Section] | None = None,
    live: LiveBgp | None = None,
    tr: Translator = ENGLISH,
) -> Answer:
    """One answer for one or many targets; `pending` lists those still running (progress messages).

    `live` (final answers only) adds RIPEstat's current BGP view next to the snapshot's, with its sources.
    """
    _ = tr.gettext
    severity = max(
        (_SEVERITY.get(r.verdict, Severity.WARNING) for r in reports), key=_ORDER.index, default=Severity.INFO
    )
    data: dict[str, Any] = {"targets": [target_data(r, live) for r in reports]}
    if len(reports) == 1 and not pending:
        data.update(target_data(reports[0], live))
        sections = _detail_sections(reports[0], tr)
        title = _("Reachability of {host}").format(host=reports[0].target.host)
        summary = f"**{reports[0].verdict}** — {tr.word(reports[0].reason)}"
    else:
        sections = [_overview(reports, pending, tr)]
        sections += [s for r in reports if r.verdict == "tls_intercepted" for s in _chain_sections(r, tr)]
        title = tr.ngettext(
            "Reachability of {count} target", "Reachability of {count} targets", len(reports) + len(pending)
        ).format(count=len(reports) + len(pending))
        counts: dict[str, int] = {}
        for report in reports:
            counts[report.verdict] = counts.get(report.verdict, 0) + 1
        done = ", ".join(f"{n} {verdict}" for verdict, n in counts.items()) or _("nothing finished yet")
        summary = f"{done}" + (
            _("; {count} still being checked…").format(count=len(pending)) if pending else "."
        )
    if pending:
        data["pending"] = [t.text for t in pending]
    if live is not None:
        _add_live_section(sections, reports, live, tr)
    sections += extra_sections or []
    answer = Answer(
        command="reach",
        title=title,
        summary=summary,
        severity=severity,
        sections=sections,
        sources=_sources(config, snapshot, tr),
        data=data,
    )
    if live is not None:
        live.parts.add_sources(answer)
    return answer


def _add_live_section(
    sections: list[Section], reports: list[TargetReport], live: LiveBgp, tr: Translator
) -> None:
    """RIPEstat's view right now, placed after the snapshot's BGP section (or the overview)."""
    _ = tr.gettext
    table = Table(
        [_("address"), _("resource"), _("announced"), _("RIS peers seeing"), _("origins"), _("note")]
    )
    for a in (a for r in reports for a in r.addresses):
        routing = live.by_address.get(str(a.address))
        if routing is not None:
            origins = " ".join(f"AS{x}" for x in routing.origins) or "–"
            table.rows.append(
                [
                    str(a.address),
                    routing.resource,
                    _("yes") if routing.announced else _("no"),
                    _("{seeing} of {total}").format(seeing=routing.peers_seeing, total=routing.peers_total),
                    origins,
                    routing.note,
                ]
            )
    lines = [_("RIPEstat's routing status now, reported apart from reachability.")] if table.rows else []
    section = live.parts.section(_("2 BGP live (RIPEstat)"), lines, table if table.rows else None)
    if section is None:
        return
    bgp = _(BGP_TITLE)
    after = next((i + 1 for i, s in enumerate(sections) if s.title == bgp), min(1, len(sections)))
    sections.insert(after, section)


def _overview(reports: list[TargetReport], pending: list[Target], tr: Translator) -> Section:
    _ = tr.gettext
    table = Table([_("target"), _("verdict"), _("stage"), _("network"), _("time")])
    lines = []
    for report in reports:
        address = _focus(report)
        network = address.network.label() if address else "–"
        table.rows.append(
            [
                report.target.text,
                report.verdict,
                STAGE_OF.get(report.verdict, "?"),
                network,
                f"{report.seconds:.2f} s",
            ]
        )
        lines.append(f"{report.target.text}: {tr.word(report.reason)}")
    table.rows += [[t.text, _("checking…"), "", "", ""] for t in pending]
    return Section(_("Targets"), "\n".join(lines), table)


def _focus(report: TargetReport) -> AddressReport | None:
    """The address the verdict talks about (first one with that outcome)."""
    return next(
        (a for a in report.addresses if a.outcome == report.verdict),
        report.addresses[0] if report.addresses else None,
    )


def _detail_sections(report: TargetReport, tr: Translator) -> list[Section]:
    _ = tr.gettext
    sections = []
    if report.dns is not None:
        table = Table([_("resolver"), _("addresses"), _("time"), _("error")])
        for lookup in (report.dns.system, report.dns.control):
            table.rows.append(
                [
                    lookup.resolver,
                    " ".join(lookup.addresses) or "–",
                    f"{lookup.seconds:.3f} s",
                    lookup.error or "",
                ]
            )
        sections.append(Section("1 DNS", f"{report.dns.consistency}: {report.dns.why}", table))
    sections.append(_routing_section(report, tr))
    sections.append(_stages_section(report, tr))
    sections += _chain_sections(report, tr)
    hops = [h for a in report.addresses if a.http for h in a.http.hops]
    if hops:
        table = Table(["url", _("address"), _("status"), _("time"), _("note")])
        for hop in hops:
            table.rows.append(
                [
                    hop.url,
                    hop.address or "–",
                    str(hop.status or ""),
                    f"{hop.seconds:.3f} s",
                    hop.refused or hop.error or "",
                ]
            )
        sections.append(Section("5 HTTP", "", table))
    return sections


def _routing_section(report: TargetReport, tr: Translator) -> Section:
    """BGP visibility is its own section: announced does not mean reachable (January 2022)."""
    _ = tr.gettext
    if not report.routing_known:
        return Section(
            _(BGP_TITLE),
            _(
                "No routing snapshot loaded, so origin AS, prefix and BGP visibility are unknown "
                "(run `silkroute data update`)."
            ),
        )
    table = Table([_("address"), _("prefix"), _("origin"), _("AS name"), _("country"), _("announced")])
    for a in report.addresses:
        n = a.network
        origins = " ".join(f"AS{x}" for x in n.origins) or "–"
        announced = _("yes ({count} vantage points)").format(count=n.seen_by) if n.announced else _("no")
        table.rows.append(
            [str(a.address), n.prefix or "–", origins, n.as_name or "", n.country or "", announced]
        )
    return Section(
        _(BGP_TITLE), _("Visibility in the routing snapshot, reported apart from reachability."), table
    )


def _stages_section(report: TargetReport, tr: Translator) -> Section:
    _ = tr.gettext
    table = Table([_("address"), _("found by"), _("safety"), "tcp", "tls", "http", _("outcome")])
    for a in report.addresses:
        tcp = "–" if a.tcp is None else (f"ok {a.tcp.seconds:.3f} s" if a.tcp.ok else str(a.tcp.error))
        tls = "–"
        if a.tls is not None:
            tls = f"{a.tls.status} {a.tls.seconds:.3f} s"
            if a.tls.version:
                tls += f" {a.tls.version} {a.tls.cipher}"
        http = "–"
        if a.http is not None:
            http = f"{a.http.status_code or a.http.status} {a.http.size} B {a.http.seconds:.3f} s"
        safety = _("refused: {reason}").format(reason=a.refused) if a.refused else "ok"
        table.rows.append([str(a.address), ",".join(a.found_by), safety, tcp, tls, http, a.outcome])
    return Section(_("3–4 Connection"), "", table)


def _chain_sections(report: TargetReport, tr: Translator) -> list[Section]:
    """The presented chain with SPKI hashes: the evidence to paste into a report."""
    _ = tr.gettext
    sections = []
    for a in report.addresses:
        if a.tls is None or not a.tls.chain:
            continue
        table = Table(["#", _("subject"), _("issuer"), "SPKI SHA-256"])
        for index, cert in enumerate(a.tls.chain):
            table.rows.append([str(index), cert.subject, cert.issuer, cert.spki_sha256])
        notes = [
            _("certificate #{position}: {detail}").format(position=f.position, detail=f.detail)
            for f in a.tls.interception
        ]
        if a.tls.verify_error:
            notes.append(_("not trusted: {reason}").format(reason=a.tls.verify_error))
        title = _("Certificate chain from {address} for {host}").format(
            address=a.address, host=report.target.host
        )
        sections.append(Section(title, "\n".join(notes), table))
    return sections


def _sources(config: ReachConfig, snapshot: RoutingView | None, tr: Translator) -> list[Source]:
    _ = tr.gettext
    resolvers = _("resolvers: {system} and {public}").format(
        system=config.system_resolver or "system", public=config.public_resolver
    )
    sources = [Source(_("live checks from the bot's host"), datetime.now(UTC), resolvers)]
    if snapshot is not None:
        sources += snapshot.data_sources()
    sources.append(
        Source(_("Kazakh interception roots (Chromium certificate blocklist)"), None, _("shipped facts"))
    )
    return sources
