"""The live area's local RIS Live server, reused for the alert replays."""

from tests.bot.live.fake_rislive import fake_rislive

__all__ = ["fake_rislive"]
