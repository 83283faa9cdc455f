"""Which Discord shards this process holds, and so which guilds it serves.

Discord routes a guild's events to shard `(guild_id >> 22) % shard_count` (its documented sharding formula);
a process answers only the interactions of its shards, and must deliver only its shards' alerts too, or
two processes sharing one outbox would post the same alert twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.settings import ShardSettings


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord gives this guild's events to."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class Shards:
    """`count` None: unsharded (one gateway connection holds every guild); `ids` None: every shard of `count`;
    `ids` empty: a standby, holding no guild."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    @classmethod
    def from_settings(cls, settings: ShardSettings) -> Shards:
        return cls(settings.silkroute_shard_count, settings.shard_ids)

    def holds(self, guild_id: int) -> bool:
        if self.count is None or self.ids is None:
            return True
        return shard_of(guild_id, self.count) in self.ids

    def describe(self) -> str:
        if self.count is None:
            return "unsharded"
        if self.ids == ():
            return f"standby, no shard of {self.count}"
        held = "all" if self.ids is None else ", ".join(map(str, self.ids))
        return f"shards {held} of {self.count}"
