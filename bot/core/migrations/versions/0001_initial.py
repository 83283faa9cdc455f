"""Watches, per-server alert settings, mutes, alerts and the outbox (the first state schema).

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("guild_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.Text, sa.CheckConstraint("kind IN ('asn', 'prefix', 'site')"), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("guild_id", "target"),
    )
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("alert_channel_id", sa.BigInteger),
    )
    op.create_table(
        "mutes",
        sa.Column("guild_id", sa.BigInteger, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("until", sa.Float, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "target", "kind"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("guild_id", sa.BigInteger, nullable=False),
        sa.Column("dedupe_key", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("state", sa.Text, sa.CheckConstraint("state IN ('open', 'resolved')"), nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("opened_at", sa.Float, nullable=False),
        sa.Column("last_notified_at", sa.Float),
        sa.Column("resolved_at", sa.Float),
        sa.Column("resolution", sa.Text, nullable=False, server_default=""),
        sa.Column("acked_by", sa.Text),
        sa.Column("muted", sa.Integer, nullable=False, server_default="0"),
    )
    open_only = sa.text("state = 'open'")
    op.create_index(
        "alerts_one_open_per_key",
        "alerts",
        ["guild_id", "dedupe_key"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    op.create_index("alerts_by_guild", "alerts", ["guild_id", "opened_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("guild_id", sa.BigInteger, nullable=False),
        sa.Column(
            "event",
            sa.Text,
            sa.CheckConstraint("event IN ('opened', 'renotify', 'resolved', 'test')"),
            nullable=False,
        ),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Float, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("sent_at", sa.Float),
        sa.Column("message_ref", sa.Text),
    )
    op.create_index("outbox_pending", "outbox", ["sent_at", "next_attempt_at"])
