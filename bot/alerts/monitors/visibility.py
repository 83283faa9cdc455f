"""Visibility loss of a watched prefix (or a prefix a watched AS originates), confirmed after a delay, and recovery."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.alerts.model import AlertKind, AlertSeverity, Finding, WatchKind
from bot.alerts.monitors.base import peer_key, sample_paths
from bot.alerts.repository import AlertRecord
from bot.i18n import N_, Worded
from bot.live.rislive import RisMessage


@dataclass(slots=True)
class _Visibility:
    target: str
    seen: dict[str, tuple[int, ...]] = field(default_factory=dict)
    lost: dict[str, tuple[int, ...]] = field(default_factory=dict)
    pending_since: float | None = None
    alerted: bool = False


class VisibilityMonitor:
    """Counts the peers that withdrew each prefix; `min_peers` of them for `confirm_seconds` is an alert.

    A loss starts pending and is confirmed only by `tick`, so a short flap never alerts.
    """

    def __init__(self, *, min_peers: int, confirm_seconds: float) -> None:
        self.min_peers = min_peers
        self.confirm_seconds = confirm_seconds
        self._asns: dict[int, str] = {}
        self._visibility: dict[str, _Visibility] = {}

    def set_watches(self, targets: Iterable[tuple[WatchKind, str]]) -> None:
        """(kind, target) pairs; state of targets still watched is kept, the rest forgotten."""
        wanted = set(targets)
        prefixes = {t for k, t in wanted if k == WatchKind.PREFIX}
        self._asns = {int(t[2:]): t for k, t in wanted if k == WatchKind.ASN}
        for prefix in prefixes:
            self._visibility.setdefault(prefix, _Visibility(prefix))
        as_targets = set(self._asns.values())
        self._visibility = {
            p: v for p, v in self._visibility.items() if p in prefixes or v.target in as_targets
        }

    def process(self, update: RisMessage, now: float) -> list[Finding]:
        findings: list[Finding] = []
        if update.type != "UPDATE":
            return findings
        peer = peer_key(update)
        origin = update.origin_asn
        if origin is not None:
            target = self._asns.get(origin)
            for prefix in update.announced:
                state = self._visibility.get(prefix)
                if state is None and target is not None:
                    state = self._visibility[prefix] = _Visibility(target)
                if state is not None:
                    state.seen[peer] = update.path
                    if state.lost.pop(peer, None) is not None:
                        self._check(prefix, state, now, findings)
        for prefix in update.withdrawals:
            state = self._visibility.get(prefix)
            if state is not None and peer in state.seen:
                state.lost[peer] = state.seen.pop(peer)
                self._check(prefix, state, now, findings)
        return findings

    def _check(self, prefix: str, state: _Visibility, now: float, findings: list[Finding]) -> None:
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
                    severity=AlertSeverity.OK,
                    title=Worded(N_("Recovered: {prefix} is visible again"), prefix=prefix),
                    summary=Worded(
                        N_(
                            "{prefix} is seen by {seen} peers again; {lost} still without it (threshold {threshold})."
                        ),
                        prefix=prefix,
                        seen=len(state.seen),
                        lost=len(state.lost),
                        threshold=self.min_peers,
                    ),
                    evidence={
                        "peers_seeing": len(state.seen),
                        "still_lost": sorted(state.lost),
                        "paths_now": sample_paths(state.seen),
                    },
                )
            )

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
                    severity=AlertSeverity.CRITICAL,
                    title=Worded(
                        N_("Visibility loss: {prefix} withdrawn by {lost} peers"),
                        prefix=prefix,
                        lost=len(state.lost),
                    ),
                    summary=Worded(
                        N_(
                            "{lost} peers lost {prefix} (threshold {threshold}) for at least {seconds} s; "
                            "{seen} peers still see it."
                        ),
                        lost=len(state.lost),
                        prefix=prefix,
                        threshold=self.min_peers,
                        seconds=int(self.confirm_seconds),
                        seen=len(state.seen),
                    ),
                    evidence={
                        "prefix": prefix,
                        "lost_peers": sorted(state.lost),
                        "peers_seeing": len(state.seen),
                        "paths_before": sample_paths(state.lost),
                    },
                )
            )
        return findings

    def restore(self, alert: AlertRecord) -> None:
        """An open loss after a restart: its lost peers, so their return is recognised as the recovery."""
        prefix = alert.dedupe_key.split(":", 1)[1]
        state = self._visibility.setdefault(prefix, _Visibility(alert.target))
        state.alerted = True
        for peer in alert.evidence.get("lost_peers", ()):
            state.lost.setdefault(str(peer), ())
