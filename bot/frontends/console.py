"""The local console: type exactly what you would type in Discord, see the answer as text.

It is also the alert channel when there is no Discord token, so a newcomer sees the whole bot
work without Discord.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.app.answer import Answer, CommandError
from bot.app.commands import Caller, Context, Registry
from bot.app.render import render_text
from bot.app.runner import answer_line
from bot.app.wiring import Services
from bot.i18n import ENGLISH, Translator

CONSOLE_CALLER = Caller(name="console", can_manage=True)
QUIT_WORDS = {"quit", "exit", "/quit", "/exit"}


async def stdin_lines() -> AsyncIterator[str]:
    """Lines of a piped standard input, read in a thread so alerts and feeds keep running meanwhile."""
    while line := await asyncio.to_thread(sys.stdin.readline):
        yield line


class CommandCompleter(Completer):
    """Completes `/command` names first, then `option:` names of the command typed so far."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        head, _, current = document.text_before_cursor.rpartition(" ")
        typed = [w.removeprefix("/").lower() for w in head.split()]
        spec = self.registry.get(" ".join(typed[:2])) or (self.registry.get(typed[0]) if typed else None)
        if spec is not None:
            for option in spec.options:
                name = f"{option.name}:"
                if name.startswith(current) and f" {name}" not in f" {head}":
                    yield Completion(name, start_position=-len(current))
            return
        if len(typed) > 1:
            return
        group = f"{typed[0]} " if typed else ""  # after "/watch ", complete its subcommands
        wanted = group + current.removeprefix("/").lower()
        for candidate in self.registry:
            if candidate.name.startswith(wanted):
                shown = candidate.name[len(group) :]
                yield Completion(("" if group else "/") + shown + " ", start_position=-len(current))


class Console:
    """Reads command lines, answers them, and prints alerts pushed to it."""

    def __init__(
        self, services: Services, registry: Registry, output_dir: Path, tr: Translator = ENGLISH
    ) -> None:
        self.services = services
        self.registry = registry
        self.output_dir = output_dir
        self.tr = tr

    def context(self) -> Context:
        return Context(
            services=self.services, caller=CONSOLE_CALLER, progress=self._print_progress, tr=self.tr
        )

    async def _print_progress(self, partial: Answer) -> None:
        print(f"… {partial.summary}", flush=True)

    async def answer_line(self, line: str) -> str:
        """Answer one line as text; errors become one readable line, never a traceback."""
        _, answer = await answer_line(line, self.registry, self.context())
        if isinstance(answer, CommandError):
            return self.tr.gettext("error: {message}").format(message=answer.user_text(self.tr))
        return await self.text_with_files(answer)

    async def text_with_files(self, answer: Answer) -> str:
        """The answer as text; its attachments (charts) are written to the output folder and named."""
        text = render_text(answer)
        for attachment in answer.attachments:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            path = self.output_dir / attachment.filename
            await asyncio.to_thread(path.write_bytes, attachment.content)
            text += "\n" + self.tr.gettext("[attachment written to {path}]").format(path=path)
        return text

    async def show_alert(self, answer: Answer) -> None:
        """The console stands in for the alert channel when there is no Discord."""
        print(f"\n🔔 {await self.text_with_files(answer)}\n", flush=True)

    async def run(self, history_file: Path | None) -> None:
        """Interactive loop with history and completion; plain line reading when stdin is not a terminal."""
        print(
            self.tr.gettext("silkroute console: type /help, Tab completes, Ctrl-D or /quit leaves."),
            flush=True,
        )
        if not sys.stdin.isatty():
            async for line in stdin_lines():
                if not await self._handle(line):
                    break
            return
        history = FileHistory(str(history_file)) if history_file else InMemoryHistory()
        if history_file:
            history_file.parent.mkdir(parents=True, exist_ok=True)
        session: PromptSession[str] = PromptSession(
            history=history, completer=CommandCompleter(self.registry), complete_while_typing=True
        )
        with patch_stdout():
            while True:
                try:
                    line = await session.prompt_async("silkroute> ")
                except (EOFError, KeyboardInterrupt):
                    break
                if not await self._handle(line):
                    break

    async def _handle(self, line: str) -> bool:
        """Answer one line; False when the user asked to leave."""
        if line.strip().lower() in QUIT_WORDS:
            return False
        if line.strip():
            print(await self.answer_line(line), flush=True)
        return True
