"""Feed health: RIS Live silent or disconnected longer than the threshold, and back.

Without a working feed the hijack, visibility and upstream monitors are blind, and the team must know.
"""

from __future__ import annotations

from bot.alerts.model import AlertKind, AlertSeverity, Finding
from bot.alerts.repository import AlertRecord
from bot.i18n import N_, Worded
from bot.live.rislive import FeedState, FeedStatus


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
                severity=AlertSeverity.OK,
                title=Worded(N_("RIS Live feed is back")),
                summary=Worded(
                    N_("The RIS Live feed is working again ({how}); BGP monitors are live."), how=how
                ),
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
                severity=AlertSeverity.WARNING,
                title=Worded(N_("RIS Live feed is down")),
                summary=Worded(
                    N_(
                        "No RIS Live data for {seconds} s ({reason}); BGP alerts (hijack, visibility, upstream) "
                        "cannot fire until it is back."
                    ),
                    seconds=int(max(down_for, silent_for)),
                    reason=reason,
                ),
                evidence={"last_message_at": self.last_message_at, "reason": reason},
            )
        ]

    def restore(self, alert: AlertRecord) -> None:
        """An open feed alert after a restart: the next message or reconnection resolves it."""
        self.alerted = True
