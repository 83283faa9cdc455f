"""Recordings (one per imported date and collector set), their points per target, and backfill progress.

Revision ID: h0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("date", sa.Text, nullable=False),
        sa.Column("collectors", sa.Text, nullable=False),
        sa.Column("data_time", sa.Text, nullable=False),
        sa.Column("snapshot_id", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("date", "collectors"),
    )
    op.create_table(
        "points",
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("date", sa.Text, nullable=False),
        sa.Column("collectors", sa.Text, nullable=False),
        sa.Column("view", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("target", "date", "collectors"),
        sqlite_with_rowid=False,
    )
    op.create_index("points_by_recording", "points", ["date", "collectors"])
    op.create_table(
        "backfilled",
        sa.Column("collector", sa.Text, nullable=False),
        sa.Column("wanted", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("date", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("collector", "wanted"),
    )
