"""Prefixes `/history` was asked about: recorded at every import from then on, beside the watched ones.

Revision ID: h0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0002"
down_revision: str | None = "h0001"


def upgrade() -> None:
    op.create_table(
        "kept",
        sa.Column("target", sa.Text, primary_key=True),
        sa.Column("asked_at", sa.Float, nullable=False),
    )
