"""The console is the alert channel: a piped session shows the alerts its commands queued before it exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_piped_console_prints_the_test_alert_before_exiting(tmp_path: Path) -> None:
    env = {**os.environ, "SILKROUTE_STATE_DB": str(tmp_path / "state.sqlite3"), "SILKROUTE_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="/alerts test\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    out = done.stdout
    queued = out.index("Test alert #1 is on its way to the console.")
    shown = out.index("🔔 == TEST: Test alert [info] ==")
    assert queued < shown
    assert out.count("TEST: Test alert") == 1
    assert "Requested by console." in out
