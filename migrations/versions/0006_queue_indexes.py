"""Indexes for the desk's queue at scale: every common filter and sort reads an index.

Measured with bench/desk.py at 100,000 tickets per tenant: each index here turned a scan of a
tenant's tickets (hundreds of milliseconds) into a walk of one page. Children of tickets are
read per ticket of a tenant, so (tenant_id, ticket_id) replaces their ticket_id index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 14:36:01.104163
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_tickets_category",
            ["tenant_id", "category", "status", "updated_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_support_tickets_created", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_support_tickets_priority",
            ["tenant_id", "priority_rank", "status", "updated_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_support_tickets_updated", ["tenant_id", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_ticket_id"))
        batch_op.create_index(
            "ix_ticket_attachments_tenant_ticket", ["tenant_id", "ticket_id"], unique=False
        )

    with op.batch_alter_table("ticket_citations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_citations_ticket_id"))
        batch_op.create_index(
            "ix_ticket_citations_tenant_ticket", ["tenant_id", "ticket_id"], unique=False
        )

    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_events_ticket_id"))
        batch_op.create_index(
            "ix_ticket_events_tenant_ticket", ["tenant_id", "ticket_id"], unique=False
        )

    with op.batch_alter_table("ticket_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_responses_ticket_id"))
        batch_op.create_index(
            "ix_ticket_responses_tenant_ticket", ["tenant_id", "ticket_id"], unique=False
        )

    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_tags_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_tags_tag"))
        batch_op.create_index("ix_ticket_tags_tag", ["tenant_id", "tag", "ticket_id"], unique=False)
        batch_op.create_index(
            "ix_ticket_tags_tenant_ticket", ["tenant_id", "ticket_id"], unique=False
        )

    if op.get_bind().dialect.name == "sqlite":
        # SQLite plans with statistics only when it has some (PostgreSQL's autovacuum keeps
        # its own): without them it walks a whole tenant's index for a page of tickets.
        op.execute("PRAGMA analysis_limit=1000")
        op.execute("ANALYZE")


def downgrade() -> None:
    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_tags_tenant_ticket")
        batch_op.drop_index("ix_ticket_tags_tag")
        batch_op.create_index(batch_op.f("ix_ticket_tags_tag"), ["tenant_id", "tag"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_tags_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("ticket_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_responses_tenant_ticket")
        batch_op.create_index(
            batch_op.f("ix_ticket_responses_ticket_id"), ["ticket_id"], unique=False
        )

    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_tenant_ticket")
        batch_op.create_index(batch_op.f("ix_ticket_events_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("ticket_citations", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_citations_tenant_ticket")
        batch_op.create_index(
            batch_op.f("ix_ticket_citations_ticket_id"), ["ticket_id"], unique=False
        )

    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_attachments_tenant_ticket")
        batch_op.create_index(
            batch_op.f("ix_ticket_attachments_ticket_id"), ["ticket_id"], unique=False
        )

    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_support_tickets_updated")
        batch_op.drop_index("ix_support_tickets_priority")
        batch_op.drop_index("ix_support_tickets_created")
        batch_op.drop_index("ix_support_tickets_category")
