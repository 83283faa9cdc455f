"""Adding live parts to a snapshot answer: fetch concurrently, never fail the command, label every part.

`/lookup`, `/transit` and `/reach` answer from the local snapshot and add "right now" data when the live
sources answer. The rules are the same everywhere, so they live here: offline means no call at all; a
failing source becomes one "Live data unavailable: <reason>" line instead of an error; each part used
adds its `Source`; a stale copy served after a failure says it is stale and how old it is.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from bot.app.answer import Answer, as_command_error
from bot.core.values import Section, Source, Table
from bot.i18n import ENGLISH, N_, Translator
from bot.live.http_client import UpstreamError
from bot.live.results import LiveMeta, LiveResult
from bot.live.sources import LiveSources

if TYPE_CHECKING:  # bot.app.wiring builds every component; importing it here would make a cycle
    from bot.app.wiring import Services

log = logging.getLogger(__name__)

R = TypeVar("R", bound=LiveResult)


@dataclass(frozen=True, slots=True)
class Failed:
    """A live call that produced nothing usable; `reason` is user text naming the source."""

    reason: str


def online_sources(services: Services) -> LiveSources | Failed:
    """The live component when it may be called; otherwise why not (offline means: do not even try)."""
    live = services.live
    if live.offline:
        return Failed(
            N_("live sources are switched off (SILKROUTE_OFFLINE=1); answered from the local snapshot.")
        )
    return live


async def attempt(call: Awaitable[R], what: str) -> R | Failed:
    """Await one live call; any failure becomes `Failed` naming `what` was asked, since live parts are extras."""
    try:
        return await call
    except UpstreamError as exc:
        return Failed(f"{what}: {as_command_error(exc).user_text()}")
    except Exception as exc:  # a parser or client bug must not cost the user the snapshot answer
        log.exception("live call for %s failed unexpectedly", what)
        return Failed(f"{what}: internal error in the live lookup ({type(exc).__name__}).")


def stale_label(meta: LiveMeta, tr: Translator = ENGLISH) -> str:
    """' (stale copy, 5 min old: <why>)' for a copy served after a failed refresh; '' when fresh."""
    if not meta.stale:
        return ""
    return " " + tr.gettext("(stale copy, {age}: {reason})").format(
        age=tr.age(timedelta(seconds=meta.age_seconds)), reason=meta.error.rstrip(".")
    )


@dataclass
class LiveParts:
    """What the live calls of one answer produced: results used (their sources), upstream notes, failures."""

    sources: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    tr: Translator = ENGLISH
    """The answer's language: fixed reasons (offline) and the section's labels are worded in it."""

    def use(self, result: R | Failed) -> R | None:
        """The result, recording its source and notes; None (and the reason recorded) when it failed."""
        if isinstance(result, Failed):
            if result.reason not in self.failures:
                self.failures.append(result.reason)
            return None
        source = result.meta.to_source()
        if source not in self.sources:
            self.sources.append(source)
        self.notes += [note for note in result.meta.notes if note not in self.notes]
        return result

    @property
    def stale(self) -> bool:
        return any(source.stale for source in self.sources)

    @property
    def error(self) -> str | None:
        """All failure reasons in one line for JSON `live_error`; None when every part answered."""
        return " ".join(self.failures) or None

    def unavailable_line(self) -> str:
        if not self.failures:
            return ""
        reasons = " ".join(self.tr.gettext(reason) for reason in self.failures)
        return self.tr.gettext("Live data unavailable: {reasons}").format(reasons=reasons)

    def section(self, title: str, lines: list[str], table: Table | None = None) -> Section | None:
        """The live section: the parts' lines, upstream notes and the unavailable note; None if empty."""
        says = self.tr.gettext("Upstream says: {note}")
        text = "\n".join(
            [*lines, *(says.format(note=note) for note in self.notes), self.unavailable_line()]
        ).strip()
        return Section(title, text, table) if text or table is not None else None

    def add_to(self, answer: Answer, title: str, lines: list[str], table: Table | None = None) -> None:
        """Append the live section (or just the unavailable note) and the sources of the parts used."""
        section = self.section(title, lines, table)
        if section is not None:
            answer.sections.append(section)
        self.add_sources(answer)

    def add_sources(self, answer: Answer) -> None:
        answer.sources += [s for s in self.sources if s not in answer.sources]
