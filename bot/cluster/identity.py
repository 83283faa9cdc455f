"""One name per replica, used everywhere a replica is named: its `replicas` row, the leadership holder and the
outbox claims it takes. A claim is judged by its owner's heartbeat, so both must carry the same name."""

from __future__ import annotations

import os
import secrets
import socket


def new_replica_id() -> str:
    """`host:pid:tag`: the tag tells apart a restarted process that got the same pid, and two services in one."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"
