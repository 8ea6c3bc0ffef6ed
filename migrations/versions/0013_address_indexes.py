"""Indexes for finding a customer's rows by address in any case, on PostgreSQL.

Addresses are compared as lower(column) = lower(address) (intake/db/addresses.py), which a
plain index on the column cannot serve: the desk's ticket page (the customer's other tickets
and a bounced address), link recovery, a chat's earlier chats and every mail received each
read the tenant's whole table. These indexes hold lower(column) itself. SQLite is left as it
is: its lower() is replaced by Python's on each connection, and an index built by one lower()
and read by another would give wrong answers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, table, the address column, columns after it (the mail sender's count by time)
INDEXES = (
    ("ix_support_tickets_customer_any_case", "support_tickets", "customer_email", ()),
    ("ix_chat_sessions_customer_any_case", "chat_sessions", "customer_email", ()),
    ("ix_inbound_mail_sender_any_case", "inbound_mail", "from_address", ("created_at",)),
    ("ix_failing_addresses_any_case", "failing_addresses", "email", ()),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column, after in INDEXES:
        op.create_index(name, table, ["tenant_id", sa.text(f"lower({column})"), *after])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _column, _after in INDEXES:
        op.drop_index(name, table_name=table)
