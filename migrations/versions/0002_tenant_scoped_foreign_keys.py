"""Tenant-scoped keys: replies, files and chats point only at rows of their own tenant.

ticket_responses.agent_id, ticket_attachments.response_id and chat_sessions.agent_id /
ticket_id referred to a bare id, so a row could point at another tenant's agent, reply or
ticket. Each becomes a composite key (tenant_id, x) -> (tenant_id, id), like the others.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:50:00.000000
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: [(column, referred table)]
KEYS = {
    "ticket_responses": [("agent_id", "agents")],
    "ticket_attachments": [("response_id", "ticket_responses")],
    "chat_sessions": [("agent_id", "agents"), ("ticket_id", "support_tickets")],
}
# Rows that point at a table batch mode copies (files at replies, messages at chats).
CHILDREN = ["ticket_attachments", "chat_messages"]


@contextmanager
def _children_aside() -> Iterator[None]:
    """On SQLite, keep the rows of CHILDREN aside while the tables they point at are copied.

    Batch mode copies a table and drops the old one, and dropping a table that other rows
    point at breaks those links for good (the foreign-key check cannot be switched off
    inside the migration's transaction).
    """
    bind = op.get_bind()
    held = CHILDREN if bind.dialect.name == "sqlite" else []
    names = {t: [c["name"] for c in sa.inspect(bind).get_columns(t)] for t in held}
    for table in held:
        op.execute(f"CREATE TEMP TABLE held_{table} AS SELECT * FROM {table}")
        op.execute(f"DELETE FROM {table}")
    yield
    for table in held:
        listed = ", ".join(f'"{name}"' for name in names[table])
        op.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM held_{table}")
        op.execute(f"DROP TABLE held_{table}")


def upgrade() -> None:
    with _children_aside():
        for table, keys in KEYS.items():
            with op.batch_alter_table(table, schema=None) as batch_op:
                for column, referred in keys:
                    batch_op.drop_constraint(f"fk_{table}_{column}_{referred}", type_="foreignkey")
                    batch_op.create_foreign_key(
                        f"fk_{table}_tenant_id_{column}_{referred}",
                        referred,
                        ["tenant_id", column],
                        ["tenant_id", "id"],
                    )


def downgrade() -> None:
    with _children_aside():
        for table, keys in KEYS.items():
            with op.batch_alter_table(table, schema=None) as batch_op:
                for column, referred in keys:
                    batch_op.drop_constraint(
                        f"fk_{table}_tenant_id_{column}_{referred}", type_="foreignkey"
                    )
                    batch_op.create_foreign_key(
                        f"fk_{table}_{column}_{referred}", referred, [column], ["id"]
                    )
