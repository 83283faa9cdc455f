"""Reduce a target's stage results to one OONI-style verdict and one sentence of why.

The ranking prefers the address that got furthest, because one working address means the site can
be reached; interception wins over everything, because a forged chain is evidence in itself.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, Worded
from bot.reach.report import AddressReport, TargetReport

VERDICTS = (
    "reachable",
    "dns",
    "tcp",
    "tls_timeout",
    "tls_intercepted",
    "tls_failure",
    "http_failure",
    "http_error_status",
    "bgp_unrouted",
    "refused_unsafe_target",
)
_RANK = (
    "reachable",
    "http_error_status",
    "http_failure",
    "tls_failure",
    "tls_timeout",
    "tcp",
    "bgp_unrouted",
    "refused_unsafe_target",
)
STAGE_OF = {
    "reachable": "none",
    "dns": "dns",
    "tcp": "tcp",
    "bgp_unrouted": "tcp",
    "tls_timeout": "tls",
    "tls_intercepted": "tls",
    "tls_failure": "tls",
    "http_failure": "http",
    "http_error_status": "http",
    "refused_unsafe_target": "safety",
}


def address_outcome(report: AddressReport) -> str:
    """The verdict for one address alone: the first stage that failed, or reachable."""
    if report.refused is not None:
        return "refused_unsafe_target"
    if report.tcp is None or not report.tcp.ok:
        return "bgp_unrouted" if _unrouted(report) else "tcp"
    if report.tls is not None and report.tls.status != "ok":
        return {"timeout": "tls_timeout", "intercepted": "tls_intercepted"}.get(
            report.tls.status, "tls_failure"
        )
    status = report.http.status if report.http else "failure"
    return {
        "ok": "reachable",
        "error_status": "http_error_status",
        "refused": "refused_unsafe_target",
    }.get(status, "http_failure")


def _unrouted(report: AddressReport) -> bool:
    """Live routing status, when RIPEstat answered, is the current truth; else a fresh, complete snapshot."""
    if report.live_announced is not None:
        return not report.live_announced
    return report.network.proven_unannounced


def decide(report: TargetReport) -> tuple[str, str]:
    """(verdict, one sentence of why) for a whole target."""
    dns = report.dns
    if dns is not None and dns.system.error:
        if dns.control.addresses:
            return "dns", Worded(
                N_(
                    "The {resolver} resolver failed ({error}) while {control} returned {addresses}: the name is "
                    "being hidden from this network."
                ),
                resolver=dns.system.resolver,
                error=dns.system.error,
                control=dns.control.resolver,
                addresses=", ".join(dns.control.addresses),
            )
        return "dns", Worded(
            N_("Neither resolver found an address ({error}; {control_error})."),
            error=dns.system.error,
            control_error=dns.control.error,
        )
    intercepted = [a for a in report.addresses if a.outcome == "tls_intercepted"]
    if intercepted:
        return "tls_intercepted", _why(intercepted[0], report)
    ours = [a for a in report.addresses if a.from_system]
    best = _best(ours)
    if best is None:
        return "dns", Worded(N_("No address was found to check."))
    if best.outcome == "reachable":
        return "reachable", _why(best, report)
    control_ok = [a for a in report.addresses if not a.from_system and a.outcome == "reachable"]
    if dns is not None and control_ok and dns.consistency == "inconsistent":
        return "dns", Worded(
            N_(
                "The {resolver} resolver's addresses fail ({outcome} at {address}) while {control}'s address "
                "{control_address} works: the answer was tampered with."
            ),
            resolver=dns.system.resolver,
            outcome=best.outcome,
            address=str(best.address),
            control=dns.control.resolver,
            control_address=str(control_ok[0].address),
        )
    return best.outcome, _why(best, report)


def _best(addresses: list[AddressReport]) -> AddressReport | None:
    ranked = sorted(addresses, key=lambda a: _RANK.index(a.outcome) if a.outcome in _RANK else len(_RANK))
    return ranked[0] if ranked else None


def _why(address: AddressReport, report: TargetReport) -> Worded:
    """One sentence naming the stage, the address and its network (Worded: the reader's language is unknown)."""
    where = f"{address.address} ({address.network.label()})"
    host = report.target.host
    tls, http, tcp = address.tls, address.http, address.tcp
    outcome = address.outcome
    if outcome == "refused_unsafe_target":
        refusal = address.refused or (http.error if http else None)
        return Worded(N_("Refused for safety, nothing was sent: {reason}."), reason=refusal)
    if outcome in {"tcp", "bgp_unrouted"}:
        return Worded(
            N_("TCP connection to {where} port {port} failed ({error}){routing}."),
            where=where,
            port=report.target.port,
            error=tcp.error if tcp else Worded(N_("not attempted")),
            routing=_routing_note(address),
        )
    if outcome == "tls_timeout" and tls is not None:
        return Worded(
            N_(
                "The TLS handshake with {where} for {host} {error} — the way most Kazakh ISPs block a site by its "
                "name (SNI)."
            ),
            where=where,
            host=host,
            error=tls.error,
        )
    if outcome == "tls_intercepted" and tls is not None:
        finding = tls.interception[0]
        return Worded(
            N_(
                "The certificate chain {where} presented for {host} shows state interception: {detail} "
                "(SPKI SHA-256 {spki})."
            ),
            where=where,
            host=host,
            detail=finding.detail,
            spki=finding.spki_sha256,
        )
    if outcome == "tls_failure" and tls is not None:
        return Worded(
            N_("TLS with {where} for {host} failed: {error}."), where=where, host=host, error=tls.error
        )
    if http is None:
        return Worded(N_("No HTTP answer from {where}."), where=where)
    if outcome == "http_failure":
        return Worded(N_("HTTP from {where} failed: {error}."), where=where, error=http.error)
    answered: dict[str, Any] = {
        "url": http.final_url,
        "status": http.status_code,
        "title": f" ('{http.title}')" if http.title else "",
        "seconds": f"{http.seconds:.2f}",
        "where": where,
    }
    if outcome == "http_error_status":
        return Worded(
            N_("{url} answered HTTP {status}{title} in {seconds} s from {where}, an error status."),
            **answered,
        )
    note = ""
    if report.dns is not None and report.dns.consistency == "inconsistent":
        note = Worded(N_(" (the resolvers disagreed: {why})"), why=report.dns.why)
    return Worded(
        N_("{url} answered HTTP {status}{title} in {seconds} s from {where}{note}."), note=note, **answered
    )


def _routing_note(address: AddressReport) -> Worded | str:
    """What BGP says about an address that did not connect, including why it did not decide the verdict."""
    if address.outcome == "bgp_unrouted":
        if address.live_announced is False:
            return Worded(N_(" and RIPEstat sees no announced prefix covering it now"))
        return Worded(N_(" and no announced prefix covers it in the routing snapshot"))
    if address.live_announced is None and address.network.announced is False and address.network.gaps:
        return Worded(N_("; prefix not in the ({gaps}) snapshot"), gaps=address.network.gaps)
    return ""
