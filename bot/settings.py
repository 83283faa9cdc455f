"""Settings from the environment and `.env`, one class per area (the python-discord/bot habit).

Every field's environment variable is its name in upper case; `.env.example` documents each one
(a test keeps the two in step). Invalid values stop start-up with a message naming the variable.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Section(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class DiscordSettings(_Section):
    """Connection to Discord; with no token the bot runs as a local console."""

    discord_token: SecretStr | None = None
    discord_guild_id: int | None = Field(default=None, gt=0)
    alert_channel_id: int | None = Field(default=None, gt=0)
    alert_oncall_role_id: int | None = Field(default=None, gt=0)
    watch_manager_role_id: int | None = Field(default=None, gt=0)

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

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


class Settings:
    """All sections, loaded together so every invalid variable is reported at once."""

    def __init__(self, **sections: Any) -> None:
        self.discord: DiscordSettings = sections.get("discord") or DiscordSettings()
        self.core: CoreSettings = sections.get("core") or CoreSettings()


SECTIONS: dict[str, type[_Section]] = {
    "discord": DiscordSettings,
    "core": CoreSettings,
}


class SettingsError(Exception):
    """Start-up configuration is invalid; the message names each bad variable."""


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Load every section, collecting all validation errors into one readable message."""
    sections: dict[str, Any] = {}
    problems: list[str] = []
    for key, section_class in SECTIONS.items():
        try:
            sections[key] = section_class(_env_file=env_file)  # type: ignore[call-arg]
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
