"""The `silkroute` command as a script or a newcomer uses it: real processes, real exit codes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.settings import load_settings
from bot.frontends.cli import configure_logging, main
from bot.routing import rib_workers
from tests.helpers import sqlite_only


def silkroute(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=Path.cwd(),
    )


def test_ask_json_has_the_documented_shape() -> None:
    result = silkroute("ask", "/status", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["ok"] is True
    assert payload["command"] == "status"
    assert set(payload) >= {"ok", "command", "data", "sources", "error"}
    assert payload["data"]["version"]


def test_bad_input_exits_2_with_one_line_and_no_traceback() -> None:
    result = silkroute("ask", "/status verbose:yes")
    assert result.returncode == 2
    assert result.stdout.strip().startswith("error: `/status` has no option `verbose`")
    assert "Traceback" not in result.stdout + result.stderr


def test_ask_dash_answers_json_lines_in_one_process() -> None:
    lines = "/status\n\n/help command:status\n/status\n/nope\n"
    result = silkroute("ask", "-", stdin=lines)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["ok"] for a in answers] == [True, True, True, False]
    assert answers[3]["error"]["kind"] == "bad_input"
    assert "Example: /help" in answers[3]["error"]["message"]
    assert answers[0]["data"]["started_at"] == answers[2]["data"]["started_at"]  # one process served both
    assert result.returncode == 2


def test_run_without_token_opens_the_console() -> None:
    result = silkroute("run", stdin="/status\n/help\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "No DISCORD_TOKEN set" in result.stdout
    assert "silkroute status" in result.stdout
    assert "/help" in result.stdout and "Example" not in result.stderr


def test_console_reports_malformed_lines_and_keeps_going() -> None:
    result = silkroute("console", stdin='/help command:"status\n/status\n')
    assert "error: Could not read that line" in result.stdout
    assert "silkroute status" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DISCORD_GUILD_ID", "not-a-number"), ("LOG_LEVEL", "chatty"), ("SILKROUTE_OFFLINE", "perhaps")],
)
def test_bad_settings_stop_start_up_naming_the_variable(variable: str, value: str) -> None:
    result = silkroute("ask", "/status", env={variable: value})
    assert result.returncode == 2
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_env_file_option_is_used(tmp_path: Path) -> None:
    env_file = tmp_path / "team.env"
    env_file.write_text("SILKROUTE_OFFLINE=1\n")
    result = silkroute("--env-file", str(env_file), "ask", "/status", "--json")
    assert json.loads(result.stdout)["data"]["offline"] is True


def test_log_lines_and_tracebacks_never_show_the_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "MTIz.secret-token-value")
    configure_logging(load_settings(None))
    try:
        log = logging.getLogger("silkroute.test")
        log.warning("connecting with %s", "MTIz.secret-token-value")
        try:
            raise RuntimeError("login failed for MTIz.secret-token-value")
        except RuntimeError:
            log.exception("boom")
    finally:
        logging.basicConfig(force=True)
    err = capsys.readouterr().err
    assert "RuntimeError: login failed for [token hidden]" in err
    assert "connecting with [token hidden]" in err
    assert "secret-token-value" not in err


def test_data_import_records_history_and_backfill_answers_clearly(shared_data: Path, tmp_path: Path) -> None:
    """The one-shot CLI path: `data import` records a history point (the recorder built from settings and the
    state file), `/history` reads it in another process, and `data backfill` refuses bad input and offline."""
    env = {"SILKROUTE_HISTORY_DB": str(tmp_path / "h.sqlite3"), "SILKROUTE_HISTORY_COUNTRIES": "KZ"}
    env["SILKROUTE_DATA_DIR"] = str(tmp_path / "data")
    files = [
        str(shared_data / "mrt/ris-rrc00-updates.20190101.0000.gz"),
        str(shared_data / "registry/delegated-derived.20260201.txt.gz"),
    ]
    imported = silkroute("data", "import", *files, "--json", env=env)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["data"]["history"]["date"] == "2019-01-01"
    asked = json.loads(silkroute("ask", "/history target:KZ", "--json", env=env).stdout)
    assert asked["ok"] and [p["date"] for p in asked["data"]["points"]] == ["2019-01-01"]
    bad = silkroute(
        "data", "backfill", "--from", "2021-01-01", "--to", "2021-03-01", "--every", "monthly", env=env
    )
    assert bad.returncode == 2 and "is not a step" in bad.stdout and "Traceback" not in bad.stderr
    offline = silkroute(
        "data", "backfill", "--from", "2021-01-01", "--to", "2021-03-01", "--every", "1mo", env=env
    )
    assert offline.returncode == 3 and "offline" in offline.stdout


def test_a_two_megabyte_line_is_bad_input_and_the_next_line_still_answers() -> None:
    result = silkroute("ask", "-", stdin="/lookup target:" + "a " * 1_000_000 + "\n/status\n")
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["error"]["kind"] == "bad_input" and "at most 4,000" in first["error"]["message"]
    assert second["ok"] is True
    assert result.returncode == 2


@sqlite_only
def test_a_state_db_path_under_a_file_is_one_line_and_exit_3(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = silkroute("ask", "/watch list", env={"SILKROUTE_STATE_DB": str(tmp_path / "afile" / "s.db")})
    assert result.returncode == 3
    assert result.stderr.strip().startswith("silkroute: Cannot open the state database")
    assert "Traceback" not in result.stdout + result.stderr


def test_lang_option_and_setting_choose_the_answer_language_and_json_keeps_english_codes() -> None:
    russian = silkroute("--lang", "ru", "ask", "/help command:transit")
    assert russian.returncode == 0, russian.stderr
    assert "Через какие страны и сети" in russian.stdout and "Пример: `/transit" in russian.stdout
    kazakh = silkroute("ask", "/status verbose:yes", env={"SILKROUTE_LANG": "kk"})
    assert kazakh.returncode == 2
    assert kazakh.stdout.strip().startswith("қате: `/status` командасында `verbose` параметрі жоқ")
    as_json = json.loads(silkroute("--lang", "ru", "ask", "/nope", "--json").stdout)
    assert as_json["error"]["kind"] == "bad_input" and as_json["command"] is None
    assert as_json["error"]["message"].startswith("Неизвестная команда `/nope`")


def test_an_unknown_language_stops_start_up_naming_the_setting() -> None:
    result = silkroute("ask", "/status", env={"SILKROUTE_LANG": "de"})
    assert result.returncode == 2 and "SILKROUTE_LANG" in result.stderr


def test_data_import_workers_come_from_the_flag_else_the_setting(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SILKROUTE_IMPORT_WORKERS=3 splits the file among 3 processes; `--workers 1` overrides it and reads
    in the command's own process; the steps go to stderr."""
    monkeypatch.setattr(rib_workers, "MIN_PART_BYTES", 100_000)  # split a 1.3 MB file
    monkeypatch.setenv("SILKROUTE_IMPORT_WORKERS", "3")
    updates = shared_data / "mrt/ris-rrc00-updates.20190101.0000.gz"
    assert main(["data", "import", str(updates), "--data-dir", str(tmp_path / "a"), "--json"]) == 0
    assert "reading 1 MRT file(s) in 3 part(s) on 3 cores" in capsys.readouterr().err
    assert main(["data", "import", str(updates), "--data-dir", str(tmp_path / "b"), "--workers", "1"]) == 0
    said = capsys.readouterr().err
    assert f"reading {updates.name}" in said and "part(s)" not in said


def test_bad_worker_counts_are_one_clear_line(shared_data: Path) -> None:
    updates = str(shared_data / "mrt/ris-rrc00-updates.20190101.0000.gz")
    flag = silkroute("data", "import", updates, "--workers", "many")
    assert flag.returncode == 2 and "Traceback" not in flag.stderr
    assert "--workers" in flag.stderr and "example: --workers 2" in flag.stderr
    setting = silkroute("data", "import", updates, env={"SILKROUTE_IMPORT_WORKERS": "-2"})
    assert setting.returncode == 2 and "Traceback" not in setting.stderr
    assert "SILKROUTE_IMPORT_WORKERS" in setting.stderr
