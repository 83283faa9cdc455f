"""Each server's language (`/settings language:`); read and written only by bot.core.guild_languages.

Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    op.create_table(
        "guild_languages",
        sa.Column("guild_id", sa.BigInteger, primary_key=True),
        sa.Column("language", sa.Text, sa.CheckConstraint("language IN ('en', 'ru', 'kk')"), nullable=False),
        sa.Column("set_by", sa.Text, nullable=False),
        sa.Column("set_at", sa.Float, nullable=False),
    )
