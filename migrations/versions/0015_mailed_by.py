"""Whose words a mail kept as a note on another customer's ticket is: its sender's address, so
that their export and erasure find it (and its files) by the address, and the ticket's customer's
export leaves it out, however the note's text reads.

Notes kept before are given their sender from the text the mail room wrote then: a colleague's
mail ("Mail from Ada <ada@example.com>, who is not this ticket's customer; …", once accepted
"Ada <ada@example.com> wrote:") and an automatic one ("Automatic mail (…) from ada@example.com,
not answered:"), the customer's own auto-replies left as theirs.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The mail room's notes of this day, written out: a migration keeps the rule of its day.
_SENDER = re.compile(
    r"\A(?:Mail from .*?<(?P<kept>[^<>\s]+)>, who is not this ticket's customer;"
    r"|[^\n]*?<(?P<shown>[^<>\s]+)> wrote:\n"
    r"|Automatic mail \(.*\) from (?P<robot>\S+), not answered:)"
)


def upgrade() -> None:
    # Not in batch mode: on SQLite that copies the table, and its full-text triggers with it.
    op.add_column("ticket_responses", sa.Column("mailed_by", sa.String(254), nullable=True))
    conn = op.get_bind()
    responses = sa.table(
        "ticket_responses", sa.column("id", sa.Integer), sa.column("tenant_id", sa.String),
        sa.column("ticket_id", sa.Integer), sa.column("author_type", sa.String),
        sa.column("body", sa.Text), sa.column("mailed_by", sa.String),
    )  # fmt: skip
    tickets = sa.table("support_tickets", sa.column("id", sa.Integer),
                       sa.column("tenant_id", sa.String),
                       sa.column("customer_email", sa.String))  # fmt: skip
    rows = conn.execute(
        sa.select(responses.c.id, responses.c.body, tickets.c.customer_email)
        .join(tickets, sa.and_(tickets.c.id == responses.c.ticket_id,
                               tickets.c.tenant_id == responses.c.tenant_id))
        .where(sa.cast(responses.c.author_type, sa.String) == "system")
    ).all()  # fmt: skip
    found = []
    for row_id, body, customer in rows:
        match = _SENDER.match(body or "")
        sender = (match["kept"] or match["shown"] or match["robot"]) if match else None
        if sender and sender.lower() != (customer or "").lower():
            found.append({"row": row_id, "sender": sender.lower()[:254]})
    if found:
        conn.execute(
            responses.update().where(responses.c.id == sa.bindparam("row"))
            .values(mailed_by=sa.bindparam("sender")),
            found,
        )  # fmt: skip


def downgrade() -> None:
    op.drop_column("ticket_responses", "mailed_by")
