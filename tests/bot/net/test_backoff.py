"""The one retry-wait formula: doubling steps, capped, scaled by 50-100 % jitter."""

from __future__ import annotations

from bot.core.settings import LiveSettings, Settings
from bot.net.backoff import Backoff


def test_steps_double_up_to_the_cap_and_jitter_scales_them_by_half_to_whole() -> None:
    settings = Settings(
        live=LiveSettings(silkroute_http_backoff_seconds=1.5, silkroute_http_retry_after_max=5.0)
    )
    least, most = Backoff.from_settings(settings, lambda: 0.0), Backoff.from_settings(settings, lambda: 1.0)
    assert [most.delay(n) for n in range(4)] == [1.5, 3.0, 5.0, 5.0]
    assert [least.delay(n) for n in range(4)] == [0.75, 1.5, 2.5, 2.5]
