"""Long lists of rows split for SQL statements.

SQLite parses an expression at most 1,000 terms deep, and an OR of conditions or a CASE over
rows is one term per row: a statement that names rows names at most PER_STATEMENT of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
PER_STATEMENT = 200


def per_statement(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """Yield `items` in consecutive slices of at most PER_STATEMENT."""
    for start in range(0, len(items), PER_STATEMENT):
        yield items[start : start + PER_STATEMENT]
