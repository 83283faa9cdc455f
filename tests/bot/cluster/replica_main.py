"""`silkroute run` in a child process, with discord.py pointed at the test's fake Discord (127.0.0.1)."""

from __future__ import annotations

import os
import sys

import discord
import yarl

from bot.frontends.cli import main

if __name__ == "__main__":
    discord.http.Route.BASE = os.environ["FAKE_DISCORD_API"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_DISCORD_GATEWAY"])
    sys.exit(main(["run"]))
