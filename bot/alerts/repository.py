"""All SQL about watches, alert settings, mutes, alerts and the outbox, behind typed methods.

Each method that changes several rows does so in one transaction, so a crash leaves either the old
state or the new one: an alert is never open without its outbox row, and a delivered row is marked
sent in the same step that records the message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.alerts.model import AlertKind, AlertSeverity, AlertState, OutboxEvent, WatchKind
from bot.core.state_db import StateDB


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


def _alert(row: aiosqlite.Row) -> AlertRecord:
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

    async def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        # One call runs execute and fetchall together in the database thread, so no statement is left
        # open while another task commits on the shared connection.
        return list(await self.db.conn.execute_fetchall(sql, tuple(params)))

    # watches ---------------------------------------------------------------------------------
    async def add_watch(
        self, guild_id: int, kind: WatchKind, target: str, note: str, created_by: str, now: float
    ) -> Watch | None:
        """The new watch, or None when this guild already watches the target."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO watches (guild_id, kind, target, note, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, kind, target, note, created_by, now),
            )
            if cursor.rowcount == 0:
                return None
            watch_id = cursor.lastrowid
        assert watch_id is not None
        return Watch(watch_id, guild_id, kind, target, note, created_by, now)

    async def remove_watch(self, guild_id: int, target: str, now: float) -> int | None:
        """None when not watched; else how many of the guild's open alerts for it were resolved with it.

        Nothing would ever resolve them otherwise (no monitor looks at the target any more) and they
        would be re-notified forever; the team asked for silence, so no message is queued."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM watches WHERE guild_id = ? AND target = ?", (guild_id, target)
            )
            if cursor.rowcount == 0:
                return None
            cursor = await conn.execute(
                "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolution = 'watch removed'"
                " WHERE guild_id = ? AND target = ? AND state = 'open'",
                (now, guild_id, target),
            )
            return cursor.rowcount

    async def watches(self, guild_id: int | None = None) -> list[Watch]:
        where, params = ("WHERE guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
        rows = await self._rows(f"SELECT * FROM watches {where} ORDER BY guild_id, kind, target", params)
        return [Watch(**{**dict(row), "kind": WatchKind(row["kind"])}) for row in rows]

    # guild settings --------------------------------------------------------------------------
    async def set_alert_channel(self, guild_id: int, channel_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, alert_channel_id) VALUES (?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET alert_channel_id = excluded.alert_channel_id",
                (guild_id, channel_id),
            )

    async def alert_channel(self, guild_id: int) -> int | None:
        rows = await self._rows("SELECT alert_channel_id FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return rows[0][0] if rows else None

    # mutes -----------------------------------------------------------------------------------
    async def mute(self, mute: Mute) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO mutes (guild_id, target, kind, until, created_by) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, target, kind) DO UPDATE SET until = excluded.until,"
                " created_by = excluded.created_by",
                (mute.guild_id, mute.target, mute.kind, mute.until, mute.created_by),
            )

    async def active_mutes(self, now: float, guild_id: int | None = None) -> list[Mute]:
        where = " AND guild_id = ?" if guild_id is not None else ""
        params: tuple[Any, ...] = (now, guild_id) if guild_id is not None else (now,)
        rows = await self._rows(f"SELECT * FROM mutes WHERE until > ?{where} ORDER BY until", params)
        return [Mute(**dict(row)) for row in rows]

    # alerts ----------------------------------------------------------------------------------
    async def open_alert(self, guild_id: int, dedupe_key: str) -> AlertRecord | None:
        rows = await self._rows(
            "SELECT * FROM alerts WHERE guild_id = ? AND dedupe_key = ? AND state = 'open'",
            (guild_id, dedupe_key),
        )
        return _alert(rows[0]) if rows else None

    async def open_alerts(self, guild_id: int | None = None) -> list[AlertRecord]:
        where, params = (" AND guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
        rows = await self._rows(f"SELECT * FROM alerts WHERE state = 'open'{where} ORDER BY id", params)
        return [_alert(row) for row in rows]

    async def alert(self, alert_id: int) -> AlertRecord | None:
        rows = await self._rows("SELECT * FROM alerts WHERE id = ?", (alert_id,))
        return _alert(rows[0]) if rows else None

    async def history(self, guild_id: int, limit: int) -> list[AlertRecord]:
        rows = await self._rows(
            "SELECT * FROM alerts WHERE guild_id = ? ORDER BY opened_at DESC, id DESC LIMIT ?",
            (guild_id, limit),
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
    ) -> AlertRecord:
        """Insert an alert and, unless muted, its outbox row, in one transaction.

        With a `resolution` the alert is one-shot news, stored already resolved: a crash can never
        leave it open (and re-notified) between an opening and a closing step."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO alerts (guild_id, dedupe_key, kind, target, state, severity, title, summary,"
                " evidence, opened_at, last_notified_at, muted, resolved_at, resolution)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.guild_id,
                    new.dedupe_key,
                    new.kind,
                    new.target,
                    AlertState.OPEN if resolution is None else AlertState.RESOLVED,
                    new.severity,
                    new.title,
                    new.summary,
                    json.dumps(dict(new.evidence), sort_keys=True),
                    now,
                    None if muted else now,
                    int(muted),
                    None if resolution is None else now,
                    resolution or "",
                ),
            )
            alert_id = cursor.lastrowid
            assert alert_id is not None
            if not muted:
                await self._enqueue(conn, alert_id, new.guild_id, event, now)
        record = await self.alert(alert_id)
        assert record is not None
        return record

    async def resolve_alert(
        self, alert_id: int, now: float, resolution: str, evidence: Mapping[str, Any], *, notify: bool
    ) -> None:
        """Close an alert; `notify` only when the opening was told to the team (a muted one stays quiet)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolution = ?,"
                " evidence = json_patch(evidence, ?) WHERE id = ? AND state = 'open'",
                (now, resolution, json.dumps(dict(evidence), sort_keys=True), alert_id),
            )
            # Already resolved (by another path, or twice): the team was told once, not again.
            if notify and cursor.rowcount == 1:
                (guild,) = await conn.execute_fetchall(
                    "SELECT guild_id FROM alerts WHERE id = ?", (alert_id,)
                )
                await self._enqueue(conn, alert_id, guild[0], OutboxEvent.RESOLVED, now)

    async def renotify(self, alert_id: int, guild_id: int, now: float) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE alerts SET last_notified_at = ? WHERE id = ?", (now, alert_id))
            await self._enqueue(conn, alert_id, guild_id, OutboxEvent.RENOTIFY, now)

    async def ack(self, alert_ids: Iterable[int], who: str) -> int:
        """Acknowledge every alert of `alert_ids` not yet acknowledged, in one transaction; how many changed."""
        async with self.db.transaction() as conn:
            cursor = await conn.executemany(
                "UPDATE alerts SET acked_by = ? WHERE id = ? AND acked_by IS NULL",
                [(who, alert_id) for alert_id in alert_ids],
            )
            return cursor.rowcount

    async def told_since(self, guild_id: int, dedupe_key: str, since: float) -> bool:
        """Whether an alert with this key opened for this guild at or after `since`."""
        rows = await self._rows(
            "SELECT 1 FROM alerts WHERE guild_id = ? AND dedupe_key = ? AND opened_at >= ? LIMIT 1",
            (guild_id, dedupe_key, since),
        )
        return bool(rows)

    # snapshot views --------------------------------------------------------------------------
    async def snapshot_view(self, target: str) -> dict[str, Any] | None:
        """What the last routing snapshot seen said about a watched target (JSON), or None."""
        rows = await self._rows("SELECT view FROM snapshot_views WHERE target = ?", (target,))
        return dict(json.loads(rows[0][0])) if rows else None

    async def save_snapshot_views(
        self, views: Mapping[str, tuple[str, Mapping[str, Any]]], now: float, keep: Iterable[str]
    ) -> None:
        """Store (snapshot id, view) per target and forget targets no longer in `keep`, in one step."""
        kept = list(keep)
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO snapshot_views (target, snapshot_id, view, seen_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (target) DO UPDATE SET snapshot_id = excluded.snapshot_id,"
                " view = excluded.view, seen_at = excluded.seen_at",
                [
                    (target, snapshot_id, json.dumps(dict(view), sort_keys=True), now)
                    for target, (snapshot_id, view) in views.items()
                ],
            )
            await conn.execute(
                f"DELETE FROM snapshot_views WHERE target NOT IN ({', '.join('?' * len(kept))})", kept
            )

    # outbox ----------------------------------------------------------------------------------
    @staticmethod
    async def _enqueue(
        conn: aiosqlite.Connection, alert_id: int, guild_id: int, event: OutboxEvent, now: float
    ) -> None:
        await conn.execute(
            "INSERT INTO outbox (alert_id, guild_id, event, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
            (alert_id, guild_id, event, now, now),
        )

    async def pending(self, now: float) -> list[OutboxItem]:
        """Unsent rows due now, oldest first, each with its alert's current state."""
        rows = await self._rows(
            "SELECT o.id AS outbox_id, o.event, o.created_at AS queued_at, o.attempts, a.* FROM outbox o"
            " JOIN alerts a ON a.id = o.alert_id WHERE o.sent_at IS NULL AND o.next_attempt_at <= ? ORDER BY o.id",
            (now,),
        )
        return [
            OutboxItem(
                row["outbox_id"], _alert(row), OutboxEvent(row["event"]), row["queued_at"], row["attempts"]
            )
            for row in rows
        ]

    async def retry_now(self) -> None:
        """After a restart a new sink may work at once: forget the backoff of rows still pending."""
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE outbox SET next_attempt_at = 0 WHERE sent_at IS NULL")

    async def pending_count(self) -> int:
        rows = await self._rows("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        return int(rows[0][0])

    async def mark_sent(self, outbox_ids: Iterable[int], now: float, message_ref: str) -> None:
        ids = list(outbox_ids)
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET sent_at = ?, message_ref = ? WHERE id = ? AND sent_at IS NULL",
                [(now, message_ref, i) for i in ids],
            )

    async def mark_failed(self, outbox_ids: Iterable[int], error: str, retry_at: float) -> None:
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                [(error[:500], retry_at, i) for i in outbox_ids],
            )

    async def sent_messages(self, guild_id: int | None = None) -> list[tuple[int, str, str]]:
        """(alert id, event, message ref) of every delivered row, for tests and `/alerts history`."""
        where, params = (" AND guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
        rows = await self._rows(
            f"SELECT alert_id, event, message_ref FROM outbox WHERE sent_at IS NOT NULL{where} ORDER BY id",
            params,
        )
        return [(row[0], row[1], row[2]) for row in rows]
