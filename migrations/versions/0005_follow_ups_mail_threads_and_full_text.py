"""Follow-up tickets, mail threading headers, and full-text search over tickets and replies.

SQLite gets two contentless FTS5 tables kept by triggers (ticket_text: a ticket's subject and
description, rowid = ticket id; response_text: a reply's body, rowid = reply id); PostgreSQL
gets GIN indexes on the same text's tsvector. intake.tickets.search queries either.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE ticket_text USING fts5(subject, body, content='',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE response_text USING fts5(body, content='',"
    " tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO ticket_text(rowid, subject, body) SELECT id, subject, description"
    " FROM support_tickets",
    "INSERT INTO response_text(rowid, body) SELECT id, body FROM ticket_responses",
    "CREATE TRIGGER ticket_text_insert AFTER INSERT ON support_tickets BEGIN"
    " INSERT INTO ticket_text(rowid, subject, body) VALUES (new.id, new.subject, new.description);"
    " END",
    "CREATE TRIGGER ticket_text_update AFTER UPDATE OF subject, description ON support_tickets"
    " BEGIN INSERT INTO ticket_text(ticket_text, rowid, subject, body)"
    " VALUES ('delete', old.id, old.subject, old.description);"
    " INSERT INTO ticket_text(rowid, subject, body) VALUES (new.id, new.subject, new.description);"
    " END",
    "CREATE TRIGGER ticket_text_delete AFTER DELETE ON support_tickets BEGIN"
    " INSERT INTO ticket_text(ticket_text, rowid, subject, body)"
    " VALUES ('delete', old.id, old.subject, old.description); END",
    "CREATE TRIGGER response_text_insert AFTER INSERT ON ticket_responses BEGIN"
    " INSERT INTO response_text(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER response_text_update AFTER UPDATE OF body ON ticket_responses BEGIN"
    " INSERT INTO response_text(response_text, rowid, body) VALUES ('delete', old.id, old.body);"
    " INSERT INTO response_text(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER response_text_delete AFTER DELETE ON ticket_responses BEGIN"
    " INSERT INTO response_text(response_text, rowid, body) VALUES ('delete', old.id, old.body);"
    " END",
]
POSTGRES_FTS = [
    "CREATE INDEX ix_support_tickets_fts ON support_tickets"
    " USING gin (to_tsvector('simple', subject || ' ' || description))",
    "CREATE INDEX ix_ticket_responses_fts ON ticket_responses"
    " USING gin (to_tsvector('simple', body))",
]


def upgrade() -> None:
    """Add the columns, then the search structures of the database at hand."""
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_support_tickets_tenant_id_follow_up_of_id_support_tickets"),
            "support_tickets", ["tenant_id", "follow_up_of_id"], ["tenant_id", "id"],
        )  # fmt: skip
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_FTS if postgresql else SQLITE_FTS:
        op.execute(statement)


def downgrade() -> None:
    """Drop the search structures, then the columns."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_ticket_responses_fts")
        op.execute("DROP INDEX ix_support_tickets_fts")
    else:
        for name in ("ticket_text", "response_text"):
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {name}_{action}")
            op.execute(f"DROP TABLE {name}")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("headers")
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_support_tickets_tenant_id_follow_up_of_id_support_tickets"),
            type_="foreignkey",
        )
        batch_op.drop_column("follow_up_of_id")
