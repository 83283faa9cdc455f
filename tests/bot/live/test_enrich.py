"""The shared rules for live parts of an answer: failures become notes, sources and staleness are kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app.answer import Answer
from bot.app.live_parts import Failed, LiveParts, attempt, online_sources, stale_label
from bot.core.settings import Settings
from bot.live.http_client import UpstreamTimeout
from bot.live.results import LiveMeta, LiveResult
from tests.helpers import make_services

T = datetime(2024, 10, 10, 8, tzinfo=UTC)


def result(stale: bool = False, notes: tuple[str, ...] = ()) -> LiveResult:
    meta = LiveMeta(
        source="RIPEstat",
        call="visibility",
        fetched_at=T,
        data_time=T,
        stale=stale,
        age_seconds=3700,
        error="RIPEstat: server error (HTTP 500).",
        notes=notes,
    )
    return LiveResult(meta=meta)


async def test_attempt_turns_failures_into_named_reasons(caplog: pytest.LogCaptureFixture) -> None:
    async def times_out() -> LiveResult:
        raise UpstreamTimeout("ripestat", "no answer within 1 s.")

    async def breaks() -> LiveResult:
        raise KeyError("origins")

    assert await attempt(times_out(), "visibility") == Failed("visibility: RIPEstat: no answer within 1 s.")
    failed = await attempt(breaks(), "visibility")
    assert failed == Failed("visibility: internal error in the live lookup (KeyError).")
    assert "live call for visibility failed unexpectedly" in caplog.text


def test_parts_collect_sources_notes_and_failures_once() -> None:
    parts = LiveParts()
    fresh = result(notes=("warning: 27 hours old",))
    assert parts.use(fresh) is fresh and parts.use(result(notes=("warning: 27 hours old",))) is not None
    assert parts.use(Failed("rpki: down.")) is None and parts.use(Failed("rpki: down.")) is None
    assert (
        len(parts.sources) == 1 and parts.notes == ["warning: 27 hours old"] and parts.error == "rpki: down."
    )
    answer = Answer("lookup", "t", "s")
    parts.add_to(answer, "Live", ["line"])
    assert (
        answer.sections[0].text
        == "line\nUpstream says: warning: 27 hours old\nLive data unavailable: rpki: down."
    )
    assert answer.sources == parts.sources and not parts.stale


def test_stale_label_names_age_and_cause() -> None:
    assert stale_label(result().meta) == ""
    assert stale_label(result(stale=True).meta) == " (stale copy, 1 h old: RIPEstat: server error (HTTP 500))"
    parts = LiveParts()
    parts.use(result(stale=True))
    assert parts.stale and parts.sources[0].stale


def test_online_sources_are_not_called_offline() -> None:
    failed = online_sources(make_services(Settings()))  # the tests run with SILKROUTE_OFFLINE=1
    assert isinstance(failed, Failed) and "SILKROUTE_OFFLINE=1" in failed.reason
