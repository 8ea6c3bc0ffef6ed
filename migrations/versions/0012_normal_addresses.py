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

# The columns filled as typed: by the ticket form, and by mail in (its senders and bounced
# addresses lower-cased, their domains as mail writes them, xn--). Chats were stored normalised
# already. Written out here: a migration keeps the rule of its day.
COLUMNS = (("support_tickets", "customer_email", False), ("outbox", "to_address", False),
           ("inbound_mail", "from_address", True))  # fmt: skip


def _normal(address: str) -> str:
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:  # a placeholder of an erasure, say: as it is, in NFC
        return unicodedata.normalize("NFC", address)


def upgrade() -> None:
    conn = op.get_bind()
    for table_name, column, lower in COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, sa.String))
        rows = conn.execute(sa.select(table.c.id, table.c[column])).all()
        changed = []
        for row_id, value in rows:
            normal = _normal(value or "")
            normal = normal.lower() if lower else normal
            if value and normal != value:
                changed.append({"row": row_id, "value": normal})
        if changed:
            conn.execute(
                table.update().where(table.c.id == sa.bindparam("row"))
                .values({column: sa.bindparam("value")}),
                changed,
            )  # fmt: skip
    # A bounced address is one row per tenant: a second spelling of it goes (the first stays).
    failing = sa.table("failing_addresses", sa.column("id", sa.Integer),
                       sa.column("tenant_id", sa.String),
                       sa.column("email", sa.String))  # fmt: skip
    kept: dict[tuple[str, str], int] = {}
    for row_id, tenant_id, value in conn.execute(
        sa.select(failing.c.id, failing.c.tenant_id, failing.c.email).order_by(failing.c.id)
    ).all():
        normal = _normal(value or "").lower()
        if (tenant_id, normal) in kept:
            conn.execute(failing.delete().where(failing.c.id == row_id))
            continue
        kept[tenant_id, normal] = row_id
    for (_tenant, normal), row_id in kept.items():
        conn.execute(failing.update().where(failing.c.id == row_id).values(email=normal))


def downgrade() -> None:
    """Nothing to undo: the normal form is an address's own spelling."""
