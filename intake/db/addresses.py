"""Mail addresses compared as people mean them: whatever the case of either side.

`lower()` in SQL is Python's `str.lower` on SQLite (intake/db/sqlite.py registers it: SQLite's
own lower-cases ASCII letters only, so "Émile@" never met "émile@") and PostgreSQL's on a
UTF-8 database, which lower-cases every letter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement


def same_address(column: Any, email: str) -> ColumnElement[bool]:
    """Return the condition that an address column holds `email`, in any case."""
    condition: ColumnElement[bool] = func.lower(column) == email.lower()
    return condition
