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

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from intake.db import Database, TenantSession
from intake.db.batches import per_statement
from intake.models import SearchMiss, SearchOpen, utcnow

log = logging.getLogger(__name__)
QUERY_MAX = 100
NEW_PER_DAY = 5000  # different queries (or query and page) kept per tenant, day and kind
PENDING_MAX = 10_000  # different counts waiting in one process for the next write
FLUSH_SECONDS = 1.0

Model = type[SearchMiss] | type[SearchOpen]
Columns = tuple[tuple[str, str], ...]  # a row's key columns and their values
# What one count adds to: the tenant, the table, the day and the row's key columns.
Key = tuple[str, Model, dt.date, Columns]


def normalized(query: str) -> str:
    """Return the form a query is counted under: 'Reset  PASSWORD' and 'reset password' alike,
    accents composed (NFC) however they were typed. Invisible characters (Unicode's C*
    categories: NUL, bidi overrides) are no words to show on the dashboard: a query of nothing
    else is not counted."""
    composed = unicodedata.normalize("NFC", query)
    visible = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in composed)
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
    """Add `counts` (of one tenant) to their day's rows, making the new ones there is room for.

    A few statements per table and day, whatever the number of counts: the writing thread holds
    the interpreter while it builds each statement, and a flood of made-up queries brings
    hundreds of new counts a second."""
    by_day: dict[tuple[str, Model, dt.date], dict[Columns, int]] = defaultdict(dict)
    for (tenant_id, model, day, key), count in counts.items():
        by_day[tenant_id, model, day][key] = count
    for (tenant_id, model, day), added in by_day.items():
        rows = _existing(session, model, day, list(added))
        for chunk in per_statement(list(rows.items())):
            increments = {row_id: added[key] for key, row_id in chunk}
            session.execute(
                update(model)
                .where(model.id.in_(increments))
                .values(count=model.count + case(increments, value=model.id, else_=0))
                .execution_options(synchronize_session=False)
            )
        fresh = [key for key in added if key not in rows]
        if not fresh:
            continue
        kept = session.scalar(select(func.count()).select_from(model).where(model.day == day))
        room = max(NEW_PER_DAY - (kept or 0), 0)
        new = [{"tenant_id": tenant_id, "day": day, "count": added[key], **dict(key)}
               for key in fresh[:room]]  # fmt: skip
        if new:  # one multi-row INSERT, not an object per row
            session.execute(insert(model), new)


def _existing(
    session: TenantSession, model: Model, day: dt.date, keys: list[Columns]
) -> dict[Columns, int]:
    """Return the ids of the day's rows that `keys` already have."""
    names = [name for name, _value in keys[0]]
    wanted = set(keys)
    found: dict[Columns, int] = {}
    for chunk in per_statement(keys):
        first = getattr(model, names[0]).in_({key[0][1] for key in chunk})
        columns = [getattr(model, name) for name in names]
        for row_id, *values in session.execute(
            select(model.id, *columns).where(model.day == day, first)
        ):
            key = tuple(zip(names, values, strict=True))
            if key in wanted:
                found[key] = row_id
    return found
