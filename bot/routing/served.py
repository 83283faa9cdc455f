"""Which snapshot each long-running process serves, written into the shared data folder itself, so the prune
after an import never deletes a folder that a replica which has not switched yet still memory-maps.

Each serving store owns one small file, `data_dir/serving/<owner>.json` = `{"snapshot": id, "until": epoch}`,
rewritten whole (temp file + rename, so a reader never sees half of it) every time the store re-checks
`current`. The prune spares every folder named by a claim whose `until` is still ahead; a claim past its `until`
belongs to a dead or stuck process and pins nothing, so a replica that died never holds a folder for longer
than one claim's lifetime. No database is involved: it works with the SQLite default and on a folder shared by
several hosts (their clocks must agree to well within the lifetime).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from pathlib import Path

SERVING = "serving"
CLEANUP_AFTER = 86_400.0
"""A claim this long past its `until` is deleted by the prune (its owner is long gone); a younger expired one
is only ignored, so the prune never races an owner that is about to rewrite it."""


def owner_token() -> str:
    """A name no other store on any host sharing the folder uses: host, process and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def claim(data_dir: Path, owner: str, snapshot_id: str, until: float) -> None:
    """Say that `owner` serves `snapshot_id` until the wall-clock time `until` (replacing its last claim)."""
    folder = data_dir / SERVING
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{owner}.tmp"
    temp.write_text(json.dumps({"snapshot": snapshot_id, "until": until}), encoding="utf-8")
    temp.replace(folder / f"{owner}.json")


def release(data_dir: Path, owner: str) -> None:
    """Withdraw `owner`'s claim (the store closed, or `current` points nowhere)."""
    (data_dir / SERVING / f"{owner}.json").unlink(missing_ok=True)


def claimed(data_dir: Path, now: float) -> set[str]:
    """The snapshot ids some live claim names at wall-clock time `now`; claims long expired are deleted."""
    ids: set[str] = set()
    for path in (data_dir / SERVING).glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            snapshot, until = str(data["snapshot"]), float(data["until"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # removed meanwhile, or not ours: it names nothing
        if until > now:
            ids.add(snapshot)
        elif now - until > CLEANUP_AFTER:
            path.unlink(missing_ok=True)
    return ids
