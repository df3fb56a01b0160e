"""A chart as plain data: what goes on it, not how it is drawn.

The core decides the title, the rows, the columns and what each cell says; a drawer (``bot.services.charts``)
turns this into a picture. Keeping the description apart means the rules of a chart are tested without a
plotting library, and the drawer needs no knowledge of quizzes.

The one kind of chart is a grid (a heat map): rows of things, columns of times, each cell coloured by its value
on a fixed scale and labelled with its figures. It suits sparse, noisy figures such as weekly accuracy per topic
better than lines: an empty week is an empty cell rather than a break in a line, each cell can say how many
answers its figure rests on, and eight rows never cross each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    value: float
    """Where the cell sits on the chart's colour scale (``low`` to ``high``)."""
    text: str
    """Written in the cell ("67%")."""
    note: str = ""
    """Written smaller below the text ("2 of 3")."""


@dataclass(frozen=True)
class GridChart:
    title: str
    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    cells: tuple[tuple[Cell | None, ...], ...]
    """One tuple per row, one entry per column; None leaves the cell empty."""
    column_title: str
    scale_title: str
    """What the colour scale measures ("Right answers")."""
    low: float = 0.0
    high: float = 100.0
    scale_suffix: str = ""
    """Written after each value on the colour scale ("%")."""
    width_px: int = 800
    height_px: int = 400

    def __post_init__(self) -> None:
        if not self.row_labels or not self.column_labels:
            raise ValueError("a chart needs at least one row and one column")
        if len(self.cells) != len(self.row_labels):
            raise ValueError(f"{len(self.cells)} rows of cells for {len(self.row_labels)} row labels")
        for label, row in zip(self.row_labels, self.cells, strict=True):
            if len(row) != len(self.column_labels):
                raise ValueError(f"row {label!r} has {len(row)} cells for {len(self.column_labels)} columns")
