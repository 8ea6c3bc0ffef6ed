"""What readers searched for, counted per day: searches that found nothing (what to write
next) and the pages opened from a search's results (what the words lead to).

Only the words are kept (lower-cased, spaces folded, at most 100 characters) and the page's
address, never who searched. Counted from the search API and the search page (explicit
searches) and reported by the static site's search; the ticket form's suggestions, sent as the
customer types, would count every half-typed word.

Anyone may search, so a tenant's day keeps at most NEW_PER_DAY different queries of each kind:
a flood of made-up words cannot fill the disk, and the queries already kept go on counting.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from intake.db import Database, TenantSession
from intake.models import SearchMiss, SearchOpen, utcnow

log = logging.getLogger(__name__)
QUERY_MAX = 100
NEW_PER_DAY = 5000  # different queries (or query and page) kept per tenant, day and kind


def normalized(query: str) -> str:
    """Return the form a query is counted under: 'Reset  PASSWORD' and 'reset password' alike."""
    return " ".join(query.lower().split())[:QUERY_MAX].strip()


def record_miss(database: Database, tenant_id: str, query: str, day: dt.date | None = None) -> None:
    """Count one search of `query` that found nothing (never raises: a search must answer)."""
    words = normalized(query)
    if words:
        _count(database, tenant_id, SearchMiss, day, query=words)


def record_opened(
    database: Database, tenant_id: str, query: str, page: str, day: dt.date | None = None
) -> None:
    """Count one opening of `page` from the results of `query` (never raises)."""
    words = normalized(query)
    if words:
        _count(database, tenant_id, SearchOpen, day, query=words, page=page)


def _count(
    database: Database,
    tenant_id: str,
    model: type[SearchMiss] | type[SearchOpen],
    day: dt.date | None,
    **key: Any,
) -> None:
    """Add one to the day's row of `model` with these key columns, making it if it is new."""
    day = day or utcnow().date()
    match = [getattr(model, name) == value for name, value in key.items()]
    for _attempt in range(2):  # a concurrent first count of the same key: add to theirs
        try:
            with database.write(tenant_id) as session:
                counted = session.execute(
                    update(model)
                    .where(model.day == day, *match)
                    .values(count=model.count + 1)
                    .execution_options(synchronize_session=False)
                )
                new = not counted.rowcount  # type: ignore[attr-defined]
                if new and _room_for_one_more(session, model, day):
                    session.add(model(day=day, count=1, **key))
            return
        except IntegrityError:
            continue
        except Exception:  # noqa: BLE001 (the count is a nicety; the search still answers)
            log.exception("could not count a search")
            return


def _room_for_one_more(
    session: TenantSession, model: type[SearchMiss] | type[SearchOpen], day: dt.date
) -> bool:
    """Whether the tenant's day holds fewer than NEW_PER_DAY rows of `model`."""
    kept = session.scalar(select(func.count()).select_from(model).where(model.day == day))
    return (kept or 0) < NEW_PER_DAY
