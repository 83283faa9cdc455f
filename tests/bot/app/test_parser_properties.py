"""Any text a user can type, through every parser a command uses: an answer or a clear error, quickly.

Hypothesis's `deadline` is the time bound; a traceback is any exception other than the clear errors, and an
error is clear when it says something and carries an example. Examples are bounded so the suite stays fast.
"""

from __future__ import annotations

import shlex
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app.answer import BadInput, CommandError, ErrorKind
from bot.app.catalog import build_registry
from bot.app.commands import MAX_LINE_CHARS, Caller, Context, Option, parse_command_line
from bot.app.features.alerts.targets import parse_duration, parse_watch_target
from bot.app.runner import answer_line
from bot.app.targets import parse_asn, parse_host, parse_network, parse_sites, parse_target
from bot.core.errors import DomainError
from bot.core.settings import Settings
from bot.routing.snapshot import Snapshot
from tests.helpers import make_services

REGISTRY = build_registry()
OPTIONS = sorted({(spec.example, option) for spec in REGISTRY for option in spec.options}, key=repr)
BOUNDED = settings(max_examples=150, deadline=timedelta(milliseconds=500))

# Text shaped like what people type: command names, option names, separators, addresses, odd characters.
PIECES = st.sampled_from(
    [f"/{spec.name}" for spec in REGISTRY]
    + [f"{option.name}:" for _, option in OPTIONS]
    + [" ", '"', "'", ":", "/", ".", "AS", "9198", "::ffff:", "0x7f", "http://", "\ufeff", "٥", "\\", "\n"]
)
TYPED = st.one_of(st.text(max_size=200), st.lists(PIECES | st.text(max_size=8), max_size=30).map("".join))


def _clear(error: DomainError) -> None:
    assert str(error).strip(), "an error with no message"
    assert "Traceback" not in str(error)


@BOUNDED
@given(TYPED)
def test_any_command_line_parses_or_says_why(line: str) -> None:
    try:
        invocation = parse_command_line(line, REGISTRY)
    except BadInput as error:
        _clear(error)
        assert error.example, "bad input must come with an example that works"
        return
    assert invocation.spec.name in REGISTRY.specs


@settings(max_examples=20, deadline=timedelta(milliseconds=200))
@given(st.integers(min_value=MAX_LINE_CHARS + 1, max_value=3_000_000), st.sampled_from(["a ", '"', "x:"]))
def test_an_overlong_line_is_refused_before_it_is_read(length: int, unit: str) -> None:
    line = "/lookup target:" + unit * (length // len(unit))
    try:
        parse_command_line(line, REGISTRY)
    except BadInput as error:
        assert f"at most {MAX_LINE_CHARS:,}" in str(error)
    else:
        raise AssertionError("an overlong line was accepted")


@BOUNDED
@given(st.sampled_from(OPTIONS), TYPED)
def test_any_option_value_converts_or_says_why(example_and_option: tuple[str, Option], raw: str) -> None:
    example, option = example_and_option
    try:
        value = option.convert(raw, example)
    except BadInput as error:
        _clear(error)
        return
    assert isinstance(value, option.type)
    if option.type is int:
        assert raw.strip().isascii(), f"{raw!r} was read as a number"


@BOUNDED
@given(TYPED)
def test_any_target_text_parses_or_says_why(text: str) -> None:
    parsers = (
        lambda: parse_network(text, "lookup"),
        lambda: parse_host(text, "lookup"),
        lambda: parse_asn(text, "lookup"),
        lambda: parse_sites(text),
        lambda: parse_target(text, "transit", countries=True),
        lambda: parse_watch_target(text),
        lambda: parse_duration(text),
    )
    for parse in parsers:
        try:
            parse()
        except DomainError as error:
            _clear(error)


@settings(max_examples=60, deadline=timedelta(seconds=2))
@given(st.sampled_from(["lookup", "transit"]), TYPED)
async def test_lookup_and_transit_of_any_text_answer_or_say_why(
    real_snapshot: Snapshot, command: str, text: str
) -> None:
    """The whole path a user's line takes (parse, handler, wording) on the real snapshot, offline: an
    answer or a clear bad-input/unavailable error, never the internal-error apology of a traceback."""
    services = make_services(Settings(), snapshot=real_snapshot)
    ctx = Context(services=services, caller=Caller("fuzzer", can_manage=False))
    _, result = await answer_line(f"/{command} target:{shlex.quote(text)}", REGISTRY, ctx)
    if isinstance(result, CommandError):
        assert result.kind is not ErrorKind.INTERNAL, result.user_text()
        _clear(result)
