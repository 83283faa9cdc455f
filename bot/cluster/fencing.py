"""Fencing: a deposed leader's singleton writes are refused, not written.

A leader cut off from the database, or paused for longer than its lease, may go on running its monitors for a
while before it learns it lost the lease; an alert it opens then would be a second copy of the new leader's.
Each such write carries the term the writer was elected in and checks it, in the write's own transaction,
against the `leadership` row. On PostgreSQL that row is read `FOR SHARE`, and an election updates it, so the two
are ordered: a write either commits before the new term exists or sees it and is refused.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cluster.lease import LEASE_NAME


class Deposed(Exception):
    """The writer's term is below the current one: another replica leads now, the write must not happen."""

    def __init__(self, term: int, current: int) -> None:
        super().__init__(f"term {term} was deposed by term {current}")
        self.term = term
        self.current = current


async def check_term(conn: AsyncConnection, term: int, *, sqlite: bool) -> None:
    """Raise `Deposed` (rolling the caller's transaction back) when a term above `term` leads."""
    share = "" if sqlite else " FOR SHARE"  # SQLite: one writer at a time anyway (BEGIN IMMEDIATE)
    current = (
        await conn.execute(
            text(f"SELECT term FROM leadership WHERE name = :name{share}"), {"name": LEASE_NAME}
        )
    ).scalar_one_or_none()
    if current is not None and int(current) > term:
        raise Deposed(term, int(current))
