"""Console completion and answering, without a terminal."""

from __future__ import annotations

from pathlib import Path

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from bot.app.answer import Answer, Attachment
from bot.app.catalog import build_registry
from bot.app.commands import CommandSpec, Context, Option
from bot.app.wiring import build_services
from bot.core.settings import load_settings
from bot.frontends.console import CommandCompleter, Console


def _complete(text: str) -> list[str]:
    completer = CommandCompleter(build_registry())
    return [c.text for c in completer.get_completions(Document(text), CompleteEvent())]


def test_completes_command_names_then_option_names() -> None:
    assert "/status " in _complete("/st")
    assert "/help " in _complete("")
    assert _complete("/help ") == ["command:"]
    assert _complete("/help com") == ["command:"]
    assert _complete("/help command:x ") == []


async def test_attachments_are_written_to_files(tmp_path: Path) -> None:
    async def chart(ctx: Context, name: str) -> Answer:
        return Answer(
            command="chart",
            title="Chart",
            summary="a chart",
            attachments=[Attachment(f"{name}.png", b"\x89PNG fake bytes")],
        )

    registry = build_registry()
    registry.add(CommandSpec("chart", "draws", "/chart name:x", chart, (Option("name", "file name"),)))
    console = Console(build_services(load_settings(None)), registry, output_dir=tmp_path / "out")
    text = await console.answer_line("/chart name:exits")
    assert (tmp_path / "out" / "exits.png").read_bytes() == b"\x89PNG fake bytes"
    assert "attachment written to" in text


async def test_unexpected_errors_become_one_line(tmp_path: Path) -> None:
    async def broken(ctx: Context) -> Answer:
        raise ZeroDivisionError("boom")

    registry = build_registry()
    registry.add(CommandSpec("broken", "fails", "/broken", broken))
    console = Console(build_services(load_settings(None)), registry, output_dir=tmp_path)
    text = await console.answer_line("/broken")
    assert text.startswith("error: `/broken` failed unexpectedly (ZeroDivisionError)")


def test_completes_subcommands_after_a_group_word() -> None:
    assert _complete("/watch ") == ["add ", "list ", "remove "]
    assert _complete("/watch a") == ["add "]
    assert _complete("/watch add ") == ["target:", "note:"]
