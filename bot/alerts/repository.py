"""All SQL about watches, alert settings, mutes, alerts and the outbox, behind typed methods.

Each method that changes several rows does so in one transaction, so a crash leaves either the old
state or the new one: an alert is never open without its outbox row, and a delivered row is marked
sent in the same step that records the message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.alerts.model import AlertKind, AlertSeverity, AlertState, OutboxEvent, WatchKind
from bot.cluster.fencing import check_term
from bot.core.state_db import StateDB

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    guild_id: int
    kind: WatchKind
    target: str
    note: str
    created_by: str
    created_at: float


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    guild_id: int
    dedupe_key: str
    kind: AlertKind
    target: str
    state: AlertState
    severity: AlertSeverity
    title: str
    summary: str
    evidence: dict[str, Any]
    opened_at: float
    last_notified_at: float | None
    resolved_at: float | None
    resolution: str
    acked_by: str | None
    muted: bool


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    alert: AlertRecord
    event: OutboxEvent
    created_at: float
    attempts: int
    nonce: str | None = None
    """The nonce an earlier attempt sent this row's message with: it may have reached the channel."""


@dataclass(frozen=True, slots=True)
class Mute:
    """`kind` is an `AlertKind` value or `ALL_KINDS`; `target` a watch target or `ANY_TARGET`."""

    guild_id: int
    target: str
    kind: str
    until: float
    created_by: str


@dataclass(frozen=True, slots=True)
class NewAlert:
    """What the lifecycle engine hands the repository to open an alert."""

    guild_id: int
    dedupe_key: str
    kind: AlertKind
    target: str
    severity: AlertSeverity
    title: str
    summary: str
    evidence: Mapping[str, Any]


def _alert(row: RowMapping) -> AlertRecord:
    return AlertRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        dedupe_key=row["dedupe_key"],
        kind=AlertKind(row["kind"]),
        target=row["target"],
        state=AlertState(row["state"]),
        severity=AlertSeverity(row["severity"]),
        title=row["title"],
        summary=row["summary"],
        evidence=json.loads(row["evidence"]),
        opened_at=row["opened_at"],
        last_notified_at=row["last_notified_at"],
        resolved_at=row["resolved_at"],
        resolution=row["resolution"],
        acked_by=row["acked_by"],
        muted=bool(row["muted"]),
    )


class AlertRepository:
    """Typed access to the state tables; owns no connection, only uses the `StateDB` it is given."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    async def _rows(self, sql: str, **params: Any) -> Sequence[RowMapping]:
        return await self.db.rows(sql, params)

    # watches ---------------------------------------------------------------------------------
    async def add_watch(
        self, guild_id: int, kind: WatchKind, target: str, note: str, created_by: str, now: float
    ) -> Watch | None:
        """The new watch, or None when this guild already watches the target."""
        async with self.db.transaction() as conn:
            watch_id = (
                await conn.execute(
                    text(
                        "INSERT INTO watches (guild_id, kind, target, note, created_by, created_at)"
                        " VALUES (:guild, :kind, :target, :note, :by, :now)"
                        " ON CONFLICT (guild_id, target) DO NOTHING RETURNING id"
                    ),
                    {
                        "guild": guild_id,
                        "kind": kind,
                        "target": target,
                        "note": note,
                        "by": created_by,
                        "now": now,
                    },
                )
            ).scalar()
        if watch_id is None:
            return None
        return Watch(watch_id, guild_id, kind, target, note, created_by, now)

    async def remove_watch(self, guild_id: int, target: str, now: float) -> int | None:
        """None when not watched; else how many of the guild's open alerts for it were resolved with it.

        Nothing would ever resolve them otherwise (no monitor looks at the target any more) and they
        would be re-notified forever; the team asked for silence, so no message is queued."""
        async with self.db.transaction() as conn:
            key = {"guild": guild_id, "target": target}
            removed = await conn.execute(
                text("DELETE FROM watches WHERE guild_id = :guild AND target = :target"), key
            )
            if removed.rowcount == 0:
                return None
            resolved = await conn.execute(
                text(
                    "UPDATE alerts SET state = 'resolved', resolved_at = :now, resolution = 'watch removed'"
                    " WHERE guild_id = :guild AND target = :target AND state = 'open'"
                ),
                {**key, "now": now},
            )
            return resolved.rowcount

    async def watches(self, guild_id: int | None = None) -> list[Watch]:
        where = "WHERE guild_id = :guild" if guild_id is not None else ""
        rows = await self._rows(
            f"SELECT * FROM watches {where} ORDER BY guild_id, kind, target", guild=guild_id
        )
        return [Watch(**{**dict(row), "kind": WatchKind(row["kind"])}) for row in rows]

    # guild settings --------------------------------------------------------------------------
    async def set_alert_channel(self, guild_id: int, channel_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                text(
                    "INSERT INTO guild_settings (guild_id, alert_channel_id) VALUES (:guild, :channel)"
                    " ON CONFLICT (guild_id) DO UPDATE SET alert_channel_id = excluded.alert_channel_id"
                ),
                {"guild": guild_id, "channel": channel_id},
            )

    async def alert_channel(self, guild_id: int) -> int | None:
        rows = await self._rows(
            "SELECT alert_channel_id FROM guild_settings WHERE guild_id = :guild", guild=guild_id
        )
        return rows[0]["alert_channel_id"] if rows else None

    # mutes -----------------------------------------------------------------------------------
    async def mute(self, mute: Mute) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                text(
                    "INSERT INTO mutes (guild_id, target, kind, until, created_by)"
                    " VALUES (:guild_id, :target, :kind, :until, :created_by)"
                    " ON CONFLICT (guild_id, target, kind) DO UPDATE SET until = excluded.until,"
                    " created_by = excluded.created_by"
                ),
                {
                    "guild_id": mute.guild_id,
                    "target": mute.target,
                    "kind": mute.kind,
                    "until": mute.until,
                    "created_by": mute.created_by,
                },
            )

    async def active_mutes(self, now: float, guild_id: int | None = None) -> list[Mute]:
        where = " AND guild_id = :guild" if guild_id is not None else ""
        rows = await self._rows(
            f"SELECT * FROM mutes WHERE until > :now{where} ORDER BY until", now=now, guild=guild_id
        )
        return [Mute(**dict(row)) for row in rows]

    # alerts ----------------------------------------------------------------------------------
    async def open_alert(self, guild_id: int, dedupe_key: str) -> AlertRecord | None:
        rows = await self._rows(
            "SELECT * FROM alerts WHERE guild_id = :guild AND dedupe_key = :key AND state = 'open'",
            guild=guild_id,
            key=dedupe_key,
        )
        return _alert(rows[0]) if rows else None

    async def open_alerts(self, guild_id: int | None = None) -> list[AlertRecord]:
        where = " AND guild_id = :guild" if guild_id is not None else ""
        rows = await self._rows(
            f"SELECT * FROM alerts WHERE state = 'open'{where} ORDER BY id", guild=guild_id
        )
        return [_alert(row) for row in rows]

    async def alert(self, alert_id: int) -> AlertRecord | None:
        rows = await self._rows("SELECT * FROM alerts WHERE id = :id", id=alert_id)
        return _alert(rows[0]) if rows else None

    async def history(self, guild_id: int, limit: int) -> list[AlertRecord]:
        rows = await self._rows(
            "SELECT * FROM alerts WHERE guild_id = :guild ORDER BY opened_at DESC, id DESC LIMIT :limit",
            guild=guild_id,
            limit=limit,
        )
        return [_alert(row) for row in rows]

    async def create_alert(
        self,
        new: NewAlert,
        now: float,
        *,
        muted: bool,
        event: OutboxEvent = OutboxEvent.OPENED,
        resolution: str | None = None,
        term: int | None = None,
    ) -> AlertRecord:
        """Insert an alert and, unless muted, its outbox row, in one transaction.

        With a `resolution` the alert is one-shot news, stored already resolved: a crash can never
        leave it open (and re-notified) between an opening and a closing step. A leader's write carries its
        `term` and raises `Deposed` instead of writing once a newer term leads (`bot.cluster.fencing`)."""
        async with self.db.transaction() as conn:
            await self._fence(conn, term)
            inserted = await conn.execute(
                text(
                    "INSERT INTO alerts (guild_id, dedupe_key, kind, target, state, severity, title, summary,"
                    " evidence, opened_at, last_notified_at, muted, resolved_at, resolution)"
                    " VALUES (:guild_id, :dedupe_key, :kind, :target, :state, :severity, :title, :summary,"
                    " :evidence, :now, :notified, :muted, :resolved_at, :resolution) RETURNING id"
                ),
                {
                    "guild_id": new.guild_id,
                    "dedupe_key": new.dedupe_key,
                    "kind": new.kind,
                    "target": new.target,
                    "state": AlertState.OPEN if resolution is None else AlertState.RESOLVED,
                    "severity": new.severity,
                    "title": new.title,
                    "summary": new.summary,
                    "evidence": json.dumps(dict(new.evidence), sort_keys=True),
                    "now": now,
                    "notified": None if muted else now,
                    "muted": int(muted),
                    "resolved_at": None if resolution is None else now,
                    "resolution": resolution or "",
                },
            )
            alert_id: int = inserted.scalar_one()
            if not muted:
                await self._enqueue(conn, alert_id, new.guild_id, event, now)
        record = await self.alert(alert_id)
        assert record is not None
        return record

    async def resolve_alert(
        self,
        alert_id: int,
        now: float,
        resolution: str,
        evidence: Mapping[str, Any],
        *,
        notify: bool,
        term: int | None = None,
    ) -> None:
        """Close an alert; `notify` only when the opening was told to the team (a muted one stays quiet)."""
        async with self.db.transaction() as conn:
            await self._fence(conn, term)
            closed = (
                await conn.execute(
                    text(
                        "UPDATE alerts SET state = 'resolved', resolved_at = :now, resolution = :resolution"
                        " WHERE id = :id AND state = 'open' RETURNING guild_id, evidence"
                    ),
                    {"now": now, "resolution": resolution, "id": alert_id},
                )
            ).one_or_none()
            # Already resolved (by another path, or twice): the team was told once, not again.
            if closed is None:
                return
            merged = merge_patch(json.loads(closed.evidence), dict(evidence))
            await conn.execute(
                text("UPDATE alerts SET evidence = :evidence WHERE id = :id"),
                {"evidence": json.dumps(merged, sort_keys=True), "id": alert_id},
            )
            if notify:
                await self._enqueue(conn, alert_id, closed.guild_id, OutboxEvent.RESOLVED, now)

    async def renotify(self, alert_id: int, guild_id: int, now: float, term: int | None = None) -> None:
        async with self.db.transaction() as conn:
            await self._fence(conn, term)
            await conn.execute(
                text("UPDATE alerts SET last_notified_at = :now WHERE id = :id"), {"now": now, "id": alert_id}
            )
            await self._enqueue(conn, alert_id, guild_id, OutboxEvent.RENOTIFY, now)

    async def ack(self, alert_ids: Iterable[int], who: str) -> int:
        """Acknowledge every alert of `alert_ids` not yet acknowledged, in one transaction; how many changed."""
        ids = list(alert_ids)
        if not ids:
            return 0
        async with self.db.transaction() as conn:
            acked = await conn.execute(
                text("UPDATE alerts SET acked_by = :who WHERE id IN :ids AND acked_by IS NULL").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"who": who, "ids": ids},
            )
            return acked.rowcount

    async def told_since(self, guild_id: int, dedupe_key: str, since: float) -> bool:
        """Whether an alert with this key opened for this guild at or after `since`."""
        rows = await self._rows(
            "SELECT 1 FROM alerts WHERE guild_id = :guild AND dedupe_key = :key AND opened_at >= :since LIMIT 1",
            guild=guild_id,
            key=dedupe_key,
            since=since,
        )
        return bool(rows)

    # snapshot views --------------------------------------------------------------------------
    async def snapshot_view(self, target: str) -> dict[str, Any] | None:
        """What the last routing snapshot seen said about a watched target (JSON), or None."""
        rows = await self._rows("SELECT view FROM snapshot_views WHERE target = :target", target=target)
        return dict(json.loads(rows[0]["view"])) if rows else None

    async def save_snapshot_views(
        self, views: Mapping[str, tuple[str, Mapping[str, Any]]], now: float, keep: Iterable[str]
    ) -> None:
        """Store (snapshot id, view) per target and forget targets no longer in `keep`, in one step."""
        kept = list(keep)
        async with self.db.transaction() as conn:
            if views:
                await conn.execute(
                    text(
                        "INSERT INTO snapshot_views (target, snapshot_id, view, seen_at)"
                        " VALUES (:target, :snapshot, :view, :now)"
                        " ON CONFLICT (target) DO UPDATE SET snapshot_id = excluded.snapshot_id,"
                        " view = excluded.view, seen_at = excluded.seen_at"
                    ),
                    [
                        {
                            "target": target,
                            "snapshot": snapshot_id,
                            "view": json.dumps(dict(view), sort_keys=True),
                            "now": now,
                        }
                        for target, (snapshot_id, view) in views.items()
                    ],
                )
            forget = "DELETE FROM snapshot_views" + (" WHERE target NOT IN :kept" if kept else "")
            statement = text(forget).bindparams(bindparam("kept", expanding=True)) if kept else text(forget)
            await conn.execute(statement, {"kept": kept} if kept else {})

    async def _fence(self, conn: AsyncConnection, term: int | None) -> None:
        """A singleton's write (term given) goes ahead only while its term leads; others are not fenced."""
        if term is not None:
            await check_term(conn, term, sqlite=self.db.is_sqlite)

    # outbox ----------------------------------------------------------------------------------
    @staticmethod
    async def _enqueue(
        conn: AsyncConnection, alert_id: int, guild_id: int, event: OutboxEvent, now: float
    ) -> None:
        await conn.execute(
            text(
                "INSERT INTO outbox (alert_id, guild_id, event, created_at, next_attempt_at)"
                " VALUES (:alert, :guild, :event, :now, :now)"
            ),
            {"alert": alert_id, "guild": guild_id, "event": event, "now": now},
        )

    async def pending(self, now: float) -> list[OutboxItem]:
        """Unsent rows due now, oldest first, each with its alert's current state."""
        return await self._items("o.sent_at IS NULL AND o.next_attempt_at <= :now", now=now)

    async def _items(self, where: str, **params: Any) -> list[OutboxItem]:
        statement = text(
            "SELECT o.id AS outbox_id, o.event, o.created_at AS queued_at, o.attempts, o.nonce, a.* FROM outbox o"
            f" JOIN alerts a ON a.id = o.alert_id WHERE {where} ORDER BY o.id"
        )
        if "ids" in params:
            statement = statement.bindparams(bindparam("ids", expanding=True))
        rows = await self.db.rows(statement, params)
        return [
            OutboxItem(
                row["outbox_id"],
                _alert(row),
                OutboxEvent(row["event"]),
                row["queued_at"],
                row["attempts"],
                row["nonce"],
            )
            for row in rows
        ]

    async def claim(
        self,
        now: float,
        owner: str,
        hold: float,
        holds: Callable[[int], bool] = lambda _guild: True,
        stale_before: float | None = None,
    ) -> list[OutboxItem]:
        """Take the unsent rows due now that no live claim holds and whose guild `owner` posts for (`holds`: a
        sharded process serves only its shards' guilds), for `owner` until `now + hold`.

        A claim is live until it runs out, or until its owner's heartbeat in `replicas` is older than
        `stale_before`: a replica that stopped beating (killed, host down) releases its rows then, not minutes
        later. An owner with no `replicas` row (a one-shot command) keeps its claims until they run out.

        Two senders never hold the same row: PostgreSQL skips rows another transaction is claiming
        (`FOR UPDATE SKIP LOCKED`), SQLite's `BEGIN IMMEDIATE` lets one claimer in at a time."""
        lock = "" if self.db.is_sqlite else " FOR UPDATE SKIP LOCKED"
        dead = (
            ""
            if stale_before is None
            else " OR claimed_by IN (SELECT id FROM replicas WHERE last_seen < :stale AND id <> :owner)"
        )
        async with self.db.transaction() as conn:
            due = (
                await conn.execute(
                    text(
                        "SELECT id, guild_id, claimed_by, claim_until FROM outbox"
                        " WHERE sent_at IS NULL AND next_attempt_at <= :now"
                        f" AND (claim_until IS NULL OR claim_until <= :now{dead}) ORDER BY id{lock}"
                    ),
                    {"now": now, "stale": stale_before, "owner": owner},
                )
            ).all()
            taken = [row for row in due if holds(row.guild_id)]
            ids = [row.id for row in taken]
            if ids:
                await conn.execute(
                    text(
                        "UPDATE outbox SET claimed_by = :owner, claim_until = :until WHERE id IN :ids"
                    ).bindparams(bindparam("ids", expanding=True)),
                    {"owner": owner, "until": now + hold, "ids": list(ids)},
                )
        if orphans := sorted(
            {r.claimed_by for r in taken if r.claim_until is not None and r.claim_until > now}
        ):
            log.info("%s took over outbox rows claimed by stale replicas %s", owner, ", ".join(orphans))
        return await self._items("o.id IN :ids", ids=list(ids)) if ids else []

    async def set_nonce(self, outbox_ids: Iterable[int], nonce: str) -> None:
        """Record the nonce before the message is sent (see `OutboxItem.nonce`)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                text("UPDATE outbox SET nonce = :nonce WHERE id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"nonce": nonce, "ids": list(outbox_ids)},
            )

    async def retry_now(self) -> None:
        """After a restart a new sink may work at once: forget the backoff of rows still pending."""
        async with self.db.transaction() as conn:
            await conn.execute(text("UPDATE outbox SET next_attempt_at = 0 WHERE sent_at IS NULL"))

    async def pending_count(self) -> int:
        rows = await self._rows("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL")
        return int(rows[0]["n"])

    async def mark_sent(self, outbox_ids: Iterable[int], now: float, message_ref: str) -> None:
        ids = list(outbox_ids)
        if not ids:
            return
        async with self.db.transaction() as conn:
            await conn.execute(
                text(
                    "UPDATE outbox SET sent_at = :now, message_ref = :ref, claim_until = NULL"
                    " WHERE id IN :ids AND sent_at IS NULL"
                ).bindparams(bindparam("ids", expanding=True)),
                {"now": now, "ref": message_ref, "ids": ids},
            )

    async def mark_failed(self, outbox_ids: Iterable[int], error: str, retry_at: float) -> None:
        ids = list(outbox_ids)
        if not ids:
            return
        async with self.db.transaction() as conn:
            await conn.execute(
                text(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = :error, next_attempt_at = :retry,"
                    " claim_until = NULL WHERE id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"error": error[:500], "retry": retry_at, "ids": ids},
            )

    async def sent_messages(self, guild_id: int | None = None) -> list[tuple[int, str, str]]:
        """(alert id, event, message ref) of every delivered row, for tests and `/alerts history`."""
        where = " AND guild_id = :guild" if guild_id is not None else ""
        rows = await self._rows(
            f"SELECT alert_id, event, message_ref FROM outbox WHERE sent_at IS NOT NULL{where} ORDER BY id",
            guild=guild_id,
        )
        return [(row["alert_id"], row["event"], row["message_ref"]) for row in rows]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch (what SQLite's json_patch did): objects merge key by key, null deletes a key."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
