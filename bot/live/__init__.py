"""Live public sources (RIPEstat, Internet Health Report, RIS Live) with cached, resilient lookups."""

from bot.live.sources import LiveSources

__all__ = ["LiveSources"]
