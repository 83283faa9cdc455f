"""Country watches (the national outage watch).

SQLite cannot change a CHECK, so the table is rebuilt; the same steps work on PostgreSQL, keeping one path.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    op.create_table(
        "watches_v3",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("guild_id", sa.BigInteger, nullable=False),
        sa.Column(
            "kind",
            sa.Text,
            sa.CheckConstraint("kind IN ('asn', 'prefix', 'site', 'country')"),
            nullable=False,
        ),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("guild_id", "target"),
    )
    op.execute(
        "INSERT INTO watches_v3 (id, guild_id, kind, target, note, created_by, created_at)"
        " SELECT id, guild_id, kind, target, note, created_by, created_at FROM watches"
    )
    op.drop_table("watches")
    op.rename_table("watches_v3", "watches")
    if op.get_bind().dialect.name == "postgresql":  # ids were copied: move the sequence past them
        op.execute(
            "SELECT setval(pg_get_serial_sequence('watches', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM watches"
        )
