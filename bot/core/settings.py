"""Settings from the environment and `.env`, one class per area (the python-discord/bot habit).

Every field's environment variable is its name in upper case; `.env.example` documents each one
(a test keeps the two in step). Invalid values stop start-up with a message naming the variable.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import Language


class _Section(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class DiscordSettings(_Section):
    """Connection to Discord; with no token the bot runs as a local console."""

    discord_token: SecretStr | None = None
    discord_guild_id: int | None = Field(default=None, gt=0)
    alert_channel_id: int | None = Field(default=None, gt=0)
    alert_oncall_role_id: int | None = Field(default=None, gt=0)
    watch_manager_role_id: int | None = Field(default=None, gt=0)
    # `silkroute run` keeps retrying an unreachable Discord, waiting 5 s, then twice as long, up to this.
    discord_retry_max_seconds: float = Field(default=300.0, ge=5.0)

    @field_validator("discord_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class CoreSettings(_Section):
    """Where silkroute keeps its data and state, and how it logs."""

    silkroute_data_dir: Path = Path("var/data")
    silkroute_state_db: Path = Path("var/state.sqlite3")
    silkroute_offline: bool = False
    log_level: str = "INFO"
    # The console's and `ask`'s answer language (`--lang` overrides); Discord picks per user and server.
    silkroute_lang: Language = Language.EN

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


class RoutingSettings(_Section):
    """Where `data update` downloads public routing data from, and how often the bot refreshes it."""

    silkroute_routeviews_rib_url: str = (
        "https://archive.routeviews.org/bgpdata/{yyyy}.{mm}/RIBS/rib.{yyyymmdd}.0000.bz2"
    )
    silkroute_ris_bview_url: str = "https://data.ris.ripe.net/rrc00/latest-bview.gz"
    silkroute_delegated_url: str = (
        "https://ftp.ripe.net/pub/stats/ripencc/nro-stats/latest/nro-delegated-stats"
    )
    silkroute_asnames_url: str = "https://ftp.ripe.net/ripe/asnames/asn.txt"
    silkroute_peeringdb_ix_url: str = "https://www.peeringdb.com/api/ix"
    silkroute_peeringdb_ixpfx_url: str = "https://www.peeringdb.com/api/ixpfx"
    silkroute_update_interval_hours: float = Field(default=24.0, ge=0)
    # How often a running process re-reads `current` (a replica without Redis hears no switch event).
    silkroute_snapshot_recheck_seconds: float = Field(default=10.0, gt=0)
    silkroute_download_max_bytes: int = Field(default=2_000_000_000, gt=0)
    silkroute_download_timeout_seconds: float = Field(default=1800.0, gt=0)
    silkroute_download_retries: int = Field(default=4, ge=0, le=20)
    silkroute_download_connect_timeout: float = Field(default=10.0, gt=0)
    # Processes reading MRT files in an import: 0 = every core this process may use, 1 = none besides it.
    silkroute_import_workers: int = Field(default=0, ge=0, le=1024)


class LiveSettings(_Section):
    """Public live sources; base URLs are settings so tests and mirrors can point elsewhere."""

    ripestat_url: str = "https://stat.ripe.net"
    ihr_url: str = "https://www.ihr.live/ihr/api"
    rislive_url: str = "wss://ris-live.ripe.net/v1/ws/"
    ripe_atlas_url: str = "https://atlas.ripe.net/api/v2"
    ripe_atlas_key: SecretStr | None = None
    ioda_url: str = "https://api.ioda.inetintel.cc.gatech.edu/v2"
    silkroute_client_name: str = "silkroute"
    silkroute_http_connect_timeout: float = Field(default=5.0, gt=0)
    silkroute_http_read_timeout: float = Field(default=20.0, gt=0)
    silkroute_http_retries: int = Field(default=3, ge=0, le=10)
    silkroute_http_max_bytes: int = Field(default=20_000_000, gt=0)
    silkroute_http_concurrency: int = Field(default=4, ge=1, le=64)
    silkroute_http_backoff_seconds: float = Field(default=0.5, ge=0)
    silkroute_http_retry_after_max: float = Field(default=30.0, ge=0)
    silkroute_rislive_silence_seconds: float = Field(default=60.0, gt=0)


class ReachSettings(_Section):
    """Active reachability checks: resolvers, time and byte caps, and the safety switch."""

    silkroute_public_resolver: str = "8.8.8.8"
    silkroute_allow_unsafe_targets: bool = False
    silkroute_reach_timeout: float = Field(default=10.0, gt=0)
    silkroute_reach_max_bytes: int = Field(default=2_000_000, gt=0)
    silkroute_system_resolver: str = ""
    silkroute_extra_interception_spki: str = ""
    silkroute_reach_extra_ca_file: Path | None = None
    silkroute_atlas_probes: int = Field(default=10, ge=1, le=50)
    silkroute_atlas_wait_seconds: float = Field(default=600.0, gt=0, le=840)
    silkroute_atlas_poll_seconds: float = Field(default=15.0, gt=0)

    @field_validator("silkroute_reach_extra_ca_file", mode="before")
    @classmethod
    def _empty_ca_file_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class AlertSettings(_Section):
    """How monitors decide that something is worth telling the team."""

    silkroute_visibility_min_peers: int = Field(default=10, ge=1)
    silkroute_visibility_confirm_seconds: float = Field(default=360.0, ge=0)
    silkroute_renotify_hours: float = Field(default=24.0, gt=0)
    silkroute_feed_silence_seconds: float = Field(default=300.0, gt=0)
    silkroute_site_check_minutes: float = Field(default=10.0, gt=0)
    silkroute_exit_shift_threshold: float = Field(default=0.15, gt=0, le=1)
    silkroute_exit_drift_days: int = Field(default=30, ge=0, le=3650)


class HistorySettings(_Section):
    """Which networks get a dated history point at every import, and where the points are kept."""

    silkroute_history_db: Path = Path("var/history.sqlite3")
    silkroute_history_countries: str = "KZ,KG,UZ,TJ,TM,RU,CN,AZ"
    silkroute_routeviews_archive_url: str = (
        "https://archive.routeviews.org/{collector_dir}bgpdata/{yyyy}.{mm}/RIBS/rib.{yyyymmdd}.{hhmm}.bz2"
    )
    silkroute_ris_archive_url: str = (
        "https://data.ris.ripe.net/{collector}/{yyyy}.{mm}/bview.{yyyymmdd}.{hhmm}.gz"
    )
    silkroute_backfill_search_days: int = Field(default=3, ge=0, le=15)

    @field_validator("silkroute_history_countries")
    @classmethod
    def _country_codes(cls, value: str) -> str:
        codes = [code.strip().upper() for code in value.split(",") if code.strip()]
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad:
            raise ValueError(f"not two-letter country codes: {', '.join(bad)} (example: KZ,KG,UZ)")
        return ",".join(codes)

    @property
    def countries(self) -> list[str]:
        return [code for code in self.silkroute_history_countries.split(",") if code]


QUOTA_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_quota(text: str) -> tuple[int, float]:
    """`6/10m` → (6 uses, 600 s): at most that many uses in any such window; `0/1s` turns a use off."""
    count, sep, window = text.strip().partition("/")
    unit = window[-1:].lower()
    if not sep or not count.isdigit() or unit not in QUOTA_UNITS or not window[:-1].isdigit():
        raise ValueError(f"{text!r} is not a quota like 6/10m (uses / window in s, m, h or d)")
    seconds = int(window[:-1]) * QUOTA_UNITS[unit]
    if seconds <= 0:
        raise ValueError(f"{text!r}: the window must be longer than zero")
    return int(count), float(seconds)


class LimitSettings(_Section):
    """Fair use: quotas as `uses/window` (`6/10m`) for the commands that cost something; managers are exempt
    from the per-user quotas, never from the per-server Atlas budget or the process-wide probe cap."""

    silkroute_limit_reach_user: str = "6/10m"
    silkroute_limit_reach_server: str = "40/10m"
    silkroute_limit_atlas_results_server: str = "100/1d"
    silkroute_limit_cold_user: str = "4/10m"
    silkroute_limit_watch_add_user: str = "20/1h"
    silkroute_max_concurrent_probes: int = Field(default=16, ge=1, le=256)

    @field_validator(
        "silkroute_limit_reach_user",
        "silkroute_limit_reach_server",
        "silkroute_limit_atlas_results_server",
        "silkroute_limit_cold_user",
        "silkroute_limit_watch_add_user",
    )
    @classmethod
    def _quota(cls, value: str) -> str:
        parse_quota(value)
        return value


DEFAULT_OUTAGE_PANEL = (
    "kaspi.kz,egov.kz,nur.kz,tengrinews.kz,kolesa.kz,krisha.kz,halykbank.kz,telecom.kz,beeline.kz,"
    "kcell.kz,tele2.kz,transtelecom.kz,ps.kz,nic.kz,ns.nic.kz,ns2.nic.kz"
)


class OutageSettings(_Section):
    """When a country or an AS counts as dark: the thresholds `/help command:outage` documents."""

    silkroute_outage_down_ratio: float = Field(default=0.6, gt=0, lt=1)
    silkroute_outage_down_minutes: float = Field(default=20.0, ge=0)
    silkroute_outage_baseline_days: int = Field(default=7, ge=1, le=28)
    silkroute_outage_min_baseline_days: int = Field(default=3, ge=1, le=28)
    silkroute_outage_chart_hours: int = Field(default=48, ge=6, le=168)
    silkroute_outage_panel: str = DEFAULT_OUTAGE_PANEL
    silkroute_outage_panel_minutes: float = Field(default=5.0, gt=0)
    silkroute_outage_check_minutes: float = Field(default=5.0, gt=0)

    @property
    def panel_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in self.silkroute_outage_panel.split(",") if h.strip())


class RedisSettings(_Section):
    """Shared state for more than one process: with a Redis URL the live cache, its single-flight, the fair-use
    windows and the event fan-out live in Redis; without one each process keeps its own (the default)."""

    silkroute_redis_url: str = ""
    # How long one process may hold a live lookup before the others stop waiting and fetch themselves.
    silkroute_redis_lock_seconds: float = Field(default=30.0, gt=0, le=600)

    @field_validator("silkroute_redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        url = value.strip()
        if url and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{url!r} is not a Redis URL like redis://127.0.0.1:6379/0")
        return url


class ShardSettings(_Section):
    """Discord shards this process connects: all of them when both are empty (discord.py picks the count)."""

    silkroute_shard_count: int | None = Field(default=None, ge=1, le=10_000)
    silkroute_shard_ids: str = ""

    @field_validator("silkroute_shard_count", mode="before")
    @classmethod
    def _empty_count_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def shard_ids(self) -> tuple[int, ...] | None:
        """The ids as numbers; None means every shard of the count, () none (a standby)."""
        return parse_shard_ids(self.silkroute_shard_ids, self.silkroute_shard_count)

    @field_validator("silkroute_shard_ids")
    @classmethod
    def _ids_within_count(cls, value: str, info: ValidationInfo) -> str:
        parse_shard_ids(value, info.data.get("silkroute_shard_count"))  # the count is validated first
        return value


def parse_shard_ids(text: str, count: int | None) -> tuple[int, ...] | None:
    """`0,2` or `0-3` within `count`, or `none` (a standby: no gateway connection, ready to lead the singletons);
    a clear error naming the allowed range otherwise."""
    if not text.strip():
        return None
    if count is None:
        raise ValueError(
            "SILKROUTE_SHARD_IDS needs SILKROUTE_SHARD_COUNT (e.g. SHARD_COUNT=4, SHARD_IDS=0,1)"
        )
    if text.strip().lower() == "none":
        return ()
    ids: set[int] = set()
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{part.strip()!r} is not a shard id or range like 0,1 or 0-3 (or none)")
        ids.update(range(int(low), int(high if dash else low) + 1))
    outside = sorted(i for i in ids if i >= count)
    if outside:
        raise ValueError(f"shard ids {outside} are outside 0-{count - 1} for SILKROUTE_SHARD_COUNT={count}")
    return tuple(sorted(ids))


class DatabaseSettings(_Section):
    """Where durable state lives, and how replicas share the singletons (README "Running more than one").

    Empty `SILKROUTE_DATABASE_URL` keeps the embedded default: the SQLite file `SILKROUTE_STATE_DB`, one process
    that always leads. A `postgresql://` URL moves the state to PostgreSQL, where any number of replicas run and
    one at a time, chosen by an advisory lock, runs the singletons."""

    silkroute_database_url: str = ""
    # How often the leader proves it still holds its lease, and a standby tries to take it.
    silkroute_lease_heartbeat_seconds: float = Field(default=5.0, gt=0, le=60)
    # A leader that cannot prove its lease for this long stops its singletons (before a standby can win).
    silkroute_lease_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # A replica whose heartbeat is older than this is shown as gone in /status and its outbox claims are taken over.
    silkroute_replica_stale_seconds: float = Field(default=60.0, gt=0)

    @field_validator("silkroute_replica_stale_seconds")
    @classmethod
    def _stale_after_two_heartbeats(cls, value: float, info: ValidationInfo) -> float:
        """A live replica a heartbeat late must not look dead: its claimed alerts would go out twice."""
        heartbeat = info.data.get("silkroute_lease_heartbeat_seconds")
        if heartbeat is not None and value < 2 * heartbeat:
            raise ValueError(
                f"must be at least two heartbeats ({2 * heartbeat:g} s with SILKROUTE_LEASE_HEARTBEAT_SECONDS="
                f"{heartbeat:g}), or a live replica would be taken for dead (example: 60)"
            )
        return value

    @field_validator("silkroute_database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        url = value.strip()
        if url and not url.startswith(("postgresql://", "postgresql+psycopg://", "sqlite")):
            raise ValueError(
                "must be empty (SQLite) or a postgresql:// URL (example: postgresql://bot@db/silkroute)"
            )
        return url


class Settings:
    """All sections, loaded together so every invalid variable is reported at once."""

    def __init__(self, **sections: Any) -> None:
        self.discord: DiscordSettings = sections.get("discord") or DiscordSettings()
        self.core: CoreSettings = sections.get("core") or CoreSettings()
        self.routing: RoutingSettings = sections.get("routing") or RoutingSettings()
        self.live: LiveSettings = sections.get("live") or LiveSettings()
        self.reach: ReachSettings = sections.get("reach") or ReachSettings()
        self.alerts: AlertSettings = sections.get("alerts") or AlertSettings()
        self.history: HistorySettings = sections.get("history") or HistorySettings()
        self.limits: LimitSettings = sections.get("limits") or LimitSettings()
        self.outage: OutageSettings = sections.get("outage") or OutageSettings()
        self.redis: RedisSettings = sections.get("redis") or RedisSettings()
        self.shards: ShardSettings = sections.get("shards") or ShardSettings()
        self.database: DatabaseSettings = sections.get("database") or DatabaseSettings()


SECTIONS: dict[str, type[_Section]] = {
    "discord": DiscordSettings,
    "core": CoreSettings,
    "routing": RoutingSettings,
    "live": LiveSettings,
    "reach": ReachSettings,
    "alerts": AlertSettings,
    "history": HistorySettings,
    "limits": LimitSettings,
    "outage": OutageSettings,
    "redis": RedisSettings,
    "shards": ShardSettings,
    "database": DatabaseSettings,
}


class SettingsError(Exception):
    """Start-up configuration is invalid; the message names each bad variable."""


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Load every section, collecting all validation errors into one readable message."""
    sections: dict[str, Any] = {}
    problems: list[str] = []
    for key, section_class in SECTIONS.items():
        try:
            sections[key] = section_class(_env_file=env_file)
        except ValidationError as exc:
            for error in exc.errors():
                variable = str(error["loc"][0]).upper() if error["loc"] else section_class.__name__
                problems.append(f"{variable}: {error['msg']}")
    if problems:
        raise SettingsError("Invalid settings: " + "; ".join(problems))
    return Settings(**sections)


def setting_names() -> list[str]:
    """Every environment variable silkroute reads, for `.env.example` and the README."""
    return [name.upper() for section in SECTIONS.values() for name in section.model_fields]
