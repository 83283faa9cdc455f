"""The `/country` chart: registered vs routed IPv4 space across the compared countries, and the two shares
the concentration indexes are computed from (origination, first foreign transit AS).

Panels and the PNG come from `bot.app.charts`, as `/transit`'s do.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.app.charts import Bars, finished_png, share_panel
from bot.i18n import Translator


def render_country_chart(
    title: str,
    sizes: Sequence[tuple[str, int, int]],
    origination: Bars,
    transit: Bars,
    footnote: str,
    tr: Translator,
) -> bytes:
    """PNG bytes: grouped bars (registered, routed IPv4 in millions) per country, then two share panels;
    labels in the reader's language."""
    _ = tr.gettext
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(origination), len(transit), len(sizes), 1)
    figure = Figure(figsize=(14, 2.2 + 0.3 * rows), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    size_axes, *share_axes = figure.subplots(1, 3)
    positions = list(range(len(sizes)))
    registered = [row[1] / 1e6 for row in sizes]
    routed = [row[2] / 1e6 for row in sizes]
    for offset, values, label, colour in (
        (-0.2, registered, _("registered"), "#9bb7d4"),
        (0.2, routed, _("routed"), "#3b6ea5"),
    ):
        size_axes.bar(
            [p + offset for p in positions],
            values,
            width=0.4,
            label=label,
            color=colour,
        )
    size_axes.set_xticks(positions, [row[0] for row in sizes])
    size_axes.set_ylabel(_("IPv4 addresses (millions)"))
    size_axes.set_title(_("Size: registered (RIR) vs routed (snapshot)"), fontsize=10)
    size_axes.legend(fontsize=8)
    xlabel = _("% of the country's total")
    share_panel(share_axes[0], origination, _("Origination share (IPv4 addresses)"), "#5b8c5a", xlabel)
    share_panel(share_axes[1], transit, _("International transit: first foreign AS"), "#b5553c", xlabel)
    return finished_png(figure, title, footnote)
