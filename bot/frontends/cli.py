"""`silkroute` command line: run the bot, open the console, or ask one command from a script.

The bot's components (the command catalogue, services, the console, the import) are imported by the commands
that use them, not here: importing them all takes ~1.5 s, which `lookup-batch` (a researcher's bulk lookup,
often of a short list) and `i18n` would pay at every start for nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app.answer import EXIT_CODES, Answer, CommandError, ErrorKind, as_command_error
from bot.app.commands import Context, Registry
from bot.app.render import answer_json, dumps, error_json, render_text
from bot.app.runner import answer_line
from bot.core.errors import DomainError
from bot.core.settings import Settings, SettingsError, load_settings
from bot.i18n import ENGLISH, Language, Translator, translator
from bot.routing.batch_lookup import BadLine, BatchLookup, write_rows
from bot.routing.snapshot import SnapshotFormatError, load_current

if TYPE_CHECKING:
    from bot.app.wiring import Services

log = logging.getLogger("silkroute")


class RedactingFormatter(logging.Formatter):
    """Blanks the Discord token in the whole formatted record, tracebacks included."""

    def __init__(self, fmt: str, secret: str | None) -> None:
        super().__init__(fmt)
        self.secret = secret

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace(self.secret, "[token hidden]") if self.secret else text


def configure_logging(settings: Settings) -> None:
    token = settings.discord.discord_token
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s", token.get_secret_value() if token else None
        )
    )
    logging.basicConfig(level=settings.core.log_level, handlers=[handler], force=True)
    # Alembic logs its plugin set-up at INFO when first imported, which the commands that open the state
    # database now do after this point: noise on every start (its migrations are quiet too, `state_db`).
    logging.getLogger("alembic").setLevel(logging.WARNING)


@contextlib.asynccontextmanager
async def running_services(settings: Settings, *, long_running: bool) -> AsyncIterator[Services]:
    from bot.app.wiring import build_services

    services = build_services(settings, long_running=long_running)
    await services.start()
    try:
        yield services
    finally:
        await services.close()


async def cmd_ask(settings: Settings, line: str, as_json: bool) -> int:
    from bot.app.catalog import build_registry
    from bot.frontends.console import CONSOLE_CALLER

    registry = build_registry()
    async with running_services(settings, long_running=False) as services:
        ctx = Context(services=services, caller=CONSOLE_CALLER, tr=translator(settings.core.silkroute_lang))
        if line == "-":
            return await _ask_lines(registry, ctx)
        name, result = await answer_line(line, registry, ctx)
    return _print_result(result, name, as_json, ctx.tr)


async def _ask_lines(registry: Registry, ctx: Context) -> int:
    """JSON Lines in, JSON Lines out, one process: scripts pay start-up once."""
    from bot.frontends.console import stdin_lines

    worst = 0
    async for line in stdin_lines():
        if not line.strip():
            continue
        name, result = await answer_line(line, registry, ctx)
        if isinstance(result, CommandError):
            print(dumps(error_json(name, result, ctx.tr)), flush=True)
            worst = max(worst, EXIT_CODES[result.kind])
        else:
            print(dumps(answer_json(result)), flush=True)
    return worst


async def cmd_console(settings: Settings) -> int:
    from bot.app.catalog import build_registry
    from bot.app.features.alerts.console_sink import ConsoleSink
    from bot.frontends.console import Console

    registry = build_registry()
    async with running_services(settings, long_running=True) as services:
        console = Console(
            services,
            registry,
            output_dir=Path("silkroute-output"),
            tr=translator(settings.core.silkroute_lang),
        )
        await services.alerts.attach(
            ConsoleSink(console.show_alert, services.alerts.outage, settings, services.languages)
        )
        await console.run(history_file=settings.core.silkroute_state_db.parent / "console_history")
    return 0


async def cmd_run(settings: Settings) -> int:
    if settings.discord.discord_token is None:
        print("No DISCORD_TOKEN set: opening the local console instead of connecting to Discord.", flush=True)
        return await cmd_console(settings)
    from bot.frontends.discord.client import run_discord

    return await run_discord(settings)


def _print_result(
    result: Answer | CommandError, name: str | None, as_json: bool, tr: Translator = ENGLISH
) -> int:
    """Print an answer or an error in the chosen form and return the documented exit code."""
    if isinstance(result, CommandError):
        text = tr.gettext("error: {message}").format(message=result.user_text(tr))
        print(dumps(error_json(name, result, tr)) if as_json else text)
        return EXIT_CODES[result.kind]
    print(dumps(answer_json(result)) if as_json else render_text(result))
    return 0


async def cmd_data(settings: Settings, args: argparse.Namespace) -> int:
    """`silkroute data import|update|status`: build, download or describe the routing snapshot."""
    from bot.app.features.backfill import DEFAULT_COLLECTORS, backfill_command
    from bot.app.features.data import import_command, status_command, update_command
    from bot.app.wiring import standalone_history

    data_dir = args.data_dir or settings.core.silkroute_data_dir
    result: Answer | CommandError
    try:
        if args.data_command == "import":
            workers = settings.routing.silkroute_import_workers if args.workers is None else args.workers
            result = await import_command(
                args.paths, data_dir, standalone_history(settings), workers or None, say=_progress
            )
        elif args.data_command == "backfill":
            settings.core.silkroute_data_dir = data_dir
            result = await backfill_command(
                settings,
                standalone_history(settings),
                args.start,
                args.end,
                args.every,
                ",".join(DEFAULT_COLLECTORS) if args.collectors is None else args.collectors,
                args.registry,
                say=_progress,
            )
        elif args.data_command == "update":
            settings.core.silkroute_data_dir = data_dir
            result = await update_command(settings, standalone_history(settings))
        else:
            result = await status_command(data_dir)
    except DomainError as error:
        result = as_command_error(error)
    return _print_result(result, f"data {args.data_command}", args.json)


async def cmd_reach_batch(settings: Settings, args: argparse.Namespace) -> int:
    """Check a list or CSV of sites, e.g. the Citizen Lab test list, and write a report."""
    from bot.app.features.reach.batch import run_batch
    from bot.routing.snapshot_store import SnapshotStore

    store = SnapshotStore(settings.core.silkroute_data_dir)
    await store.start()
    try:
        text = await run_batch(
            args.file,
            settings,
            output_format=args.format,
            output=args.output,
            concurrency=args.concurrency,
            snapshot=store.current,
            progress=True,
        )
    except DomainError as exc:
        error = as_command_error(exc)
        print(f"error: {error.user_text()}", file=sys.stderr)
        return EXIT_CODES[error.kind]
    if args.output is None:
        print(text)
    else:
        print(f"report written to {args.output}", file=sys.stderr)
    return 0


async def cmd_lookup_batch(settings: Settings, args: argparse.Namespace) -> int:
    """Origin AS, prefix, AS name and country for every address or prefix of a file, streamed to stdout."""
    try:
        snapshot = load_current(settings.core.silkroute_data_dir)
    except SnapshotFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CODES[ErrorKind.UNAVAILABLE]
    if snapshot is None:
        print(
            f"error: no routing snapshot in {settings.core.silkroute_data_dir}: "
            "build one with `silkroute data import FILE...` or `silkroute data update`",
            file=sys.stderr,
        )
        return EXIT_CODES[ErrorKind.UNAVAILABLE]
    bad = 0

    def report(line: BadLine) -> None:
        nonlocal bad
        bad += 1
        print(
            f"line {line.line}: skipped {line.text!r}: {line.problem} "
            "(one address or prefix a line, e.g. 95.56.0.1 or 2a00:12f8::/32)",
            file=sys.stderr,
        )

    with (
        contextlib.nullcontext(sys.stdin)
        if str(args.file) == "-"
        else args.file.open(encoding="utf-8") as lines
    ):
        write_rows(BatchLookup(snapshot).chunks(lines), sys.stdout, args.format, report)
    sources = "; ".join(
        f"{s.name} ({s.date:%Y-%m-%d})" if s.date else s.name for s in snapshot.data_sources()
    )
    print(f"sources: {sources}", file=sys.stderr)
    return EXIT_CODES[ErrorKind.BAD_INPUT] if bad else 0


def cmd_i18n_extract() -> int:
    """Refresh the template and merge it into each language; exit 1 while a translation is missing."""
    from bot.frontends.i18n_catalogue import TEMPLATE, extract, update_catalogues

    missing = update_catalogues(extract())
    print(f"wrote {TEMPLATE}; " + ", ".join(f"{lang.value}: {n} untranslated" for lang, n in missing.items()))
    return 1 if any(missing.values()) else 0


def _progress(line: str) -> None:
    """A long command's steps on stderr, so stdout stays the answer alone (`--json` pipes)."""
    print(line, file=sys.stderr, flush=True)


def _worker_count(text: str) -> int:
    """`--workers N`: a whole number of processes, 0 meaning one per core."""
    try:
        count = int(text)
    except ValueError:
        count = -1
    if not 0 <= count <= 1024:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of processes from 0 to 1024 (example: --workers 2; 0 = one per core)"
        )
    return count


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="silkroute", description=__doc__)
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="settings file (default: .env)")
    parser.add_argument(
        "--lang",
        choices=[language.value for language in Language],
        help="language of answers in the console and ask (default: SILKROUTE_LANG, else en)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="connect to Discord (console when DISCORD_TOKEN is unset)")
    sub.add_parser("console", help="interactive prompt taking the same commands as Discord")
    ask = sub.add_parser(
        "ask", help='answer one command, e.g. silkroute ask "/status"; "-" reads lines from stdin'
    )
    ask.add_argument(
        "line", help='the command as typed in Discord, or "-" for one command per stdin line (JSON Lines out)'
    )
    ask.add_argument("--json", action="store_true", help="print the JSON answer")

    data = sub.add_parser("data", help="build, download or describe the routing snapshot")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    imp = data_sub.add_parser(
        "import", help="build a snapshot from local MRT, delegated-stats, AS-name or IPASN files"
    )
    imp.add_argument("paths", nargs="+", type=Path, help="files of any supported kind (detected by content)")
    imp.add_argument(
        "--workers",
        type=_worker_count,
        metavar="N",
        help="processes reading MRT files: 0 = one per core, 1 = this process only "
        "(default: SILKROUTE_IMPORT_WORKERS)",
    )
    data_sub.add_parser("update", help="download current public data, then import it")
    data_sub.add_parser("status", help="describe the snapshot being served")
    back = data_sub.add_parser(
        "backfill", help="record history points from archived RIBs (never changes the serving snapshot)"
    )
    back.add_argument("--from", dest="start", required=True, help="first wanted date, YYYY-MM-DD")
    back.add_argument("--to", dest="end", required=True, help="last wanted date, YYYY-MM-DD")
    back.add_argument("--every", required=True, help="step between dates: 1d, 2w, 1mo, 1y")
    back.add_argument(
        "--collectors",
        help="comma-separated (default route-views2,rrc00)",
    )
    back.add_argument(
        "--registry",
        nargs="*",
        type=Path,
        default=[],
        help="delegated stats and AS-name files to import with every RIB (default: download today's)",
    )
    for data_parser in data_sub.choices.values():
        data_parser.add_argument(
            "--data-dir", type=Path, help="snapshot folder (default: SILKROUTE_DATA_DIR)"
        )
        data_parser.add_argument("--json", action="store_true", help="print the JSON answer")

    batch = sub.add_parser("reach-batch", help="check every site of a list or CSV file and write a report")
    batch.add_argument("file", type=Path, help="one target per line, or a CSV with a url column")
    batch.add_argument("--format", choices=("table", "csv", "json"), default="table")
    batch.add_argument("--output", type=Path, help="write the report here instead of standard output")
    batch.add_argument("--concurrency", type=int, default=8, help="checks at once (default 8)")

    bulk = sub.add_parser(
        "lookup-batch", help="origin AS, prefix, AS name and country for a list of addresses"
    )
    bulk.add_argument("file", type=Path, help='one address or prefix a line ("#" comments), or "-" for stdin')
    bulk.add_argument("--format", choices=("csv", "jsonl"), default="csv")

    i18n = sub.add_parser(
        "i18n", help="message catalogue: extract messages into the template and the .po files"
    )
    i18n.add_argument("i18n_command", choices=("extract",))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.env_file)
    except SettingsError as exc:
        print(f"silkroute: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command == "i18n":
        return cmd_i18n_extract()
    if args.lang:
        settings.core.silkroute_lang = Language(args.lang)
    if args.command == "ask":
        coroutine = cmd_ask(settings, args.line, args.json or args.line == "-")
    elif args.command == "console":
        coroutine = cmd_console(settings)
    elif args.command == "data":
        coroutine = cmd_data(settings, args)
    elif args.command == "reach-batch":
        coroutine = cmd_reach_batch(settings, args)
    elif args.command == "lookup-batch":
        coroutine = cmd_lookup_batch(settings, args)
    else:
        coroutine = cmd_run(settings)
    try:
        return asyncio.run(coroutine)
    except DomainError as exc:
        # Start-up failures (the state database cannot be opened) are one line, never a traceback.
        print(f"silkroute: {exc.message}", file=sys.stderr)
        return EXIT_CODES[as_command_error(exc).kind]
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (`| head`) went away: not an error of ours; keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
