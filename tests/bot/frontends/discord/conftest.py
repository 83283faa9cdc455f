"""Fixtures for the Discord-layer tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.bot.frontends.discord.fake_discord import FakeDiscord, fake_discord_running
from tests.bot.frontends.discord.support import FAKE_TOKEN


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A fake Discord on 127.0.0.1 with discord.py pointed at it (and pointed back afterwards)."""
    async with fake_discord_running(FAKE_TOKEN) as fake:
        yield fake
