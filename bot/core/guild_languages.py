"""Each server's language (`/settings language:`): the default for its members and the voice of its alerts.

Every query on its table (Alembic revision 0005 in `bot/core/migrations`) lives here, apart from the alert tables, so the
store can move to another database without touching anything else.
"""

from __future__ import annotations

from sqlalchemy import text

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
        rows = await self.db.rows(
            "SELECT language FROM guild_languages WHERE guild_id = :guild_id", {"guild_id": guild_id}
        )
        return Language(rows[0]["language"]) if rows else None

    async def set(self, guild_id: int, language: Language, set_by: str, now: float) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                text(
                    "INSERT INTO guild_languages (guild_id, language, set_by, set_at)"
                    " VALUES (:guild_id, :language, :set_by, :set_at)"
                    " ON CONFLICT (guild_id) DO UPDATE SET language = excluded.language,"
                    " set_by = excluded.set_by, set_at = excluded.set_at"
                ),
                {"guild_id": guild_id, "language": language.value, "set_by": set_by, "set_at": now},
            )
