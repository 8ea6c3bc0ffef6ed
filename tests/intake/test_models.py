"""The schema: migrations give exactly the models' keys, and rows stay within their tenant."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from intake.cli.database import alembic_config, upgrade
from intake.db import make_engine
from intake.db.addresses import same_address
from intake.models import (
    AuthorType,
    Base,
    ChatMessage,
    ChatSession,
    FailingAddress,
    InboundMail,
    SupportTicket,
    TicketAttachment,
    TicketResponse,
    as_utc,
)
from tests.intake.fixtures import DatabaseFactory


@pytest.fixture
def engine(intake_db: DatabaseFactory, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Return an engine on a fresh database at the newest migration."""
    value = make_engine(intake_db.new(request.node.name), pool_size=1)
    yield value
    value.dispose()


def _insert(conn: Connection, table: str, **values: Any) -> int:
    """Insert a row into the table as the database has it now (any migration), return its id.

    Reflected rather than the models' tables, so only columns of that schema are written.
    """
    reflected = Table(table, MetaData(), autoload_with=conn)
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    row = {"created_at": now, "updated_at": now, **values}
    return int(conn.execute(insert(reflected).returning(reflected.c.id), row).scalar_one())


def _ticket(conn: Connection, tenant: str, number: int) -> int:
    return _insert(
        conn, "support_tickets", tenant_id=tenant, number=number,
        reference=f"{tenant.upper()}-{number}", token_hash=f"{tenant}{number}".ljust(64, "0"),
        customer_name="A", customer_email="a@b.test", subject="Subject",
        description="Description", category="general", priority="low", status="open",
    )  # fmt: skip


def _fill(conn: Connection) -> dict[str, Any]:
    """Write a ticket with an agent's reply and a file of it, and a chat, all of tenant eur."""
    agent = _insert(conn, "agents", tenant_id="eur", email="ag@desk.test", name="Ag", active=True)
    ticket = _ticket(conn, "eur", 1)
    reply = _insert(conn, "ticket_responses", tenant_id="eur", ticket_id=ticket,
                    author_type="agent", agent_id=agent, body="Hi", is_internal=False)  # fmt: skip
    _insert(conn, "ticket_attachments", tenant_id="eur", ticket_id=ticket, response_id=reply,
            original_name="a.txt", stored_name="f" * 32, content_type="text/plain", size=1,
            sha256="0" * 64)  # fmt: skip
    chat = _insert(conn, "chat_sessions", tenant_id="eur", customer_name="A", agent_id=agent,
                   ticket_id=ticket, status="active")  # fmt: skip
    _insert(conn, "chat_messages", tenant_id="eur", session_id=chat, author_type="customer",
            body="Hi", message_type="text")  # fmt: skip
    return {"agent": agent, "ticket": ticket, "reply": reply}


# The address indexes of lower(column) are PostgreSQL's (migration 0013); SQLite's cannot be
# reflected, which alembic says as it skips them.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_the_migrations_give_the_models_keys(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    keys = [d for d in diffs if isinstance(d, tuple) and d[0] in ("add_fk", "remove_fk")]
    assert keys == []


def test_migrating_keeps_the_rows_and_their_links(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0001")
    engine.dispose()
    with engine.begin() as conn:
        ids = _fill(conn)
    engine.dispose()
    upgrade(url)
    with engine.connect() as conn:
        reply = conn.execute(select(TicketAttachment.response_id)).scalar_one()
        assert reply == ids["reply"]
        assert conn.execute(select(func.count(ChatMessage.id))).scalar_one() == 1


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (TicketResponse, {"author_type": AuthorType.agent, "body": "x", "is_internal": True,
                          "agent_id": "agent"}),
        (TicketAttachment, {"response_id": "reply", "original_name": "a.txt",
                            "stored_name": "e" * 32, "content_type": "text/plain", "size": 1,
                            "sha256": "0" * 64}),
        (ChatSession, {"customer_name": "B", "agent_id": "agent"}),
        (ChatSession, {"customer_name": "B", "ticket_id": "ticket"}),
    ],
)  # fmt: skip
def test_no_row_points_at_another_tenants_row(
    engine: Engine, model: type[Base], values: dict[str, Any]
) -> None:
    with engine.begin() as conn:
        ids = _fill(conn)  # tenant eur's agent, ticket and reply
        own_ticket = _ticket(conn, "km", 1)
    row = {k: ids[v] if k.endswith("_id") else v for k, v in values.items()}
    row["tenant_id"] = "km"
    if model is not ChatSession:
        row["ticket_id"] = own_ticket
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(model), row)


def test_stored_times_read_back_as_utc() -> None:
    naive = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC).replace(tzinfo=None)  # SQLite's
    paris = dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert as_utc(naive) == as_utc(paris) == dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)
    assert as_utc(paris).utcoffset() == dt.timedelta(0)  # PostgreSQL's zone, turned to UTC


def test_migrating_puts_addresses_typed_before_in_their_one_spelling(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0011")
    engine.dispose()
    typed = unicodedata.normalize("NFD", "Émile@xn--bcher-kva.example")
    with engine.begin() as conn:
        ticket = _ticket(conn, "eur", 1)
        conn.execute(text("UPDATE support_tickets SET customer_email = :typed WHERE id = :id"),
                     {"typed": typed, "id": ticket})  # fmt: skip
        for spelled in ("ada@xn--bcher-kva.example", "ada@bücher.example"):  # one address
            _insert(conn, "failing_addresses", tenant_id="eur", email=spelled, reason="gone")
        _insert(
            conn,
            "inbound_mail",
            tenant_id="eur",
            message_id="<m1@x>",
            from_address="ada@xn--bcher-kva.example",
            subject="Hi",
            outcome="ticket",
        )
    engine.dispose()
    upgrade(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT customer_email FROM support_tickets")).scalar_one()
        failing = conn.execute(text("SELECT email FROM failing_addresses")).scalars().all()
        sender = conn.execute(text("SELECT from_address FROM inbound_mail")).scalar_one()
    assert stored == "Émile@bücher.example" and unicodedata.is_normalized("NFC", stored)
    assert failing == ["ada@bücher.example"] and sender == "ada@bücher.example"


ANY_CASE_LOOKUPS: dict[str, tuple[Any, Any]] = {
    "ix_support_tickets_customer_any_case": (SupportTicket, SupportTicket.customer_email),
    "ix_chat_sessions_customer_any_case": (ChatSession, ChatSession.customer_email),
    "ix_inbound_mail_sender_any_case": (InboundMail, InboundMail.from_address),
    "ix_failing_addresses_any_case": (FailingAddress, FailingAddress.email),
}


@pytest.mark.parametrize("index", sorted(ANY_CASE_LOOKUPS))
def test_a_customers_rows_are_found_by_address_through_an_index(engine: Engine, index: str) -> None:
    """On PostgreSQL a lookup by address in any case reads an index of lower(address), not the
    tenant's whole table; SQLite gets none (its lower() is Python's, set per connection)."""
    model, column = ANY_CASE_LOOKUPS[index]
    query = select(model.id).where(model.tenant_id == "eur", same_address(column, "Ada@X.test"))
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            names = {i["name"] for i in inspect(conn).get_indexes(model.__tablename__)}
            assert index not in names
            return
        conn.execute(text("SET enable_seqscan = off"))  # a test table is small enough to scan
        sql = query.compile(engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(conn.execute(text(f"EXPLAIN {sql}")).scalars())
    assert index in plan, plan


def test_migrating_names_the_sender_of_each_mail_kept_on_another_customers_ticket(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0014")
    engine.dispose()
    bodies = {
        "kept": "Mail from Kit Kane <kit@example.com>, who is not this ticket's customer; not "
        "shown to the customer unless an agent accepts it.\n\nMy card.",
        "shown": "Kit Kane <kit@example.com> wrote:\n\nMy card.",
        "robot": "Automatic mail (mailing list (List-Id)) from fay@example.com, not answered:"
        "\n\nOut of office.",
        "own robot": "Automatic mail (Auto-Submitted: auto-replied) from a@b.test, not "
        "answered:\n\nAway.",  # the ticket's customer's own, theirs already
        "quoting": "Notes: Mail from Kit Kane <kit@example.com>, who is not this ticket's "
        "customer;",  # an agent's note quoting such a mail: the agent's
    }
    ids = {}
    with engine.begin() as conn:
        ticket = _ticket(conn, "eur", 1)
        for name, body in bodies.items():
            author = "agent" if name == "quoting" else "system"
            ids[name] = _insert(conn, "ticket_responses", tenant_id="eur", ticket_id=ticket,
                                author_type=author, body=body, is_internal=True)  # fmt: skip
    engine.dispose()
    upgrade(url)
    with engine.connect() as conn:
        found = dict(conn.execute(select(TicketResponse.id, TicketResponse.mailed_by)).all())
    assert {name: found[row] for name, row in ids.items()} == {
        "kept": "kit@example.com", "shown": "kit@example.com", "robot": "fay@example.com",
        "own robot": None, "quoting": None,
    }  # fmt: skip
