"""The live area's local RIS Live server, reused for the alert replays, and the real Kazakh snapshot."""

from tests.bot.live.fake_rislive import fake_rislive
from tests.bot.routing.conftest import real_snapshot

__all__ = ["fake_rislive", "real_snapshot"]
