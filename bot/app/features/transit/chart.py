"""The `/transit` chart: exit countries and top transit ASes as two bar panels in one PNG.

Rendered with matplotlib's object API on the Agg canvas (no pyplot global state, so it is safe in a worker
thread) and called through `asyncio.to_thread` because a render takes ~100 ms, too long for the event loop.
"""

from __future__ import annotations

import asyncio

from bot.app.charts import Bars, finished_png, share_panel
from bot.i18n import ENGLISH, Translator


def render_chart(title: str, exits: Bars, transit: Bars, footnote: str, tr: Translator = ENGLISH) -> bytes:
    """PNG bytes of two horizontal bar charts (shares in %), largest bar on top; labels in the reader's
    language (English for the benchmark's warm-up)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(exits), len(transit), 1)
    figure = Figure(figsize=(11, 1.9 + 0.32 * rows), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, 2)
    _ = tr.gettext
    xlabel = _("% of route weight (trimmed mean over vantage points)")
    share_panel(panels[0], exits, _("Exit country (registration)"), "#3b6ea5", xlabel)
    share_panel(panels[1], transit, _("Transit AS hegemony"), "#b5553c", xlabel)
    return finished_png(figure, title, footnote)


async def render_chart_async(title: str, exits: Bars, transit: Bars, footnote: str, tr: Translator) -> bytes:
    """`render_chart` in a worker thread, so the bot keeps answering meanwhile."""
    return await asyncio.to_thread(render_chart, title, exits, transit, footnote, tr)
