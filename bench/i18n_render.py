"""Answer rendering in Russian and Kazakh against English: what the message catalogue and CLDR formatting cost.

Baseline: the same answers in English (gettext's NullTranslations, plain formatting), measured in the same run.
Measured per language: running each command's handler on the real shared snapshot (warm: transit index and
charts built in a first pass) and rendering the answer both as console text and as Discord embeds, `REPEAT`
times. Ratios > 1 mean the language is slower than English. Goal: ru/en <= 1.1.

    .venv/bin/python bench/i18n_render.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app.catalog import build_registry
from bot.app.commands import Caller, Context, Registry, parse_command_line
from bot.app.render import render_text
from bot.app.runner import execute
from bot.core.settings import CoreSettings, Settings
from bot.frontends.discord.embeds import render_messages
from bot.i18n import Language, translator
from bot.routing.importer import import_files
from bot.routing.snapshot import load_current
from tests.fixtures.real_snapshot import REAL_FILES
from tests.helpers import make_services

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LINES = (
    "/transit target:KZ",
    "/transit target:AS9198",
    "/transit target:RU rows:50",
    "/country target:KZ",
    "/status",
    "/help",
    "/help command:transit",
    "/settings language:en",
)
ROUNDS = 5


async def one_pass(ctx: Context, registry: Registry, repeat: int) -> float:
    """Seconds for `repeat` rounds of every line: parse, handle, render as text and as Discord embeds."""
    started = time.perf_counter()
    for _ in range(repeat):
        for line in LINES:
            invocation = parse_command_line(line, registry, ctx.tr)
            answer = await execute(invocation.spec, ctx, invocation.options)
            render_text(answer)
            render_messages(answer)
    return time.perf_counter() - started


async def main(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        import_files([SHARED / name for name in REAL_FILES], Path(folder) / "data")
        snapshot = load_current(Path(folder) / "data")
        assert snapshot is not None
        settings = Settings(
            core=CoreSettings(silkroute_offline=True, silkroute_state_db=Path(folder) / "state.sqlite3")
        )
        services = make_services(settings, snapshot=snapshot)
        await services.start()
        services.snapshots.current = snapshot
        registry = build_registry()
        contexts = {
            language: Context(
                services, Caller("bench", can_manage=True, user_id=1), 1, 2, tr=translator(language)
            )
            for language in Language
        }
        try:
            for ctx in contexts.values():  # warm: transit index, charts per language, catalogues
                await one_pass(ctx, registry, 1)
            times: dict[Language, list[float]] = {language: [] for language in Language}
            for _ in range(ROUNDS):  # interleaved, so drift on a shared machine hits every language alike
                for language, ctx in contexts.items():
                    times[language].append(await one_pass(ctx, registry, repeat))
        finally:
            await services.close()
    english = statistics.median(times[Language.EN])
    answers = repeat * len(LINES)
    print(f"{answers} answers per pass, median of {ROUNDS} passes")
    for language in Language:
        median = statistics.median(times[language])
        print(
            f"{language.value}: {median / answers * 1e3:.2f} ms per answer, "
            f"ratio to en {median / english:.3f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=30)
    asyncio.run(main(parser.parse_args().repeat))
