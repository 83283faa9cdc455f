"""Fake upstreams for the live-source tests (other areas import the same fixtures into their conftest)."""

from tests.bot.live.fake_rislive import fake_rislive
from tests.bot.live.fake_upstreams import fake_upstreams, live_settings

__all__ = ["fake_rislive", "fake_upstreams", "live_settings"]
