"""A figure of the dashboard as a table: shown beside its chart, and downloadable as CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """One figure: its key (in its CSV's address), title, column names, rows, and a line
    that sums it up."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    note: str = ""

    def csv(self) -> str:
        """Return the table as CSV (a header row, then one line per row)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        writer.writerows([_safe(cell) for cell in row] for row in self.rows)
        return out.getvalue()


def _safe(cell: Cell) -> Cell:
    """Keep a spreadsheet from running a cell as a formula (a search's words are anyone's)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def nearest_rank(values: Sequence[float], share: float, ordered: bool = False) -> float | None:
    """Return the value at `share` (0.5: median, 0.9: 90th percentile) by the nearest-rank
    method: the smallest value with at least that share of the values at or below it.
    `ordered` says the values are sorted already."""
    if not values:
        return None
    ordered_values = values if ordered else sorted(values)
    return ordered_values[max(math.ceil(share * len(ordered_values)), 1) - 1]


def hours(seconds: float | None) -> float | None:
    """Return seconds as hours, to two decimals."""
    return None if seconds is None else round(seconds / 3600, 2)


def percent(part: int, whole: int) -> float | None:
    """Return part of whole in percent, to one decimal (None of nothing)."""
    return round(100 * part / whole, 1) if whole else None
