"""Drawing a chart (``bot.core.chart.GridChart``, plain data) as a PNG, off the event loop.

- matplotlib is imported by the first chart drawn, inside ``draw_grid_chart``, never at start-up: with numpy and
  Pillow it is the largest library the bot uses, and a bot whose members never ask for stats should not carry it.
  ``tests/test_architecture.py`` keeps every other module off it, and ``tests/e2e/test_charts_e2e.py`` checks that
  a started bot has not loaded it.
- The Agg canvas is used directly, without pyplot: no backend to choose at import time, no global registry of
  open figures to leak into, nothing kept from one chart to the next.
- Drawing runs in a worker thread (``asyncio.to_thread``), one chart at a time. Why a thread rather than a
  process: a chart is a short job (the first one also imports matplotlib), a process would pay the interpreter and
  that import on every chart (or need a worker's life managed: started, watched, restarted, stopped), and the
  drawing takes plain data, so moving it later is easy. The costs: matplotlib stays in the bot's memory once a
  chart was drawn (the benchmark measures it: bench/README.md, "Charts table"), and the thread shares the
  interpreter's lock with the event loop, which keeps running during a chart but not at full speed. One at a
  time because matplotlib promises no thread safety, and so that a burst of stats commands queues behind one CPU
  instead of taking both.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Callable

from bot.core.chart import GridChart

ChartDrawer = Callable[[GridChart], bytes]
"""Draws a chart and returns the PNG's bytes; it runs in a worker thread, never on the event loop."""

COLOUR_SCALE = "RdYlBu"
"""ColorBrewer's red-yellow-blue: low is red, high is blue, and it stays apart for the common kinds of colour
blindness (a red-to-green scale would not). Every cell also says its figure, so colour is never the only cue."""
EMPTY = "#EEEEEE"
DPI = 100
MARGIN_PX, SCALE_PX, BOTTOM_PX, TOP_PX = 16, 95, 48, 30
"""Margins in pixels: beside the row labels (which are measured), the colour scale and its labels on the right,
the column labels and their title below, the title above. Set here rather than worked out by one of matplotlib's
layout engines, which measures every piece of text and lays the figure out again on each draw."""


def draw_grid_chart(chart: GridChart) -> bytes:
    """The chart as a PNG of exactly ``width_px`` × ``height_px``, on white: rows labelled on the left, columns
    below, the colour scale on the right."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    figure = Figure(figsize=(chart.width_px / DPI, chart.height_px / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    right = 1 - SCALE_PX / chart.width_px
    bottom, top = BOTTOM_PX / chart.height_px, 1 - TOP_PX / chart.height_px
    axes = figure.add_axes((0, bottom, right, top - bottom))
    axes.set_yticks(range(len(chart.row_labels)), labels=[_literal(r) for r in chart.row_labels])
    axes.tick_params(which="both", length=0)
    labels_px = max(label.get_window_extent().width for label in axes.get_yticklabels())
    left = (labels_px + MARGIN_PX) / chart.width_px  # the row labels measured, so none is cut however long
    axes.set_position((left, bottom, right - left, top - bottom))
    scale_axes = figure.add_axes((right + 0.015, bottom, 0.02, top - bottom))
    scale = matplotlib.colormaps[COLOUR_SCALE].with_extremes(bad=EMPTY)
    norm = Normalize(chart.low, chart.high)
    grid = [[math.nan if cell is None else cell.value for cell in row] for row in chart.cells]  # NaN: empty
    image = axes.imshow(grid, cmap=scale, norm=norm, aspect="auto", interpolation="nearest")
    small = len(chart.row_labels) > 6
    for row, cells in enumerate(chart.cells):
        for column, cell in enumerate(cells):
            if cell is None:
                continue
            red, green, blue, _ = scale(norm(cell.value))
            ink = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
            lift = 5 if cell.note else 0  # points: the text above the middle, the note below it
            axes.annotate(_literal(cell.text), (column, row), xytext=(0, lift), textcoords="offset points",
                          ha="center", va="center", color=ink, fontsize=10 if small else 12, fontweight="bold")  # fmt: skip
            if cell.note:
                axes.annotate(_literal(cell.note), (column, row), xytext=(0, -8), textcoords="offset points",
                              ha="center", va="center", color=ink, fontsize=7 if small else 8)  # fmt: skip
    axes.set_title(_literal(chart.title), loc="left", fontsize=13)
    axes.set_xticks(range(len(chart.column_labels)), labels=[_literal(c) for c in chart.column_labels])
    axes.set_xlabel(_literal(chart.column_title))
    axes.set_xticks([x - 0.5 for x in range(1, len(chart.column_labels))], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(chart.row_labels))], minor=True)
    axes.grid(which="minor", color="white", linewidth=2)  # a gap between cells
    axes.spines[:].set_visible(False)
    ticks = [chart.low + (chart.high - chart.low) * i / 4 for i in range(5)]
    bar = figure.colorbar(image, cax=scale_axes, ticks=ticks)
    bar.ax.yaxis.set_major_formatter(lambda value, _: f"{value:g}{chart.scale_suffix}")
    bar.set_label(_literal(chart.scale_title))
    bar.outline.set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _literal(text: str) -> str:
    """Text shown as written: matplotlib reads ``$...$`` as mathematical notation."""
    return text.replace("$", r"\$")


class ChartRenderer:
    """Draws charts for the services, one at a time in a worker thread, with the drawer given (tests pass one)."""

    def __init__(self, draw: ChartDrawer = draw_grid_chart) -> None:
        self._draw = draw
        self._one_at_a_time = asyncio.Lock()

    async def render(self, chart: GridChart) -> bytes:
        async with self._one_at_a_time:
            return await asyncio.to_thread(self._draw, chart)
