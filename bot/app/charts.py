"""Pieces every answer chart shares: a panel of share bars and the finished PNG with title and data footnote.

Charts use matplotlib's object API on the Agg canvas (no pyplot global state, so they are safe in a worker
thread); callers render through `asyncio.to_thread` because a render takes ~100 ms.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

Bars = Sequence[tuple[str, float]]


def share_panel(axes: Any, bars: Bars, heading: str, colour: str, xlabel: str) -> None:
    """Horizontal bars of shares (0-1, shown in %), largest on top, each with its value; "none" when empty."""
    labels = [label for label, _ in bars][::-1]
    values = [100 * value for _, value in bars][::-1]
    axes.barh(labels, values, color=colour)
    axes.set_xlim(0, 100)
    axes.set_xlabel(xlabel)
    axes.set_title(heading, fontsize=10)
    axes.tick_params(axis="y", labelsize=8)
    if not bars:
        axes.text(50, 0, "none", ha="center", va="center", color="grey")
        axes.set_yticks([])
    for y, value in enumerate(values):
        axes.text(min(value + 1, 88), y, f"{value:.1f}", va="center", fontsize=7)


def finished_png(figure: Any, title: str, footnote: str) -> bytes:
    """The figure with its title and grey data footnote, as PNG bytes."""
    figure.suptitle(title, fontsize=11)
    figure.supxlabel(footnote, fontsize=7, color="grey")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
