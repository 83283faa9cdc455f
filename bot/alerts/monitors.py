"""Monitors: turn feed events and periodic checks into findings (BGPalerter's connectors → monitors → reports).

Monitors are synchronous and keep only in-memory state, so the feed loop stays fast; anything needing
I/O (RPKI validation, site probes) is done by `bot.alerts.service` around them. Open alerts are handed
back to monitors after a restart (`restore`) so a recovery can still be recognised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.alerts.index import PrefixIndex, upstream_of
from bot.alerts.model import AlertKind, Finding, upstream_news
from bot.live.rislive import FeedState, FeedStatus, RisMessage
from bot.routing.transit import clean_path

MAX_EVIDENCE_PATHS = 5


class Baseline(Protocol):
    """What the routing snapshot knows before the feed says anything (empty answers mean 'learn')."""

    def origins_of(self, prefix: str) -> set[int]: ...

    def upstreams_of(self, asn: int) -> set[int]: ...


def peer_key(message: RisMessage) -> str:
    """A peer is one session at one collector: the same router seen at two collectors counts twice."""
    return f"{message.host}/{message.peer}"


def _path_text(path: tuple[int, ...]) -> str:
    """Evidence reads as hops (prepending collapsed); a path clean_path drops is shown as received."""
    cleaned = clean_path(path)
    return " ".join(str(hop) for hop in (path if isinstance(cleaned, str) else cleaned))


@dataclass(slots=True)
class HijackCandidate:
    """An announcement whose origin differs from the expected one; becomes a finding unless RPKI-valid."""

    target: str
    watched_prefix: str
    prefix: str
    origin: int
    expected: tuple[int, ...]
    peer: str
    path: tuple[int, ...]
    timestamp: float

    @property
    def key(self) -> str:
        return f"{self.prefix}:AS{self.origin}"

    def finding(self, rpki: str) -> Finding:
        expected = ", ".join(f"AS{a}" for a in self.expected)
        more = "" if self.prefix == self.watched_prefix else f" (a more-specific of {self.watched_prefix})"
        return Finding(
            kind=AlertKind.ORIGIN,
            target=self.target,
            key=self.key,
            active=True,
            severity="critical",
            title=f"Possible hijack: {self.prefix} originated by AS{self.origin}",
            summary=f"{self.prefix}{more} is announced by AS{self.origin}; expected origin {expected}. RPKI: {rpki}.",
            evidence={
                "prefix": self.prefix,
                "watched_prefix": self.watched_prefix,
                "expected_origins": list(self.expected),
                "new_origin": self.origin,
                "rpki": rpki,
                "peers": [self.peer],
                "paths": [[self.peer, _path_text(self.path)]],
                "first_seen": self.timestamp,
            },
        )


@dataclass(slots=True)
class _Hijack:
    target: str
    carriers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    alerted: bool = False


@dataclass(slots=True)
class _Visibility:
    target: str
    seen: dict[str, tuple[int, ...]] = field(default_factory=dict)
    lost: dict[str, tuple[int, ...]] = field(default_factory=dict)
    pending_since: float | None = None
    alerted: bool = False


class RouteMonitor:
    """Origin change / possible hijack, visibility loss and recovery, and new upstreams, in one pass per update."""

    def __init__(
        self,
        *,
        min_peers: int,
        confirm_seconds: float,
        baseline: Baseline | None = None,
        upstream_warmup_seconds: float = 600.0,
    ) -> None:
        self.min_peers = min_peers
        self.confirm_seconds = confirm_seconds
        self.baseline = baseline
        self.upstream_warmup_seconds = upstream_warmup_seconds
        self._prefixes = PrefixIndex()
        self._expected: dict[str, set[int]] = {}
        self._asns: dict[int, str] = {}
        self._hijacks: dict[tuple[str, int], _Hijack] = {}
        self._hijacks_by_prefix: dict[str, set[int]] = {}
        self._visibility: dict[str, _Visibility] = {}
        self._upstreams: dict[int, set[int]] = {}
        self._asn_first_seen: dict[int, float] = {}

    # watches ------------------------------------------------------------------------------------
    def set_watches(self, targets: Iterable[tuple[str, str]]) -> None:
        """(kind, target) pairs; state of targets still watched is kept, the rest forgotten."""
        wanted = set(targets)
        prefixes = {t for k, t in wanted if k == "prefix"}
        asns = {int(t[2:]): t for k, t in wanted if k == "asn"}
        self._prefixes = PrefixIndex()
        for prefix in prefixes:
            self._prefixes.add(prefix, prefix)
            if prefix not in self._expected and self.baseline is not None:
                known = self.baseline.origins_of(prefix)
                if known:
                    self._expected[prefix] = set(known)
            self._visibility.setdefault(prefix, _Visibility(prefix))
        self._expected = {p: o for p, o in self._expected.items() if p in prefixes}
        self._asns = asns
        self._visibility = {
            p: v for p, v in self._visibility.items() if p in prefixes or v.target in asns.values()
        }
        for asn in asns:
            if asn not in self._upstreams and self.baseline is not None:
                known = self.baseline.upstreams_of(asn)
                if known:
                    self._upstreams[asn] = set(known)
                    self._asn_first_seen[asn] = float("-inf")

    # feed ---------------------------------------------------------------------------------------
    def process(self, update: RisMessage, now: float) -> tuple[list[Finding], list[HijackCandidate]]:
        findings: list[Finding] = []
        candidates: list[HijackCandidate] = []
        if update.type != "UPDATE":
            return findings, candidates
        peer = peer_key(update)
        path = update.path
        origin = update.origin_asn
        announced = update.announced
        for prefix in announced:
            if origin is None:
                continue
            covering = self._prefixes.covering(prefix)
            if covering:
                self._check_origin(covering, prefix, origin, update, candidates, findings)
            elif prefix in self._hijacks_by_prefix:
                self._clear_hijack_peer(prefix, peer, findings)
            target = self._asns.get(origin)
            state = self._visibility.get(prefix)
            if state is None and target is not None:
                state = self._visibility[prefix] = _Visibility(target)
            if state is not None:
                state.seen[peer] = path
                if state.lost.pop(peer, None) is not None:
                    self._check_visibility(prefix, state, now, findings)
        if origin is not None and origin in self._asns:
            self._check_upstream(origin, update, now, findings)
        for prefix in update.withdrawals:
            if prefix in self._hijacks_by_prefix:
                self._clear_hijack_peer(prefix, peer, findings)
            state = self._visibility.get(prefix)
            if state is not None and peer in state.seen:
                state.lost[peer] = state.seen.pop(peer)
                self._check_visibility(prefix, state, now, findings)
        return findings, candidates

    def _check_origin(
        self,
        covering: list[tuple[str, str]],
        prefix: str,
        origin: int,
        update: RisMessage,
        candidates: list[HijackCandidate],
        findings: list[Finding],
    ) -> None:
        peer = peer_key(update)
        for watched, target in covering:
            expected = self._expected.get(watched)
            if expected is None:
                if prefix == watched:
                    # Learning: the first origin seen for a watched prefix without a snapshot is the normal one.
                    self._expected[watched] = {origin}
                continue
            if origin in expected:
                if prefix in self._hijacks_by_prefix:
                    self._clear_hijack_peer(prefix, peer, findings)
                continue
            if prefix in self._hijacks_by_prefix:
                # A peer carries one route per prefix: switching to this origin ends its carrying of others.
                self._clear_hijack_peer(prefix, peer, findings, keep=origin)
            hijack = self._hijacks.get((prefix, origin))
            if hijack is None:
                hijack = self._hijacks[(prefix, origin)] = _Hijack(target)
                self._hijacks_by_prefix.setdefault(prefix, set()).add(origin)
                candidates.append(
                    HijackCandidate(
                        target,
                        watched,
                        prefix,
                        origin,
                        tuple(sorted(expected)),
                        peer,
                        update.path,
                        update.timestamp,
                    )
                )
            hijack.carriers[peer] = update.path
            return

    def _clear_hijack_peer(
        self, prefix: str, peer: str, findings: list[Finding], keep: int | None = None
    ) -> None:
        """A peer withdrew the prefix or chose another origin (`keep`); the last carrier ends a hijack."""
        for origin in list(self._hijacks_by_prefix.get(prefix, ())):
            if origin == keep:
                continue
            hijack = self._hijacks[(prefix, origin)]
            hijack.carriers.pop(peer, None)
            if hijack.carriers:
                continue
            del self._hijacks[(prefix, origin)]
            self._hijacks_by_prefix[prefix].discard(origin)
            if not self._hijacks_by_prefix[prefix]:
                del self._hijacks_by_prefix[prefix]
            if hijack.alerted:
                findings.append(
                    Finding(
                        kind=AlertKind.ORIGIN,
                        target=hijack.target,
                        key=f"{prefix}:AS{origin}",
                        active=False,
                        severity="ok",
                        title=f"Back to normal: {prefix} no longer originated by AS{origin}",
                        summary=f"No peer carries AS{origin}'s announcement of {prefix} any more.",
                        evidence={"last_peer": peer},
                    )
                )

    def confirm_hijack(self, candidate: HijackCandidate, alerted: bool) -> None:
        """The system's verdict on a candidate: alerted ones later produce a recovery; valid ones are dropped."""
        hijack = self._hijacks.get((candidate.prefix, candidate.origin))
        if hijack is not None:
            hijack.alerted = alerted

    def _check_visibility(self, prefix: str, state: _Visibility, now: float, findings: list[Finding]) -> None:
        if len(state.lost) >= self.min_peers:
            if state.pending_since is None and not state.alerted:
                state.pending_since = now
            return
        state.pending_since = None
        if state.alerted:
            state.alerted = False
            findings.append(
                Finding(
                    kind=AlertKind.VISIBILITY,
                    target=state.target,
                    key=prefix,
                    active=False,
                    severity="ok",
                    title=f"Recovered: {prefix} is visible again",
                    summary=f"{prefix} is seen by {len(state.seen)} peers again; "
                    f"{len(state.lost)} still without it (threshold {self.min_peers}).",
                    evidence={
                        "peers_seeing": len(state.seen),
                        "still_lost": sorted(state.lost),
                        "paths_now": _sample_paths(state.seen),
                    },
                )
            )

    def _check_upstream(self, asn: int, update: RisMessage, now: float, findings: list[Finding]) -> None:
        # The same path hygiene as the snapshot's transit view: looped paths say nothing about upstreams.
        cleaned = clean_path(update.path)
        upstream = None if isinstance(cleaned, str) else upstream_of(cleaned, asn)
        if upstream is None:
            return
        known = self._upstreams.setdefault(asn, set())
        first = self._asn_first_seen.setdefault(asn, now)
        if upstream in known:
            return
        known.add(upstream)
        if now - first < self.upstream_warmup_seconds:
            return
        key, title = upstream_news(asn, upstream)
        findings.append(
            Finding(
                kind=AlertKind.UPSTREAM,
                target=self._asns[asn],
                key=key,
                active=True,
                severity="info",
                title=title,
                summary=f"AS{upstream} appears as an upstream of AS{asn} on {peer_key(update)}'s path for "
                f"{', '.join(update.announced[:3])}; known upstreams: "
                f"{', '.join(f'AS{a}' for a in sorted(known - {upstream})) or 'none'}.",
                evidence={
                    "asn": asn,
                    "new_upstream": upstream,
                    "known_upstreams": sorted(known - {upstream}),
                    "peers": [peer_key(update)],
                    "paths": [[peer_key(update), _path_text(update.path)]],
                    "prefixes": list(update.announced[:10]),
                },
            )
        )

    # time ---------------------------------------------------------------------------------------
    def tick(self, now: float) -> list[Finding]:
        """Confirm visibility losses that lasted `confirm_seconds` (a short flap never gets here)."""
        findings: list[Finding] = []
        for prefix, state in self._visibility.items():
            if state.pending_since is None or now - state.pending_since < self.confirm_seconds:
                continue
            state.pending_since = None
            state.alerted = True
            findings.append(
                Finding(
                    kind=AlertKind.VISIBILITY,
                    target=state.target,
                    key=prefix,
                    active=True,
                    severity="critical",
                    title=f"Visibility loss: {prefix} withdrawn by {len(state.lost)} peers",
                    summary=f"{len(state.lost)} peers lost {prefix} (threshold {self.min_peers}) for at least "
                    f"{int(self.confirm_seconds)} s; {len(state.seen)} peers still see it.",
                    evidence={
                        "prefix": prefix,
                        "lost_peers": sorted(state.lost),
                        "peers_seeing": len(state.seen),
                        "paths_before": _sample_paths(state.lost),
                    },
                )
            )
        return findings

    # restart ------------------------------------------------------------------------------------
    def restore(self, kind: str, target: str, key: str, evidence: Mapping[str, Any]) -> None:
        """Rebuild the state an open alert implies, so its recovery is recognised after a restart."""
        if kind == AlertKind.VISIBILITY:
            state = self._visibility.setdefault(key, _Visibility(target))
            state.alerted = True
            for peer in evidence.get("lost_peers", ()):
                state.lost.setdefault(str(peer), ())
        elif kind == AlertKind.ORIGIN:
            prefix, _, origin_text = key.rpartition(":AS")
            origin = int(origin_text)
            hijack = self._hijacks.setdefault((prefix, origin), _Hijack(target))
            hijack.alerted = True
            self._hijacks_by_prefix.setdefault(prefix, set()).add(origin)
            for peer in evidence.get("peers", ()):
                hijack.carriers.setdefault(str(peer), ())
            watched = str(evidence.get("watched_prefix", ""))
            if watched and watched not in self._expected and evidence.get("expected_origins"):
                self._expected[watched] = {int(a) for a in evidence["expected_origins"]}


def _sample_paths(paths: Mapping[str, tuple[int, ...]]) -> list[list[str]]:
    return [[peer, _path_text(path)] for peer, path in sorted(paths.items())[:MAX_EVIDENCE_PATHS] if path]


class FeedHealthMonitor:
    """Alerts when RIS Live is silent or disconnected longer than the threshold, and when it is back."""

    def __init__(self, silence_seconds: float, started_at: float) -> None:
        self.silence_seconds = silence_seconds
        self.last_message_at = started_at
        self.down_since: float | None = None
        self.down_reason = ""
        self.alerted = False
        self.active = False  # no feed in this process (offline, one-shot CLI): nothing to judge

    def on_message(self, now: float) -> list[Finding]:
        self.active = True
        self.last_message_at = now
        return self._back(now, "messages are arriving again")

    def on_state(self, event: FeedStatus, now: float) -> list[Finding]:
        self.active = True
        if event.state is FeedState.ERROR:
            return []
        if event.state in (FeedState.CONNECTED, FeedState.RESUMED):
            self.last_message_at = now
            return self._back(now, "reconnected")
        if self.down_since is None:
            self.down_since = now
            self.down_reason = f"{event.state.value}{': ' + event.detail if event.detail else ''}"
        return []

    def _back(self, now: float, how: str) -> list[Finding]:
        self.down_since = None
        if not self.alerted:
            return []
        self.alerted = False
        return [
            Finding(
                kind=AlertKind.FEED,
                target="",
                key="rislive",
                active=False,
                severity="ok",
                title="RIS Live feed is back",
                summary=f"The RIS Live feed is working again ({how}); BGP monitors are live.",
            )
        ]

    def tick(self, now: float) -> list[Finding]:
        if self.alerted or not self.active:
            return []
        silent_for = now - self.last_message_at
        down_for = now - self.down_since if self.down_since is not None else silent_for
        if max(down_for, silent_for) < self.silence_seconds:
            return []
        self.alerted = True
        reason = self.down_reason if self.down_since is not None else "no messages"
        return [
            Finding(
                kind=AlertKind.FEED,
                target="",
                key="rislive",
                active=True,
                severity="warning",
                title="RIS Live feed is down",
                summary=f"No RIS Live data for {int(max(down_for, silent_for))} s ({reason}); BGP alerts "
                "(hijack, visibility, upstream) cannot fire until it is back.",
                evidence={"last_message_at": self.last_message_at, "reason": reason},
            )
        ]

    def restore(self) -> None:
        self.alerted = True


class SiteMonitor:
    """Site down/up from periodic reach verdicts; only changes of state become findings."""

    def __init__(self) -> None:
        self.state: dict[str, str] = {}

    def observe(self, site: str, verdict: str, reason: str) -> list[Finding]:
        up = verdict == "reachable"
        previous = self.state.get(site)
        self.state[site] = "up" if up else "down"
        if previous == self.state[site] or (previous is None and up):
            return []
        return [
            Finding(
                kind=AlertKind.SITE,
                target=site,
                key=site,
                active=not up,
                severity="ok" if up else "warning",
                title=f"{site} is {'reachable again' if up else 'down'}",
                summary=f"Check verdict: {verdict}. {reason}".strip(),
                evidence={"verdict": verdict, "reason": reason},
            )
        ]

    def restore(self, site: str) -> None:
        self.state[site] = "down"
