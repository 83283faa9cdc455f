"""Baselines and the verdict rules, the same for every signal (documented in `/help command:outage`).

- Baseline at time t: the median, over the previous `baseline_days` days, of each day's median at t's UTC
  hour — when at least `min_baseline_days` such days exist; otherwise, if the series reaches back 24 h, the
  median of the last 24 h; otherwise none, and the signal is shown but not judged. A signal may bring a
  fixed baseline instead (the bot's own BGP count takes the serving snapshot's).
- A signal is *down* at t when its value has stayed below `down_ratio` × baseline at every step of the
  last `down_for`; a step without data breaks the run, so a gap never counts as a fall.
- Signals of one family (all BGP views, all active probing...) are one piece of evidence. Verdict at t:
  `unknown` when fewer than two families can be judged; else `outage` when two or more families are down,
  `disruption` when one is, `normal` otherwise. A failing source is unavailable, never down.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core.settings import OutageSettings
from bot.outage.model import Entity, Level, Point, SignalData, SignalReading, Status, Verdict

GRID = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Thresholds:
    down_ratio: float
    down_for: timedelta
    baseline_days: int
    min_baseline_days: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: OutageSettings) -> Thresholds:
        return cls(
            down_ratio=settings.silkroute_outage_down_ratio,
            down_for=timedelta(minutes=settings.silkroute_outage_down_minutes),
            baseline_days=settings.silkroute_outage_baseline_days,
            min_baseline_days=settings.silkroute_outage_min_baseline_days,
            window=timedelta(hours=settings.silkroute_outage_chart_hours),
        )

    @property
    def history(self) -> timedelta:
        """How far back a source must be asked: the chart window plus the baseline's days before it."""
        return self.window + timedelta(days=self.baseline_days + 1)


class Baseline:
    """A series' baseline at any time, from per-(day, hour) medians computed once."""

    def __init__(self, points: Sequence[Point], thresholds: Thresholds) -> None:
        known = [(t, v) for t, v in points if v is not None]
        self._times = [t for t, _ in known]
        self._values = [v for _, v in known]
        buckets: dict[tuple[date, int], list[float]] = defaultdict(list)
        for t, v in known:
            buckets[(t.date(), t.hour)].append(v)
        self._hourly = {key: statistics.median(values) for key, values in buckets.items()}
        self._thresholds = thresholds

    def at(self, moment: datetime) -> float | None:
        days = [
            self._hourly[key]
            for back in range(1, self._thresholds.baseline_days + 1)
            if (key := ((moment - timedelta(days=back)).date(), moment.hour)) in self._hourly
        ]
        if len(days) >= self._thresholds.min_baseline_days:
            return statistics.median(days)
        if not self._times or self._times[0] > moment - timedelta(hours=24):
            return None
        recent = self._values[
            bisect_left(self._times, moment - timedelta(hours=24)) : bisect_left(self._times, moment)
        ]
        return statistics.median(recent) if recent else None


def value_at(
    times: Sequence[datetime], values: Sequence[float | None], moment: datetime, within: timedelta
) -> float | None:
    """The last value at or before `moment`, if it is no older than `within`."""
    index = bisect_right(times, moment) - 1
    if index < 0 or moment - times[index] > within:
        return None
    return values[index]


def grid(now: datetime, window: timedelta) -> list[datetime]:
    """Evaluation times every GRID step over the window, ending exactly at `now` so the newest data counts."""
    steps = int(window / GRID)
    return [now - GRID * i for i in range(steps, -1, -1)]


@dataclass(frozen=True, slots=True)
class SignalInput:
    """A signal's name and family, and what its source gave: data, or the error that replaced it."""

    name: str
    family: str
    data: SignalData | None
    error: str = ""


def _statuses(
    signal: SignalInput, times: Sequence[datetime], thresholds: Thresholds
) -> tuple[list[Status], list[float | None], list[float | None]]:
    """Per evaluation time: status, value and baseline."""
    data = signal.data
    if data is None:
        return [Status.UNAVAILABLE] * len(times), [None] * len(times), [None] * len(times)
    stamps = [t for t, _ in data.points]
    series = [v for _, v in data.points]
    within = timedelta(seconds=2 * data.step_seconds) + GRID
    baseline = Baseline(data.points, thresholds)
    statuses: list[Status] = []
    values: list[float | None] = []
    baselines: list[float | None] = []
    below_since: datetime | None = None
    for moment in times:
        value = value_at(stamps, series, moment, within)
        base = data.baseline if data.baseline is not None else baseline.at(moment)
        values.append(value)
        baselines.append(base)
        if value is None:
            below_since = None
            statuses.append(Status.NO_DATA)
            continue
        if not base:
            below_since = None
            statuses.append(Status.NO_BASELINE)
            continue
        if value / base < thresholds.down_ratio:
            below_since = below_since or moment
            down = moment - below_since >= thresholds.down_for
            statuses.append(Status.DOWN if down else Status.NORMAL)
        else:
            below_since = None
            statuses.append(Status.NORMAL)
    return statuses, values, baselines


def level_of(statuses: Sequence[tuple[str, Status]]) -> Level:
    """The verdict rule on (family, status) pairs at one moment."""
    judged = {family for family, status in statuses if status in (Status.NORMAL, Status.DOWN)}
    down = {family for family, status in statuses if status is Status.DOWN}
    if len(judged) < 2:
        return Level.UNKNOWN
    if len(down) >= 2:
        return Level.OUTAGE
    return Level.DISRUPTION if down else Level.NORMAL


def judge(entity: Entity, signals: Sequence[SignalInput], now: datetime, thresholds: Thresholds) -> Verdict:
    """Evaluate every signal over the window and apply the verdict rule at each step."""
    times = grid(now, thresholds.window)
    per_signal = [_statuses(signal, times, thresholds) for signal in signals]
    timeline = tuple(
        (moment, level_of([(s.family, result[0][i]) for s, result in zip(signals, per_signal, strict=True)]))
        for i, moment in enumerate(times)
    )
    level = timeline[-1][1]
    since = timeline[-1][0]
    for moment, earlier in reversed(timeline):
        if earlier is not level:
            break
        since = moment
    readings = tuple(
        _reading(signal, statuses, values, baselines, times)
        for signal, (statuses, values, baselines) in zip(signals, per_signal, strict=True)
    )
    return Verdict(entity, times[-1], level, since, readings, timeline)


def _reading(
    signal: SignalInput,
    statuses: Sequence[Status],
    values: Sequence[float | None],
    baselines: Sequence[float | None],
    times: Sequence[datetime],
) -> SignalReading:
    data = signal.data
    ratios = tuple(
        (moment, value / base if value is not None and base else None)
        for moment, value, base in zip(times, values, baselines, strict=True)
    )
    known = [t for t, v in data.points if v is not None] if data else []
    return SignalReading(
        name=signal.name,
        family=signal.family,
        source=data.source if data else None,
        value=values[-1],
        baseline=baselines[-1],
        status=statuses[-1],
        as_of=known[-1] if known else None,
        error=signal.error,
        unit=data.unit if data else "",
        ratios=ratios,
    )
