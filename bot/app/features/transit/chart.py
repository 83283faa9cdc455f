"""The `/transit` chart: exit countries and top transit ASes as two bar panels in one PNG.

Rendered with matplotlib's object API on the Agg canvas (no pyplot global state, so it is safe in a worker
thread) and called through `asyncio.to_thread` because a render takes ~100 ms, too long for the event loop.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

Bars = Sequence[tuple[str, float]]


def render_chart(title: str, exits: Bars, transit: Bars, footnote: str) -> bytes:
    """PNG bytes of two horizontal bar charts (shares in %), largest bar on top."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(exits), len(transit), 1)
    figure = Figure(figsize=(11, 1.9 + 0.32 * rows), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, 2)
    for axes, bars, heading, colour in (
        (panels[0], exits, "Exit country (registration)", "#3b6ea5"),
        (panels[1], transit, "Transit AS hegemony", "#b5553c"),
    ):
        labels = [label for label, _ in bars][::-1]
        values = [100 * value for _, value in bars][::-1]
        axes.barh(labels, values, color=colour)
        axes.set_xlim(0, 100)
        axes.set_xlabel("% of route weight (trimmed mean over vantage points)")
        axes.set_title(heading, fontsize=10)
        axes.tick_params(axis="y", labelsize=8)
        if not bars:
            axes.text(50, 0, "none", ha="center", va="center", color="grey")
            axes.set_yticks([])
        for y, value in enumerate(values):
            axes.text(min(value + 1, 88), y, f"{value:.1f}", va="center", fontsize=7)
    figure.suptitle(title, fontsize=11)
    figure.supxlabel(footnote, fontsize=7, color="grey")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def render_chart_async(title: str, exits: Bars, transit: Bars, footnote: str) -> bytes:
    """`render_chart` in a worker thread, so the bot keeps answering meanwhile."""
    return await asyncio.to_thread(render_chart, title, exits, transit, footnote)
