"""Customers' addresses in one spelling: email-validator's normal form (Unicode in NFC, the
domain in Unicode and lower case), which the form and the API now store, so that an address
typed with a combining accent or an xn-- domain before is found by export and erasure.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns the ticket form filled as typed (chats, received mail and bounces were stored
# normalised already). Written out here: a migration keeps the rule of its day.
COLUMNS = (("support_tickets", "customer_email"), ("outbox", "to_address"))


def _normal(address: str) -> str:
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:  # a placeholder of an erasure, say: as it is, in NFC
        return unicodedata.normalize("NFC", address)


def upgrade() -> None:
    conn = op.get_bind()
    for table_name, column in COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, sa.String))
        rows = conn.execute(sa.select(table.c.id, table.c[column])).all()
        changed = [{"row": row_id, "value": _normal(value)} for row_id, value in rows
                   if value and _normal(value) != value]  # fmt: skip
        if changed:
            conn.execute(
                table.update().where(table.c.id == sa.bindparam("row"))
                .values({column: sa.bindparam("value")}),
                changed,
            )  # fmt: skip


def downgrade() -> None:
    """Nothing to undo: the normal form is an address's own spelling."""
