"""Origin change / possible hijack of a watched prefix or any more-specific of it, and its end."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.alerts.index import PrefixIndex
from bot.alerts.model import AlertKind, AlertSeverity, Finding, WatchKind
from bot.alerts.monitors.base import Baseline, path_text, peer_key
from bot.alerts.repository import AlertRecord
from bot.i18n import N_, Worded
from bot.live.rislive import RisMessage


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
        return Finding(
            kind=AlertKind.ORIGIN,
            target=self.target,
            key=self.key,
            active=True,
            severity=AlertSeverity.CRITICAL,
            title=Worded(
                N_("Possible hijack: {prefix} originated by AS{asn}"), prefix=self.prefix, asn=self.origin
            ),
            summary=Worded(
                N_("{prefix} is announced by AS{asn}; expected origin {expected}. RPKI: {rpki}.")
                if self.prefix == self.watched_prefix
                else N_(
                    "{prefix} (a more-specific of {watched}) is announced by AS{asn}; expected origin {expected}. "
                    "RPKI: {rpki}."
                ),
                prefix=self.prefix,
                watched=self.watched_prefix,
                asn=self.origin,
                expected=expected,
                rpki=rpki,
            ),
            evidence={
                "prefix": self.prefix,
                "watched_prefix": self.watched_prefix,
                "expected_origins": list(self.expected),
                "new_origin": self.origin,
                "rpki": rpki,
                "peers": [self.peer],
                "paths": [[self.peer, path_text(self.path)]],
                "first_seen": self.timestamp,
            },
        )


@dataclass(slots=True)
class _Hijack:
    target: str
    carriers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    alerted: bool = False


class OriginMonitor:
    """Expected origins come from the snapshot baseline, or are learned from the first announcement seen.

    A foreign origin becomes a `HijackCandidate`; the service asks RPKI and tells the monitor (`confirm`)
    whether it was alerted, so that only alerted hijacks produce a "back to normal" when the last peer
    carrying them withdraws or switches origin.
    """

    def __init__(self, baseline: Baseline | None = None) -> None:
        self.baseline = baseline
        self._prefixes = PrefixIndex()
        self._expected: dict[str, set[int]] = {}
        self._hijacks: dict[tuple[str, int], _Hijack] = {}
        self._hijacks_by_prefix: dict[str, set[int]] = {}

    def set_watches(self, targets: Iterable[tuple[WatchKind, str]]) -> None:
        """(kind, target) pairs; expected origins of prefixes still watched are kept, the rest forgotten."""
        prefixes = {t for k, t in targets if k == WatchKind.PREFIX}
        self._prefixes = PrefixIndex()
        for prefix in prefixes:
            self._prefixes.add(prefix, prefix)
            if prefix not in self._expected and self.baseline is not None:
                known = self.baseline.origins_of(prefix)
                if known:
                    self._expected[prefix] = set(known)
        self._expected = {p: o for p, o in self._expected.items() if p in prefixes}

    def process(self, update: RisMessage) -> tuple[list[Finding], list[HijackCandidate]]:
        findings: list[Finding] = []
        candidates: list[HijackCandidate] = []
        if update.type != "UPDATE":
            return findings, candidates
        peer = peer_key(update)
        origin = update.origin_asn
        if origin is not None:
            for prefix in update.announced:
                covering = self._prefixes.covering(prefix)
                if covering:
                    self._check(covering, prefix, origin, update, candidates, findings)
                elif prefix in self._hijacks_by_prefix:
                    self._clear_peer(prefix, peer, findings)
        for prefix in update.withdrawals:
            if prefix in self._hijacks_by_prefix:
                self._clear_peer(prefix, peer, findings)
        return findings, candidates

    def _check(
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
                    self._clear_peer(prefix, peer, findings)
                continue
            if prefix in self._hijacks_by_prefix:
                # A peer carries one route per prefix: switching to this origin ends its carrying of others.
                self._clear_peer(prefix, peer, findings, keep=origin)
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

    def _clear_peer(self, prefix: str, peer: str, findings: list[Finding], keep: int | None = None) -> None:
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
                        severity=AlertSeverity.OK,
                        title=Worded(
                            N_("Back to normal: {prefix} no longer originated by AS{asn}"),
                            prefix=prefix,
                            asn=origin,
                        ),
                        summary=Worded(
                            N_("No peer carries AS{asn}'s announcement of {prefix} any more."),
                            asn=origin,
                            prefix=prefix,
                        ),
                        evidence={"last_peer": peer},
                    )
                )

    def confirm(self, candidate: HijackCandidate, alerted: bool) -> None:
        """The service's verdict on a candidate: alerted ones later produce a recovery; valid ones are dropped."""
        hijack = self._hijacks.get((candidate.prefix, candidate.origin))
        if hijack is not None:
            hijack.alerted = alerted

    def restore(self, alert: AlertRecord) -> None:
        """An open hijack alert after a restart: its carriers, and the expected origins it was judged by."""
        prefix, _, origin_text = alert.dedupe_key.split(":", 1)[1].rpartition(":AS")
        origin = int(origin_text)
        hijack = self._hijacks.setdefault((prefix, origin), _Hijack(alert.target))
        hijack.alerted = True
        self._hijacks_by_prefix.setdefault(prefix, set()).add(origin)
        evidence = alert.evidence
        for peer in evidence.get("peers", ()):
            hijack.carriers.setdefault(str(peer), ())
        watched = str(evidence.get("watched_prefix", ""))
        if watched and watched not in self._expected and evidence.get("expected_origins"):
            self._expected[watched] = {int(a) for a in evidence["expected_origins"]}
