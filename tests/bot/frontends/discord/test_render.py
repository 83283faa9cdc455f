"""Embed layout details that are easier to pin down without a Discord in the loop."""

from __future__ import annotations

from bot.app.answer import Answer, Severity
from bot.core.values import Section, Source
from bot.frontends.discord.embeds import FIELD_LIMIT, render_messages


def field_values(answer: Answer) -> list[str]:
    return [f.value or "" for m in render_messages(answer) for e in m.embeds for f in e.fields]


def test_a_line_longer_than_a_field_keeps_its_place() -> None:
    text = "first line\n" + "L" * (FIELD_LIMIT * 2) + "\nlast line"
    values = field_values(Answer("x", "t", "s", sections=[Section("Long", text)]))

    assert all(len(v) <= FIELD_LIMIT for v in values)
    assert "".join(values).replace("\n", "") == text.replace("\n", "")


def test_sources_are_listed_and_severity_sets_the_colour() -> None:
    answer = Answer(
        "x", "t", "s", severity=Severity.CRITICAL, sources=[Source("RIPEstat", None, "visibility")]
    )

    (message,) = render_messages(answer)
    (embed,) = message.embeds

    assert embed.colour is not None and embed.colour.value == 0xE74C3C
    assert embed.fields[-1].name == "Data used"
    assert "RIPEstat (visibility): data date unknown" in (embed.fields[-1].value or "")
