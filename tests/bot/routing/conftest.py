"""The fake RIPEstat/IHR server for the answers that add live parts (/lookup, /transit)."""

from tests.bot.live.conftest import fake_upstreams, live_settings

__all__ = ["fake_upstreams", "live_settings"]
