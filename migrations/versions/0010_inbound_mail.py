"""Mail in: each received mail by its Message-ID, and addresses whose mail bounced.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    ]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "inbound_mail",
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        *_common(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["support_tickets.tenant_id", "support_tickets.id"],
            name=op.f("fk_inbound_mail_tenant_id_ticket_id_support_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mail")),
        sa.UniqueConstraint("tenant_id", "message_id",
                            name=op.f("uq_inbound_mail_tenant_id_message_id")),
    )  # fmt: skip
    op.create_index("ix_inbound_mail_sender", "inbound_mail",
                    ["tenant_id", "from_address", "created_at"])  # fmt: skip
    op.create_index(op.f("ix_inbound_mail_tenant_id"), "inbound_mail", ["tenant_id"])
    op.create_table(
        "failing_addresses",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failing_addresses")),
        sa.UniqueConstraint("tenant_id", "email",
                            name=op.f("uq_failing_addresses_tenant_id_email")),
    )  # fmt: skip
    op.create_index(op.f("ix_failing_addresses_tenant_id"), "failing_addresses", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("failing_addresses")
    op.drop_table("inbound_mail")
