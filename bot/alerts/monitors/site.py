"""Site down / up from the periodic reach checks of watched sites."""

from __future__ import annotations

from bot.alerts.model import AlertKind, AlertSeverity, Finding, SiteState
from bot.alerts.ports import SiteCheck
from bot.alerts.repository import AlertRecord
from bot.i18n import N_, Worded


class SiteMonitor:
    """Only changes of state become findings; a site first seen up is the normal case and says nothing."""

    def __init__(self) -> None:
        self.state: dict[str, SiteState] = {}

    def observe(self, site: str, check: SiteCheck) -> list[Finding]:
        previous = self.state.get(site)
        self.state[site] = check.state
        up = check.state is SiteState.UP
        if previous == check.state or (previous is None and up):
            return []
        return [
            Finding(
                kind=AlertKind.SITE,
                target=site,
                key=site,
                active=not up,
                severity=AlertSeverity.OK if up else AlertSeverity.WARNING,
                title=Worded(N_("{site} is reachable again"), site=site)
                if up
                else Worded(N_("{site} is down"), site=site),
                summary=Worded(
                    N_("Check verdict: {verdict}. {reason}"), verdict=check.verdict, reason=check.reason
                ),
                evidence={"verdict": check.verdict, "reason": check.reason},
            )
        ]

    def restore(self, alert: AlertRecord) -> None:
        """An open site alert after a restart: the site was down, so its next "up" is the recovery."""
        self.state[alert.target] = SiteState.DOWN
