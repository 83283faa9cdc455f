"""How an alert reads: evidence that counts peers says a count, evidence that names ASes says AS numbers."""

from __future__ import annotations

from bot.alerts.delivery import Delivery, Entry
from bot.alerts.model import AlertKind, AlertSeverity, AlertState, OutboxEvent
from bot.alerts.repository import AlertRecord
from bot.app.features.alerts.presentation import render_delivery
from bot.app.render import render_text


def visibility_alert(evidence: dict[str, object]) -> AlertRecord:
    return AlertRecord(
        id=7,
        guild_id=1,
        dedupe_key="visibility:194.187.246.0/24",
        kind=AlertKind.VISIBILITY,
        target="AS35673",
        state=AlertState.OPEN,
        severity=AlertSeverity.CRITICAL,
        title="Visibility loss: 194.187.246.0/24",
        summary="12 peers lost it",
        evidence=evidence,
        opened_at=1_546_300_800.0,
        last_notified_at=None,
        resolved_at=None,
        resolution="",
        acked_by=None,
        muted=False,
    )


def test_a_peer_count_is_a_count_and_origins_are_as_numbers() -> None:
    alert = visibility_alert(
        {"peers_seeing": 60, "expected_origins": [35673], "lost_peers": ["rrc00/192.0.2.1"]}
    )
    text = render_text(render_delivery(Delivery(1, 2, [Entry(alert, OutboxEvent.OPENED)])))
    assert "peers still seeing it: 60" in text
    assert "AS60" not in text
    assert "expected origins: AS35673" in text
