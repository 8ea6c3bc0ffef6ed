"""Satisfaction answers, searches that found nothing, the record of erasures, and the
dashboard's indexes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
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
        "ticket_satisfaction",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        *_common(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["support_tickets.tenant_id", "support_tickets.id"],
            name=op.f("fk_ticket_satisfaction_tenant_id_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agent_id"], ["agents.tenant_id", "agents.id"],
            name=op.f("fk_ticket_satisfaction_tenant_id_agent_id_agents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_satisfaction")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_ticket_satisfaction_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "ticket_id", "resolved_at",
            name=op.f("uq_ticket_satisfaction_tenant_id_ticket_id_resolved_at"),
        ),
    )  # fmt: skip
    op.create_index("ix_ticket_satisfaction_tenant_ticket", "ticket_satisfaction",
                    ["tenant_id", "ticket_id"])  # fmt: skip
    op.create_index("ix_ticket_satisfaction_created", "ticket_satisfaction",
                    ["tenant_id", "created_at"])  # fmt: skip
    op.create_index(op.f("ix_ticket_satisfaction_tenant_id"), "ticket_satisfaction", ["tenant_id"])

    op.create_table(
        "kb_search_misses",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("query", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_search_misses")),
        sa.UniqueConstraint(
            "tenant_id", "day", "query", name=op.f("uq_kb_search_misses_tenant_id_day_query")
        ),
    )
    op.create_index(op.f("ix_kb_search_misses_tenant_id"), "kb_search_misses", ["tenant_id"])

    op.create_table(
        "customer_erasures",
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("by", sa.String(length=100), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False)
          for name in ("tickets", "chats", "mails", "files")),
        *_common(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agent_id"], ["agents.tenant_id", "agents.id"],
            name=op.f("fk_customer_erasures_tenant_id_agent_id_agents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_erasures")),
    )  # fmt: skip
    op.create_index(op.f("ix_customer_erasures_tenant_id"), "customer_erasures", ["tenant_id"])

    # Plain CREATE INDEX, never a batch copy (it would drop SQLite's full-text triggers).
    op.create_index(
        "ix_support_tickets_dashboard_created",
        "support_tickets",
        [
            "tenant_id",
            "created_at",
            "merged_into_id",
            "assigned_agent_id",
            "first_response_at",
            "first_response_due_at",
            "resolved_at",
            "resolution_due_at",
        ],
    )
    op.create_index("ix_support_tickets_dashboard_resolved", "support_tickets",
                    ["tenant_id", "resolved_at", "status", "merged_into_id", "assigned_agent_id",
                     "created_at"])  # fmt: skip
    op.create_index("ix_chat_sessions_created", "chat_sessions", ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_chat_sessions_created", table_name="chat_sessions")
    op.drop_index("ix_support_tickets_dashboard_resolved", table_name="support_tickets")
    op.drop_index("ix_support_tickets_dashboard_created", table_name="support_tickets")
    op.drop_table("customer_erasures")
    op.drop_table("kb_search_misses")
    op.drop_table("ticket_satisfaction")
