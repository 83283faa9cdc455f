"""Alembic's entry point for the history tables: run on the connection (and in the transaction) that
`bot.history.store` hands over, recording versions in their own table."""

from __future__ import annotations

from alembic import context

context.configure(
    connection=context.config.attributes["connection"],
    transactional_ddl=True,
    version_table="history_version",
)
with context.begin_transaction():
    context.run_migrations()
