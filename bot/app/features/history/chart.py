"""The `/history` chart: each main exit country's share by date, one line per country, as a PNG.

Same rendering rules as the `/transit` chart: matplotlib's object API on the Agg canvas, in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping, Sequence
from datetime import date


def render_lines(
    title: str, dates: Sequence[date], series: Mapping[str, Sequence[float]], footnote: str, ylabel: str
) -> bytes:
    """PNG bytes of one line per label (shares in %) over the dates, with a legend; texts in the reader's
    language."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=(10, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    days = [day.toordinal() for day in dates]  # plotted as day numbers, labelled back as ISO dates
    for label, values in series.items():
        axes.plot(days, [100 * v for v in values], marker="o", markersize=3, label=label)
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: date.fromordinal(max(int(x), 1)).isoformat())
    )
    axes.set_ylim(0, 100)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    if series:
        axes.legend(fontsize=8, loc="upper left")
    figure.autofmt_xdate()
    figure.suptitle(title, fontsize=11)
    figure.supxlabel(footnote, fontsize=7, color="grey")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def render_lines_async(
    title: str, dates: Sequence[date], series: Mapping[str, Sequence[float]], footnote: str, ylabel: str
) -> bytes:
    return await asyncio.to_thread(render_lines, title, dates, series, footnote, ylabel)
