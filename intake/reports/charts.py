"""Bar charts of the dashboard's tables, laid out here and drawn as SVG by the page's template
(no script, no build step: the page reads the same without JavaScript)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from intake.reports.tables import Table

WIDTH, HEIGHT = 720, 220
LEFT, BOTTOM, TOP = 44, 28, 10  # room for the axis labels
LABELS_SHOWN = 10  # at most this many labels under the bars


@dataclass(frozen=True)
class Bar:
    """One bar: where it stands, its series (0, 1, ...) and what it counts."""

    x: float
    y: float
    width: float
    height: float
    series: int
    label: str
    value: int


@dataclass(frozen=True)
class Chart:
    """A bar chart of some columns of a table, one group of bars per row."""

    table: Table
    series: tuple[str, ...]
    bars: list[Bar]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def summary(self) -> str:
        """Say in words what the chart shows (its SVG description)."""
        totals = [sum(b.value for b in self.bars if b.series == i) for i in range(len(self.series))]
        said = ", ".join(
            f"{name}: {total:,} in all" for name, total in zip(self.series, totals, strict=True)
        )
        return f"Bar chart of {len(self.table.rows)} {self.table.columns[0]}s; {said}."


def _step(top: int) -> int:
    """Return a round step for about four ticks up to `top`."""
    raw = max(top / 4, 1)
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def bar_chart(table: Table, columns: tuple[str, ...], short_labels: bool = False) -> Chart:
    """Lay out `columns` of `table` as grouped bars (the first column names each group)."""
    indexes = [table.columns.index(c) for c in columns]
    values = [[int(row[i] or 0) for i in indexes] for row in table.rows]
    step = _step(max((v for group in values for v in group), default=0))
    top = max(step * math.ceil(max((v for g in values for v in g), default=0) / step), step)
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    group_w = plot_w / max(len(values), 1)
    bar_w = group_w * 0.8 / len(columns)
    bars, labels = [], []
    every = max(math.ceil(len(values) / LABELS_SHOWN), 1)
    for n, (row, group) in enumerate(zip(table.rows, values, strict=True)):
        name = str(row[0])
        x0 = LEFT + n * group_w + group_w * 0.1
        for i, value in enumerate(group):
            h = plot_h * value / top
            bars.append(Bar(round(x0 + i * bar_w, 2), round(TOP + plot_h - h, 2),
                            round(max(bar_w - 1, 1), 2), round(h, 2), i, name, value))  # fmt: skip
        if n % every == 0:
            labels.append((round(LEFT + (n + 0.5) * group_w, 2),
                           name[5:] if short_labels else name))  # fmt: skip
    ticks = [(round(TOP + plot_h - plot_h * v / top, 2), v) for v in range(0, top + 1, step)]
    return Chart(table, columns, bars, labels, ticks)
