"""Parsing what users type, exactly as Discord would accept it, with a clear error otherwise."""

from __future__ import annotations

import pytest

from bot.app.answer import Answer, BadInput
from bot.app.commands import CommandSpec, Context, Option, Registry, parse_command_line


async def _echo(ctx: Context, **options: object) -> Answer:
    return Answer(command="echo", title="echo", summary=repr(options))


def _registry() -> Registry:
    registry = Registry()
    registry.add(
        CommandSpec(
            name="transit",
            description="t",
            example="/transit target:AS9198",
            handler=_echo,
            options=(
                Option("target", "what"),
                Option("family", "v4/v6", required=False, default="ipv4", choices=("ipv4", "ipv6")),
                Option("rows", "how many", type=int, required=False, min_value=1, max_value=50),
            ),
        )
    )
    registry.add(
        CommandSpec(
            name="watch add",
            description="w",
            example="/watch add target:AS9198",
            handler=_echo,
            options=(Option("target", "what"), Option("loud", "?", type=bool, required=False)),
        )
    )
    return registry


def test_named_options_and_defaults() -> None:
    invocation = parse_command_line("/transit target:AS9198 rows:5", _registry())
    assert invocation.spec.name == "transit"
    assert invocation.options == {"target": "AS9198", "rows": 5, "family": "ipv4"}


def test_quoted_values_keep_spaces_and_groups_match_two_words() -> None:
    invocation = parse_command_line('/watch add target:"nur.kz kaspi.kz" loud:yes', _registry())
    assert invocation.spec.name == "watch add"
    assert invocation.options == {"target": "nur.kz kaspi.kz", "loud": True}


def test_bare_values_fill_options_in_order_and_ipv6_is_a_value() -> None:
    assert parse_command_line("transit AS9198", _registry()).options["target"] == "AS9198"
    assert parse_command_line("/transit 2a00:12f8::1", _registry()).options["target"] == "2a00:12f8::1"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("/nope", "Unknown command `/nope`"),
        ("/transit", "needs option `target`"),
        ("/transit target:AS1 colour:red", "has no option `colour`"),
        ("/transit target:AS1 rows:many", "takes a whole number"),
        ("/transit target:AS1 rows:99", "at most 50"),
        ("/transit target:AS1 family:ipv5", "takes one of ipv4, ipv6"),
        ('/transit target:"AS1', "Could not read that line"),
        ("/watch", "needs a subcommand"),
        ("   ", "Empty command"),
        ("/transit target:AS1 target:AS2", "given twice"),
        ("/transit AS1 ipv4 3 extra", "Too many values"),
    ],
)
def test_bad_lines_get_one_clear_error_with_an_example(line: str, fragment: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_command_line(line, _registry())
    assert fragment in caught.value.message
    assert "Example: /" in caught.value.user_text()


def test_a_command_cannot_be_declared_twice() -> None:
    registry = _registry()
    with pytest.raises(ValueError, match="declared twice"):
        registry.add(registry.specs["transit"])


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("/transit target:" + "a" * 1850, "takes at most 100 characters"),
        ("/transit target:AS9198 rows:" + "9x" * 1500, "takes a whole number"),
        ("/transit target:AS9198 family:" + "x" * 3000, "takes one of ipv4, ipv6"),
        ("/watch add target:AS9198 loud:" + "y" * 3000, "takes true or false"),
    ],
)
def test_overlong_values_are_refused_quoting_only_their_start(line: str, words: str) -> None:
    with pytest.raises(BadInput, match=words) as caught:
        parse_command_line(line, _registry())
    assert len(caught.value.user_text()) < 250  # fits any reply, whatever was typed
    assert "characters)" in caught.value.message  # says how long the value was


def test_a_value_at_the_limit_is_taken() -> None:
    invocation = parse_command_line("/transit target:" + "a" * 100, _registry())
    assert invocation.options["target"] == "a" * 100
