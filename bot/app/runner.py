"""Run a parsed command with the same checks and error handling everywhere it can be asked."""

from __future__ import annotations

import logging
from typing import Any

from bot.app.answer import Answer, CommandError, ErrorKind, Forbidden, as_command_error
from bot.app.commands import CommandSpec, Context, Registry, parse_command_line
from bot.core.errors import DomainError

log = logging.getLogger(__name__)


class InternalError(CommandError):
    """An unexpected failure: the user gets a short apology, the log gets the traceback."""

    kind = ErrorKind.INTERNAL


async def admit(spec: CommandSpec, ctx: Context) -> None:
    """Permission and fair use, checked before any work: a front end may answer a refusal at once."""
    if spec.manage_only and not ctx.caller.can_manage:
        raise Forbidden(
            ctx.tr.gettext(
                "`/{command}` needs the Manage Server permission or the configured watch-manager role."
            ).format(command=spec.name)
        )
    if spec.cost is not None:
        await ctx.charge(spec.cost)


async def run_admitted(spec: CommandSpec, ctx: Context, options: dict[str, Any]) -> Answer:
    """Call the handler of an admitted command; any unexpected exception becomes `InternalError`."""
    try:
        answer: Answer = await spec.handler(ctx, **options)
    except DomainError as exc:
        raise as_command_error(exc, spec.example) from None
    except Exception as exc:
        log.exception("command /%s failed with options %r", spec.name, options)
        raise InternalError(
            ctx.tr.gettext("`/{command}` failed unexpectedly ({error}); the error was logged.").format(
                command=spec.name, error=type(exc).__name__
            )
        ) from exc
    answer.language = ctx.tr.language
    return answer


async def execute(spec: CommandSpec, ctx: Context, options: dict[str, Any]) -> Answer:
    """Admit, then run: what the console and `ask` do for every command."""
    await admit(spec, ctx)
    return await run_admitted(spec, ctx, options)


async def answer_line(
    line: str, registry: Registry, ctx: Context
) -> tuple[str | None, Answer | CommandError]:
    """Parse and run one typed line (console, `ask`); the command's name comes back even on errors, for
    the JSON `command` field."""
    name = None
    try:
        invocation = parse_command_line(line, registry, ctx.tr)
        name = invocation.spec.name
        return name, await execute(invocation.spec, ctx, invocation.options)
    except CommandError as error:
        return name, error
