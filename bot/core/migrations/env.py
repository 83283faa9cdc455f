"""Alembic's entry point: migrations always run on the connection (and inside the transaction) that
`bot.core.state_db` hands over, never on one of their own."""

from __future__ import annotations

from alembic import context

context.configure(connection=context.config.attributes["connection"], transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
