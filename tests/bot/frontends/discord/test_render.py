"""Embed layout details that are easier to pin down without a Discord in the loop."""

from __future__ import annotations

from bot.app.answer import Answer, Severity
from bot.core.values import Section, Source, Table
from bot.frontends.discord.embeds import FIELD_LIMIT, TABLE_ROWS, TABLE_WIDTH, render_messages


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


def code_lines(values: list[str]) -> list[str]:
    lines: list[str] = []
    for value in values:
        inside = False
        for line in value.splitlines():
            if line.startswith("```"):
                inside = not inside
            elif inside:
                lines.append(line)
    return lines


def test_a_wide_table_fits_the_embed_and_travels_whole_as_csv() -> None:
    columns = [f"column-{i}" for i in range(6)]
    rows = [[f"value-{r}-{c}-padding" for c in range(6)] for r in range(3)]
    answer = Answer("x", "t", "s", sections=[Section("Upstream neighbours", table=Table(columns, rows))])

    (message,) = render_messages(answer)

    shown = code_lines([f.value or "" for e in message.embeds for f in e.fields])
    assert shown and max(len(line) for line in shown) <= TABLE_WIDTH
    (csv_file,) = message.files
    assert csv_file.filename == "table-upstream-neighbours.csv"
    text = csv_file.fp.read().decode()
    assert text.splitlines()[0] == ",".join(columns)
    assert text.splitlines()[3].endswith("value-2-5-padding")


def test_a_long_table_shows_its_first_rows_and_attaches_the_rest() -> None:
    table = Table(["prefix", "origin"], [[f"10.{i}.0.0/16", f"AS{i}"] for i in range(50)])

    (message,) = render_messages(Answer("x", "t", "s", sections=[Section("Prefixes", table=table)]))

    shown = code_lines([f.value or "" for e in message.embeds for f in e.fields])
    assert len(shown) == 2 + TABLE_ROWS  # header, rule, rows
    assert "50 rows × 2 columns" in "".join(f.value or "" for f in message.embeds[0].fields)
    assert len(message.files[0].fp.read().decode().splitlines()) == 51


def test_a_small_table_is_shown_whole_without_a_file() -> None:
    table = Table(["country", "share"], [["RU", "98.4 %"], ["EU", "1.6 %"]])

    (message,) = render_messages(Answer("x", "t", "s", sections=[Section("Exits", table=table)]))

    assert message.files == []
    assert "RU       98.4 %" in (message.embeds[0].fields[0].value or "")
