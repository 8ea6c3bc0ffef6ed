"""Ticket numbers: one counter row per tenant, bumped inside the transaction that uses them.

The row lock on the counter orders concurrent writers (on SQLite the database-wide write lock
already does), and the unique constraint on (tenant_id, number) backs it up in the database.
"""

from __future__ import annotations

from sqlalchemy import Connection, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intake.models import TicketCounter, utcnow

FIRST_NUMBER = 10001


def _bump(conn: Connection, tenant_id: str, count: int) -> int | None:
    statement = (
        update(TicketCounter)
        .where(TicketCounter.tenant_id == tenant_id)
        .values(last_number=TicketCounter.last_number + count, updated_at=utcnow())
        .returning(TicketCounter.last_number)
    )
    number = conn.execute(statement).scalar()
    return None if number is None else int(number)


def _create_counter(conn: Connection, tenant_id: str) -> None:
    """Insert the tenant's counter row unless another transaction just did."""
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    values = {"tenant_id": tenant_id, "last_number": FIRST_NUMBER - 1}
    conn.execute(make(TicketCounter).values(values).on_conflict_do_nothing())


def reserve(conn: Connection, tenant_id: str, count: int) -> int:
    """Reserve `count` consecutive numbers for the tenant; return the first."""
    last = _bump(conn, tenant_id, count)
    if last is None:
        _create_counter(conn, tenant_id)
        last = _bump(conn, tenant_id, count)
    assert last is not None
    return last - count + 1
