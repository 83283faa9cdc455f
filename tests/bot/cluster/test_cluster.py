"""The cluster component: singletons stand by until this replica leads; /status lists replicas and the leader."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cluster.service import Cluster
from bot.core.settings import DatabaseSettings, Settings
from bot.core.state_db import StateDB
from tests.helpers import sqlite_only


class Recorder:
    """A singleton that remembers what it was told."""

    def __init__(self) -> None:
        self.told: list[str] = []

    async def lead(self, term: int) -> None:
        self.told.append(f"lead {term}")

    async def stand_by(self) -> None:
        self.told.append("stand by")


def replica(singleton: Recorder) -> Cluster:
    """Heartbeats an hour apart: the test drives every step itself."""
    database = DatabaseSettings(
        silkroute_lease_heartbeat_seconds=60,
        silkroute_lease_timeout_seconds=5,
        silkroute_replica_stale_seconds=3600,
    )
    settings = Settings(database=database)
    return Cluster(settings, [singleton], StateDB.from_settings(settings))


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_replicas_stand_by_until_they_lead_and_status_shows_the_cluster() -> None:
    first, second = Recorder(), Recorder()
    a, b = replica(first), replica(second)
    await a.start()
    await b.start()
    try:
        assert first.told == ["stand by", "lead 1"] and second.told == ["stand by"]
        await a.beat()
        await b.beat()
        status = b.status().text
        assert "Database: PostgreSQL" in status and "answered in" in status
        assert f"Leader: {a.replica_id}, term 1, since" in status
        assert "Replicas (2):" in status and a.replica_id in status and b.replica_id in status
        assert f"Leader: {a.replica_id} (this replica)" in a.status().text

        await a.close()  # lets go of the lease and leaves the replica list
        assert first.told[-1] == "stand by"
        await b.lease.step()
        assert second.told == ["stand by", "lead 2"]
        await b.beat()
        assert "Replicas (1):" in b.status().text
    finally:
        await a.close()
        await b.close()


@sqlite_only
async def test_the_lone_sqlite_process_leads_at_once_and_one_shot_commands_take_no_part() -> None:
    alone = Recorder()
    cluster = replica(alone)
    await cluster.start()
    try:
        assert alone.told == ["lead 1"]
        await cluster.beat()
        assert "Database: SQLite" in cluster.status().text and "(this replica)" in cluster.status().text
    finally:
        await cluster.close()
        await cluster.db.close()  # shared on SQLite: its owner (the alert service) closes it
    one_shot = Cluster(Settings(), [alone], StateDB.from_settings(Settings()), active=False)
    await one_shot.start()
    assert alone.told == ["lead 1", "stand by"]
    assert "one-shot command, not a replica" in one_shot.status().text
    await one_shot.close()


def test_a_stale_bound_under_two_heartbeats_is_refused_with_an_example() -> None:
    """Else a replica one heartbeat late would look dead, and its claimed alerts go out twice."""
    with pytest.raises(ValidationError, match=r"at least two heartbeats \(10 s .*\(example: 60\)"):
        DatabaseSettings(silkroute_lease_heartbeat_seconds=5, silkroute_replica_stale_seconds=9)
    assert DatabaseSettings(silkroute_lease_heartbeat_seconds=5, silkroute_replica_stale_seconds=10)
