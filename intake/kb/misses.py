"""Searches of the knowledge base that found nothing, counted per day: what to write next.

Only the words are kept (lower-cased, spaces folded, at most 100 characters), never who
searched. Counted from the search API and the search page (explicit searches); the ticket
form's suggestions, sent as the customer types, would count every half-typed word.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from intake.db import Database
from intake.models import SearchMiss, utcnow

log = logging.getLogger(__name__)
QUERY_MAX = 100


def normalized(query: str) -> str:
    """Return the form a query is counted under: 'Reset  PASSWORD' and 'reset password' alike."""
    return " ".join(query.lower().split())[:QUERY_MAX].strip()


def record_miss(database: Database, tenant_id: str, query: str, day: dt.date | None = None) -> None:
    """Count one search of `query` that found nothing (never raises: a search must answer)."""
    words = normalized(query)
    if not words:
        return
    day = day or utcnow().date()
    for _attempt in range(2):  # a concurrent first count of the same words: add to theirs
        try:
            with database.write(tenant_id) as session:
                counted = session.execute(
                    update(SearchMiss)
                    .where(SearchMiss.day == day, SearchMiss.query == words)
                    .values(count=SearchMiss.count + 1)
                    .execution_options(synchronize_session=False)
                )
                if not counted.rowcount:  # type: ignore[attr-defined]
                    session.add(SearchMiss(day=day, query=words, count=1))
            return
        except IntegrityError:
            continue
        except Exception:  # noqa: BLE001 (the count is a nicety; the search still answers)
            log.exception("could not count a search that found nothing")
            return
