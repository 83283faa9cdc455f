"""Settings load from the environment and `.env`; bad values name the variable; `.env.example` is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.settings import SettingsError, load_settings, setting_names

REPO = Path(__file__).resolve().parents[3]


def test_defaults_need_no_configuration() -> None:
    settings = load_settings(None)
    assert settings.discord.discord_token is None
    assert settings.core.log_level == "INFO"


def test_env_file_is_read_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("DISCORD_GUILD_ID=42\nLOG_LEVEL=debug\n")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = load_settings(env_file)
    assert settings.discord.discord_guild_id == 42
    assert settings.core.log_level == "WARNING"


def test_every_invalid_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_GUILD_ID", "my-server")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.setenv("SILKROUTE_HTTP_RETRIES", "-1")
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    message = str(caught.value)
    for name in ("DISCORD_GUILD_ID", "LOG_LEVEL", "SILKROUTE_HTTP_RETRIES"):
        assert name in message


def test_token_is_secret_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2.secret-token-value")
    settings = load_settings(None)
    assert "secret-token-value" not in repr(settings.discord)


def test_env_example_documents_every_setting_with_a_comment() -> None:
    lines = (REPO / ".env.example").read_text().splitlines()
    documented = {}
    for index, line in enumerate(lines):
        match = re.match(r"^([A-Z][A-Z0-9_]+)=", line)
        if match:
            documented[match.group(1)] = lines[index - 1].startswith("#")
    assert set(documented) == set(setting_names())
    assert all(documented.values()), [name for name, ok in documented.items() if not ok]


@pytest.mark.parametrize("value", ["-1", "all", "2.5"])
def test_a_bad_import_worker_count_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SILKROUTE_IMPORT_WORKERS", value)
    with pytest.raises(SettingsError, match="SILKROUTE_IMPORT_WORKERS"):
        load_settings(None)
