"""Replicas: who leads the singletons (with a fencing term), which processes are alive, and outbox claims.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    # One row per lease name; `term` only ever grows, so a deposed leader's writes can be told apart.
    op.create_table(
        "leadership",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("term", sa.BigInteger, nullable=False),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("since", sa.Float, nullable=False),
        sa.Column("renewed_at", sa.Float, nullable=False),
    )
    op.create_table(
        "replicas",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.Column("shards", sa.Text, nullable=False, server_default=""),
    )
    # A sender claims a row before sending it; a claim that expired (its sender died) may be taken over.
    op.add_column("outbox", sa.Column("claimed_by", sa.Text))
    op.add_column("outbox", sa.Column("claim_until", sa.Float))
    # The Discord nonce its message was sent with, stored before sending: a row claimed again after a crash
    # is first looked for in the channel under that nonce, so a message Discord accepted is not posted twice.
    op.add_column("outbox", sa.Column("nonce", sa.Text))
