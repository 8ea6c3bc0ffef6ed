"""Free text over tickets and their threads, with the database's own full-text search.

SQLite: the FTS5 tables of migration 0005 (prefix match of every word); PostgreSQL: the GIN
indexes of the same migration (`to_tsvector('simple', ...)` with prefix queries). Words are
taken from the query as letters and digits only, so nothing typed is read as search syntax.
"""

from __future__ import annotations

import re

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    column,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    union,
)

from intake.db import TenantSession
from intake.models import SupportTicket, TicketResponse

WORDS = re.compile(r"\w+")
MAX_WORDS = 8


def words(query: str) -> list[str]:
    """Return the words of a query that search uses (at most MAX_WORDS, lower case); one
    without a letter or digit (`_`) finds nothing and is left out, not made a condition."""
    return [w.lower() for w in WORDS.findall(query) if any(c.isalnum() for c in w)][:MAX_WORDS]


def text_condition(session: TenantSession, query: str) -> ColumnElement[bool]:
    """Return a condition on SupportTicket: each word of the query is in its subject or
    description or in one of its messages (not all in one: "printer toner" finds the ticket
    about a printer whose reply names the toner)."""
    found = words(query)
    if not found:
        return true()
    return and_(*(_word_condition(session, word, n) for n, word in enumerate(found)))


def _word_condition(session: TenantSession, word: str, n: int) -> ColumnElement[bool]:
    """Return a condition on SupportTicket: a word starting with `word` is in its text or a
    reply's (each found by its table's full-text index); `n` names its parameters apart."""
    if session.get_bind().dialect.name == "sqlite":
        match = f'"{word}"*'
        in_tickets = (
            text(f"SELECT rowid FROM ticket_text WHERE ticket_text MATCH :ticket_match_{n}")
            .bindparams(**{f"ticket_match_{n}": match})
            .columns(column("rowid", Integer))
        )
        in_replies = (
            text(f"SELECT rowid FROM response_text WHERE response_text MATCH :reply_match_{n}")
            .bindparams(**{f"reply_match_{n}": match})
            .columns(column("rowid", Integer))
        )
        replied = select(TicketResponse.ticket_id).where(TicketResponse.id.in_(in_replies))
        return or_(SupportTicket.id.in_(in_tickets), SupportTicket.id.in_(replied))
    # Literals, not parameters: PostgreSQL uses an expression index only for the same text.
    simple: ColumnElement[str] = literal_column("'simple'")
    wanted = func.to_tsquery(simple, literal_column(_quoted(f"{word}:*")))
    ticket_text = SupportTicket.subject.op("||")(literal_column("' '")).op("||")(
        SupportTicket.description
    )
    matching = select(SupportTicket.id).where(
        func.to_tsvector(simple, ticket_text).op("@@")(wanted)
    )
    replied = select(TicketResponse.ticket_id).where(
        func.to_tsvector(simple, TicketResponse.body).op("@@")(wanted)
    )
    # One IN over a union: an OR of the two would keep PostgreSQL from either GIN index.
    return SupportTicket.id.in_(union(matching, replied))


def _quoted(value: str) -> str:
    """Return a SQL string literal of words and `& :*` only (nothing else reaches here)."""
    assert re.fullmatch(r"[\w&:* ]*", value), value
    return "'" + value + "'"
