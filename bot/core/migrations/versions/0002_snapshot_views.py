"""What the last routing snapshot said about each watched target, and the 'already told' index.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    op.create_table(
        "snapshot_views",
        sa.Column("target", sa.Text, primary_key=True),
        sa.Column("snapshot_id", sa.Text, nullable=False),
        sa.Column("view", sa.Text, nullable=False),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_index("alerts_by_key", "alerts", ["guild_id", "dedupe_key", "opened_at"])
