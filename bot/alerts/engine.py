"""The alert lifecycle: open → re-notified after an interval → resolved, deduplicated by key, per guild.

Findings are idempotent: a monitor may report the same open condition many times, only the first opens
an alert (and queues one message); re-notification happens only after `renotify_seconds`; a resolution
queues a recovery message only for an alert the team was told about.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.alerts.model import ALL_KINDS, ANY_TARGET, NEWS_RESOLUTION, AlertKind, Clock, Finding, wording
from bot.alerts.repository import AlertRecord, AlertRepository, Mute, NewAlert
from bot.cluster.fencing import Deposed

log = logging.getLogger(__name__)

ONE_SHOT_KINDS = frozenset({AlertKind.UPSTREAM, AlertKind.EXIT, AlertKind.TEST})
"""News, not a condition: told once, nothing to recover from, never re-notified."""
NEWS_MEMORY_SECONDS = 7 * 86400
"""The same news (a new upstream seen live, then again in the next snapshot) is not told twice in a week."""


class AlertEngine:
    """Turns findings into alert rows and outbox messages per guild: the dedupe, mute and news rules live here."""

    def __init__(self, repository: AlertRepository, clock: Clock, renotify_seconds: float) -> None:
        self.repository = repository
        self.clock = clock
        self.renotify_seconds = renotify_seconds
        self.term: int | None = None
        """The leader term this replica's monitors write under (set on election, kept after: a deposed
        leader's late writes must still carry it to be refused); None in a lone engine nothing elected."""

    async def is_muted(self, guild_id: int, target: str, kind: AlertKind) -> bool:
        now = self.clock()
        return any(
            m.target in (target, ANY_TARGET) and m.kind in (kind, ALL_KINDS)
            for m in await self.repository.active_mutes(now, guild_id)
        )

    async def apply(self, finding: Finding, guilds: Iterable[int]) -> list[AlertRecord]:
        """Apply one finding to every guild watching its target; returns alerts opened or resolved.

        A deposed leader's finding is refused (logged, nothing written): the new leader's monitors own it."""
        changed: list[AlertRecord] = []
        try:
            await self._apply(finding, guilds, changed)
        except Deposed as exc:
            log.warning("alert %s for %s not written: %s", finding.dedupe_key, finding.target or "all", exc)
        return changed

    async def _apply(self, finding: Finding, guilds: Iterable[int], changed: list[AlertRecord]) -> None:
        now = self.clock()
        for guild_id in guilds:
            current = await self.repository.open_alert(guild_id, finding.dedupe_key)
            if finding.active and current is None:
                if finding.kind in ONE_SHOT_KINDS and await self.repository.told_since(
                    guild_id, finding.dedupe_key, now - NEWS_MEMORY_SECONDS
                ):
                    continue
                muted = await self.is_muted(guild_id, finding.target, finding.kind)
                record = await self.repository.create_alert(
                    self._new(finding, guild_id),
                    now,
                    muted=muted,
                    resolution=NEWS_RESOLUTION if finding.kind in ONE_SHOT_KINDS else None,
                    term=self.term,
                )
                changed.append(record)
            elif not finding.active and current is not None:
                await self.repository.resolve_alert(
                    current.id,
                    now,
                    finding.summary,
                    {
                        "resolution": {**finding.evidence, **wording(finding.title, finding.summary)},
                        "resolved_title": finding.title,
                    },
                    notify=not current.muted,
                    term=self.term,
                )
                resolved = await self.repository.alert(current.id)
                assert resolved is not None
                changed.append(resolved)

    @staticmethod
    def _new(finding: Finding, guild_id: int) -> NewAlert:
        return NewAlert(
            guild_id=guild_id,
            dedupe_key=finding.dedupe_key,
            kind=finding.kind,
            target=finding.target,
            severity=finding.severity,
            title=finding.title,
            summary=finding.summary,
            evidence={**finding.evidence, **wording(finding.title, finding.summary)},
        )

    async def renotify_due(self) -> int:
        """Queue a reminder for every open, told, unacknowledged alert last told `renotify_seconds` ago."""
        now = self.clock()
        count = 0
        for alert in await self.repository.open_alerts():
            if alert.muted or alert.acked_by or alert.last_notified_at is None:
                continue
            if now - alert.last_notified_at >= self.renotify_seconds:
                if await self.is_muted(alert.guild_id, alert.target, alert.kind):
                    continue
                try:
                    await self.repository.renotify(alert.id, alert.guild_id, now, self.term)
                except Deposed as exc:
                    log.warning("reminders not queued: %s", exc)
                    break
                count += 1
        return count

    async def mute(self, guild_id: int, target: str, kind: str, seconds: float, who: str) -> Mute:
        mute = Mute(guild_id, target, kind, self.clock() + seconds, who)
        await self.repository.mute(mute)
        return mute
