"""The `/outage` chart: each signal normalised to its baseline over the window, outage spans shaded.

Same pattern as the `/transit` chart: matplotlib's object API on the Agg canvas (thread-safe), rendered in
a worker thread because a render takes ~100 ms.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.outage.model import Level, Point

Line = tuple[str, Sequence[Point]]
SHADES = {Level.OUTAGE: ("#d62728", 0.25), Level.DISRUPTION: ("#ff7f0e", 0.15)}


def spans(timeline: Sequence[tuple[datetime, Level]], level: Level) -> list[tuple[datetime, datetime]]:
    """Consecutive runs of `level` as (start, end) pairs, the end being the next step's time."""
    found: list[tuple[datetime, datetime]] = []
    start: datetime | None = None
    for i, (moment, current) in enumerate(timeline):
        if current is level and start is None:
            start = moment
        if start is not None and (current is not level or i == len(timeline) - 1):
            found.append((start, moment))
            start = None
    return found


def render_chart(
    title: str, lines: Sequence[Line], timeline: Sequence[tuple[datetime, Level]], ratio: float, footnote: str
) -> bytes:
    """PNG bytes: one line per signal (value / baseline), the down threshold dashed, verdict spans shaded."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    end = timeline[-1][0] if timeline else datetime.now(UTC)

    def hours(moment: datetime) -> float:
        return (moment - end).total_seconds() / 3600

    figure = Figure(figsize=(11, 4.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for level, (colour, alpha) in SHADES.items():
        for index, (start, end) in enumerate(spans(timeline, level)):
            axes.axvspan(
                hours(start), hours(end), color=colour, alpha=alpha, label=level.value if index == 0 else None
            )
    for name, points in lines:
        shown = [(t, v) for t, v in points if v is not None]
        if shown:
            axes.plot(
                [hours(t) for t, _ in shown], [min(v, 2.0) for _, v in shown], label=name, linewidth=1.3
            )
    axes.axhline(ratio, color="grey", linestyle="--", linewidth=0.8, label=f"down below {ratio:g}")
    axes.set_ylim(0, 1.6)
    axes.set_ylabel("value / baseline")
    axes.set_xlabel(f"hours before {end:%Y-%m-%d %H:%M} UTC")
    axes.legend(loc="lower left", fontsize=7, ncols=3)
    axes.grid(alpha=0.3)
    figure.suptitle(title, fontsize=11)
    figure.supxlabel(footnote, fontsize=7, color="grey")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def render_chart_async(
    title: str, lines: Sequence[Line], timeline: Sequence[tuple[datetime, Level]], ratio: float, footnote: str
) -> bytes:
    """`render_chart` in a worker thread, so the bot keeps answering meanwhile."""
    return await asyncio.to_thread(render_chart, title, lines, timeline, ratio, footnote)
