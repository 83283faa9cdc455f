"""Each server's language (`/settings language:`): the default for its members and the voice of its alerts.

Every query on its table (migration 4 of `bot.core.state_db`) lives here, apart from the alert tables, so the
store can move to another database without touching anything else.
"""

from __future__ import annotations

from bot.core.state_db import StateDB
from bot.i18n import Language


class GuildLanguages:
    """Reads and writes the server languages in the state database (opened by its owner, the alert service)."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    async def get(self, guild_id: int | None) -> Language | None:
        """The language a server chose, or None (no server, or never set)."""
        if guild_id is None:
            return None
        rows = list(
            await self.db.conn.execute_fetchall(
                "SELECT language FROM guild_languages WHERE guild_id = ?", (guild_id,)
            )
        )
        return Language(rows[0][0]) if rows else None

    async def set(self, guild_id: int, language: Language, set_by: str, now: float) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_languages (guild_id, language, set_by, set_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET language = excluded.language,"
                " set_by = excluded.set_by, set_at = excluded.set_at",
                (guild_id, language.value, set_by, now),
            )
