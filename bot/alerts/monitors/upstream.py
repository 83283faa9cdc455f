"""New upstreams of a watched AS: seen live on RIS Live paths, or between two routing snapshots.

Both report through `_news`, under the same key, so news seen live and again in the next snapshot is
told once (the engine's news rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.alerts.index import upstream_of
from bot.alerts.model import AlertKind, AlertSeverity, Finding, WatchKind
from bot.alerts.monitors.base import Baseline, path_text, peer_key
from bot.alerts.snapshot_views import AsView, sample_routes, snapshot_evidence
from bot.i18n import N_, Worded
from bot.live.rislive import RisMessage
from bot.routing.transit import clean_path


def _news(target: str, asn: int, upstream: int, known: list[int], summary: str, **evidence: Any) -> Finding:
    return Finding(
        kind=AlertKind.UPSTREAM,
        target=target,
        key=f"AS{asn}:AS{upstream}",
        active=True,
        severity=AlertSeverity.INFO,
        title=Worded(N_("New upstream: AS{asn} reached through AS{upstream}"), asn=asn, upstream=upstream),
        summary=summary,
        evidence={"asn": asn, "new_upstream": upstream, "known_upstreams": known, **evidence},
    )


class UpstreamMonitor:
    """Known upstreams start from the snapshot baseline; without one, the first `warmup_seconds` only learn."""

    def __init__(self, baseline: Baseline | None = None, warmup_seconds: float = 600.0) -> None:
        self.baseline = baseline
        self.warmup_seconds = warmup_seconds
        self._asns: dict[int, str] = {}
        self._upstreams: dict[int, set[int]] = {}
        self._first_seen: dict[int, float] = {}

    def set_watches(self, targets: Iterable[tuple[WatchKind, str]]) -> None:
        """(kind, target) pairs; what is known about ASes still watched is kept."""
        self._asns = {int(t[2:]): t for k, t in targets if k == WatchKind.ASN}
        for asn in self._asns:
            if asn not in self._upstreams and self.baseline is not None:
                known = self.baseline.upstreams_of(asn)
                if known:
                    self._upstreams[asn] = set(known)
                    self._first_seen[asn] = float("-inf")

    def process(self, update: RisMessage, now: float) -> list[Finding]:
        asn = update.origin_asn
        if update.type != "UPDATE" or asn is None or asn not in self._asns:
            return []
        # The same path hygiene as the snapshot's transit view: looped paths say nothing about upstreams.
        cleaned = clean_path(update.path)
        upstream = None if isinstance(cleaned, str) else upstream_of(cleaned, asn)
        if upstream is None:
            return []
        known = self._upstreams.setdefault(asn, set())
        first = self._first_seen.setdefault(asn, now)
        if upstream in known:
            return []
        known.add(upstream)
        if now - first < self.warmup_seconds:
            return []
        peer = peer_key(update)
        before = sorted(known - {upstream})
        return [
            _news(
                self._asns[asn],
                asn,
                upstream,
                before,
                f"AS{upstream} appears as an upstream of AS{asn} on {peer}'s path for "
                f"{', '.join(update.announced[:3])}; known upstreams: "
                f"{', '.join(f'AS{a}' for a in before) or 'none'}.",
                peers=[peer],
                paths=[[peer, path_text(update.path)]],
                prefixes=list(update.announced[:10]),
            )
        ]

    @staticmethod
    def compare_snapshots(target: str, before: AsView, after: AsView) -> list[Finding]:
        """Upstreams the newer snapshot has and the older had not (none when the older knew no upstream)."""
        if before.snapshot_id == after.snapshot_id or not before.upstreams:
            return []
        asn = after.asn
        known = sorted(before.upstreams)
        return [
            _news(
                target,
                asn,
                upstream,
                known,
                f"Snapshot {after.snapshot_id} (data of {after.data_date}) has paths through AS{upstream} "
                f"to AS{asn}; snapshot {before.snapshot_id} had none. Known upstreams: "
                f"{', '.join(f'AS{a}' for a in known)}.",
                **snapshot_evidence(before, after),
                paths=sample_routes([after.upstreams[upstream]]),
            )
            for upstream in sorted(set(after.upstreams) - set(before.upstreams))
        ]
