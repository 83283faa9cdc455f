"""discord.py extensions, one per command group; each is a thin `SpecCog` over specs from `bot.app.catalog`."""
