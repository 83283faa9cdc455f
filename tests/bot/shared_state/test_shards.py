"""Which guilds a process serves follows Discord's sharding formula; shard settings are checked at start."""

from __future__ import annotations

import re

import pytest

from bot.core.settings import SettingsError, ShardSettings, load_settings
from bot.shared_state.shards import Shards, shard_of


def test_a_guild_belongs_to_the_shard_discord_gives_it() -> None:
    # Discord's documentation: shard_id = (guild_id >> 22) % num_shards; the id's top bits are its timestamp.
    assert shard_of(41771983423143937, 1) == 0
    assert [shard_of((n << 22) | 12345, 4) for n in range(6)] == [0, 1, 2, 3, 0, 1]
    held = Shards.from_settings(ShardSettings(silkroute_shard_count=4, silkroute_shard_ids="1,3"))
    assert [held.holds(n << 22) for n in range(4)] == [False, True, False, True]
    assert held.describe() == "shards 1, 3 of 4"
    assert Shards().holds(123) and Shards().describe() == "unsharded"
    everything = Shards.from_settings(ShardSettings(silkroute_shard_count=2))
    assert everything.holds(0) and everything.holds(1 << 22) and everything.describe() == "shards all of 2"
    standby = Shards.from_settings(ShardSettings(silkroute_shard_count=2, silkroute_shard_ids="none"))
    assert not standby.holds(0) and not standby.holds(1 << 22)
    assert standby.describe() == "standby, no shard of 2"


def test_ids_and_ranges_are_read_within_the_count() -> None:
    assert ShardSettings(silkroute_shard_count=8, silkroute_shard_ids="0-2, 6").shard_ids == (0, 1, 2, 6)
    assert ShardSettings(silkroute_shard_count="", silkroute_shard_ids="").shard_ids is None


@pytest.mark.parametrize(
    ("count", "ids", "message"),
    [
        (
            "2",
            "0,2",
            "SILKROUTE_SHARD_IDS: Value error, shard ids [2] are outside 0-1 for SILKROUTE_SHARD_COUNT=2",
        ),
        ("", "1", "SILKROUTE_SHARD_IDS: Value error, SILKROUTE_SHARD_IDS needs SILKROUTE_SHARD_COUNT"),
        ("4", "one", "SILKROUTE_SHARD_IDS: Value error, 'one' is not a shard id or range like 0,1 or 0-3"),
        ("0", "", "SILKROUTE_SHARD_COUNT"),
    ],
)
def test_bad_shard_settings_stop_start_up_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, count: str, ids: str, message: str
) -> None:
    monkeypatch.setenv("SILKROUTE_SHARD_COUNT", count)
    monkeypatch.setenv("SILKROUTE_SHARD_IDS", ids)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(None)


def test_a_redis_url_must_look_like_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SILKROUTE_REDIS_URL", "localhost:6379")
    with pytest.raises(SettingsError, match=r"SILKROUTE_REDIS_URL: .*not a Redis URL like redis://"):
        load_settings(None)
