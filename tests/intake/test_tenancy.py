"""A session bound to a tenant sees and touches only that tenant's rows, whatever is written.

Every statement below carries no tenant filter of its own: the session adds it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import selectinload

from intake.db import Database, UnscopedStatement
from intake.models import (
    AuthorType,
    SupportTicket,
    TicketCategory,
    TicketPriority,
    TicketResponse,
)
from tests.intake.fixtures import DatabaseFactory


def _ticket(tenant: str | None, number: int) -> SupportTicket:
    return SupportTicket(
        tenant_id=tenant, number=number, reference=f"T{number}-{number}",
        token_hash=f"{tenant}{number}".ljust(64, "0"), customer_name="Ada",
        customer_email="ada@example.com", subject="Subject", description="Description",
        category=TicketCategory.billing, priority=TicketPriority.low,
    )  # fmt: skip


@pytest.fixture
def database(intake_db: DatabaseFactory, request: pytest.FixtureRequest) -> Iterator[Database]:
    """Return a database holding one ticket with one reply in each of eur and km."""
    value = Database(intake_db.new(request.node.name), pool_size=2)
    with value.all_tenants(write=True) as session:
        for tenant in ("eur", "km"):
            ticket = _ticket(tenant, 1)
            session.add(ticket)
            session.flush()
            reply = f"{tenant} reply"
            session.add(TicketResponse(tenant_id=tenant, ticket_id=ticket.id,
                                       author_type=AuthorType.customer, body=reply))  # fmt: skip
    yield value
    value.dispose()


def ids(database: Database) -> dict[str, int]:
    with database.all_tenants() as session:
        return {t.tenant_id: t.id for t in session.scalars(select(SupportTicket))}


def test_selects_see_only_the_sessions_tenant(database: Database) -> None:
    with database.read("eur") as session:
        assert [t.tenant_id for t in session.scalars(select(SupportTicket))] == ["eur"]
        assert session.scalar(select(func.count(SupportTicket.id))) == 1
        joined = select(TicketResponse.body).join(
            SupportTicket, SupportTicket.id == TicketResponse.ticket_id
        )
        assert list(session.scalars(joined)) == ["eur reply"]
        subquery = select(SupportTicket.id).scalar_subquery()
        assert list(session.scalars(select(TicketResponse.body).where(
            TicketResponse.ticket_id.in_(subquery)))) == ["eur reply"]  # fmt: skip


def test_get_by_id_of_another_tenant_finds_nothing(database: Database) -> None:
    found = ids(database)
    with database.read("eur") as session:
        assert session.get(SupportTicket, found["km"]) is None
        ticket = session.get(SupportTicket, found["eur"])
        assert ticket is not None and ticket.tenant_id == "eur"


def test_relationship_loads_stay_in_the_tenant(database: Database) -> None:
    found = ids(database)
    # A reply of km pointing at eur's ticket cannot exist (composite keys), so check that the
    # lazy and eager loads carry the tenant by reading each side's thread.
    with database.read("km") as session:
        ticket = session.get(SupportTicket, found["km"])
        assert ticket is not None and [r.body for r in ticket.responses] == ["km reply"]
        eager = session.scalars(
            select(SupportTicket).options(selectinload(SupportTicket.responses))
        ).one()
        assert [r.body for r in eager.responses] == ["km reply"]


def test_orm_updates_and_deletes_touch_only_the_tenant(database: Database) -> None:
    with database.write("eur") as session:
        changed = session.execute(update(SupportTicket).values(subject="Changed"))
        assert changed.rowcount == 1  # type: ignore[attr-defined]
        gone = session.execute(delete(TicketResponse))
        assert gone.rowcount == 1  # type: ignore[attr-defined]
    with database.all_tenants() as session:
        rows = session.execute(select(SupportTicket.tenant_id, SupportTicket.subject))
        subjects = {tenant: subject for tenant, subject in rows}
        replies = list(session.scalars(select(TicketResponse.tenant_id)))
    assert subjects == {"eur": "Changed", "km": "Subject"}
    assert replies == ["km"]


def test_new_rows_get_the_tenant_and_other_tenants_rows_are_refused(database: Database) -> None:
    with database.write("km") as session:
        session.add(_ticket(None, 2))
    with database.all_tenants() as session:
        assert session.scalars(select(SupportTicket.tenant_id).where(
            SupportTicket.number == 2)).one() == "km"  # fmt: skip
    with pytest.raises(UnscopedStatement), database.write("km") as session:
        session.add(_ticket("eur", 3))
    found = ids(database)
    with pytest.raises(UnscopedStatement), database.write("km") as session:
        session.execute(insert(TicketResponse), [{"tenant_id": "eur", "ticket_id": found["eur"],
                        "author_type": AuthorType.agent, "body": "x"}])  # fmt: skip
    with database.all_tenants() as session:
        assert session.scalar(select(func.count(SupportTicket.id))) == 3  # nothing half-saved


def test_core_text_and_raw_connections_raise_on_a_tenant_session(database: Database) -> None:
    with database.read("eur") as session:
        for statement in (text("SELECT 1"), select(SupportTicket.__table__.c.id)):
            with pytest.raises(UnscopedStatement):
                session.execute(statement)
        with pytest.raises(UnscopedStatement):
            session.connection()
    with database.all_tenants() as session:  # the visible opt-out
        assert session.execute(text("SELECT 1")).scalar() == 1
