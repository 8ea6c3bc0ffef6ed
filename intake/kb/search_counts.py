"""What readers searched for, counted per day: searches that found nothing (what to write
next) and the pages opened from a search's results (what the words lead to).

Only the words are kept (lower-cased, spaces folded, at most 100 characters) and the page's
address, never who searched. Counted from the search API and the search page (explicit
searches) and reported by the static site's search; the ticket form's suggestions, sent as the
customer types, would count every half-typed word.

A search adds to its process's tally in memory; one thread writes the tally every
FLUSH_SECONDS in one transaction per tenant, so a search costs no write of its own and a
flood of searches costs one write a second. A process killed outright loses at most that
second's counts: they are statistics, not anyone's data. Anyone may search, so a tenant's day
keeps at most NEW_PER_DAY different queries of each kind, and a tally holds at most
PENDING_MAX: a flood of made-up words cannot fill the disk or the memory, and the queries
already kept go on counting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import unicodedata
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from intake.db import Database, TenantSession
from intake.models import SearchMiss, SearchOpen, utcnow

log = logging.getLogger(__name__)
QUERY_MAX = 100
NEW_PER_DAY = 5000  # different queries (or query and page) kept per tenant, day and kind
PENDING_MAX = 10_000  # different counts waiting in one process for the next write
FLUSH_SECONDS = 1.0

Model = type[SearchMiss] | type[SearchOpen]
# What one count adds to: the tenant, the table, the day and the row's key columns.
Key = tuple[str, Model, dt.date, tuple[tuple[str, str], ...]]


def normalized(query: str) -> str:
    """Return the form a query is counted under: 'Reset  PASSWORD' and 'reset password' alike.
    Invisible characters (Unicode's C* categories: NUL, bidi overrides) are no words to show
    on the dashboard: a query of nothing else is not counted."""
    visible = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in query)
    return " ".join(visible.lower().split())[:QUERY_MAX].strip()


class SearchTally:
    """This process's counts not yet written, and the thread that writes them."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pending: Counter[Key] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def miss(self, tenant_id: str, query: str, day: dt.date | None = None) -> None:
        """Count one search of `query` that found nothing."""
        self._add(tenant_id, SearchMiss, query, day)

    def opened(self, tenant_id: str, query: str, page: str, day: dt.date | None = None) -> None:
        """Count one opening of `page` from the results of `query`."""
        self._add(tenant_id, SearchOpen, query, day, page=page)

    def _add(self, tenant_id: str, model: Model, query: str, day: dt.date | None,
             **columns: str) -> None:  # fmt: skip
        words = normalized(query)
        if not words:
            return
        key: Key = (tenant_id, model, day or utcnow().date(), (("query", words), *columns.items()))
        with self._lock:
            if key in self._pending or len(self._pending) < PENDING_MAX:
                self._pending[key] += 1
            # Started on first use, so each gunicorn worker (forked) gets its own.
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="intake-search-counts", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        """Write every count waiting (never raises: the counts are a nicety)."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        by_tenant: dict[str, dict[Key, int]] = defaultdict(dict)
        for key, count in pending.items():
            by_tenant[key[0]][key] = count
        for tenant_id, counts in by_tenant.items():
            for _attempt in range(2):  # another process made one of the rows first: add to it
                try:
                    with self.database.write(tenant_id) as session:
                        _write(session, counts)
                    break
                except IntegrityError:
                    continue
                except Exception:  # noqa: BLE001 (a search must never fail over its count)
                    log.exception("could not write %d search counts", len(counts))
                    break
            else:
                log.warning("%d search counts of %s lost to concurrent writes", len(counts),
                            tenant_id)  # fmt: skip

    def close(self) -> None:
        """Stop the thread and write what is waiting."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(10)
        self.flush()


def _write(session: TenantSession, counts: dict[Key, int]) -> None:
    """Add `counts` (of one tenant) to their day's rows, making the new ones there is room for."""
    room: dict[tuple[Model, dt.date], int] = {}
    new: dict[Model, list[dict[str, Any]]] = defaultdict(list)
    for (tenant_id, model, day, key), count in counts.items():
        match = [getattr(model, name) == value for name, value in key]
        counted = session.execute(
            update(model)
            .where(model.day == day, *match)
            .values(count=model.count + count)
            .execution_options(synchronize_session=False)
        )
        if counted.rowcount:  # type: ignore[attr-defined]
            continue
        if (model, day) not in room:
            kept = session.scalar(select(func.count()).select_from(model).where(model.day == day))
            room[model, day] = NEW_PER_DAY - (kept or 0)
        if room[model, day] > 0:
            new[model].append({"tenant_id": tenant_id, "day": day, "count": count, **dict(key)})
            room[model, day] -= 1
    for model, rows in new.items():  # one multi-row INSERT per table, not an object per row
        session.execute(insert(model), rows)
