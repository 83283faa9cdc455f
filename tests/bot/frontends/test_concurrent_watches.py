"""Many `silkroute ask` processes on one new state file at once: every one exits and no watch is lost."""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import sys
import time
from pathlib import Path
from threading import Barrier

from bot.app.answer import Answer
from bot.app.catalog import build_registry
from bot.app.commands import Context
from bot.app.runner import answer_line
from bot.core.settings import load_settings
from bot.frontends.cli import main, running_services
from bot.frontends.console import CONSOLE_CALLER

PROCESSES = 20


def _ask_in_its_own_process(barrier: Barrier, index: int) -> None:
    """What `silkroute ask -` does with three lines: its own watch, and a short-lived one removed again.

    Everything before opening the state file happens before the barrier, so the processes really race
    for the migration and the writes; the exit status says whether every answer was an answer."""
    settings = load_settings(Path(".env"))
    registry = build_registry()
    lines = [
        f"/watch add target:AS{1000 + index}",
        f"/watch add target:AS{2000 + index}",
        f"/watch remove target:AS{2000 + index}",
    ]

    async def ask() -> bool:
        async with running_services(settings, long_running=False) as services:
            ctx = Context(services=services, caller=CONSOLE_CALLER)
            results = [(await answer_line(line, registry, ctx))[1] for line in lines]
        return all(isinstance(result, Answer) for result in results)

    barrier.wait(timeout=60)
    sys.exit(0 if asyncio.run(ask()) else 1)


def test_twenty_processes_on_a_new_state_db_lose_no_watch() -> None:
    context = multiprocessing.get_context("fork")  # already imported: the race starts at the barrier
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_ask_in_its_own_process, args=(barrier, i)) for i in range(PROCESSES)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60
    for worker in workers:
        worker.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = [worker for worker in workers if worker.is_alive()]
    for worker in hung:
        worker.kill()
    assert not hung, f"{len(hung)} of {PROCESSES} processes hung"
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["ask", "/watch list"]) == 0
    listed = {word for word in out.getvalue().split() if word.startswith("AS")}
    assert listed == {f"AS{1000 + i}" for i in range(PROCESSES)}
