"""Live chat: customers' session tokens, read receipts, archiving; messages with their agent,
a client id (a resend is the same message), files, and an index in conversation order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 15:03:02.455955
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("stored_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("file_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("content_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_chat_messages_session_id"))
        batch_op.create_index(
            "ix_chat_messages_session", ["tenant_id", "session_id", "id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_chat_messages_tenant_id_session_id_client_id"),
            ["tenant_id", "session_id", "client_id"],
        )
        batch_op.drop_constraint(
            batch_op.f("fk_chat_messages_tenant_id_session_id_chat_sessions"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_chat_messages_tenant_id_agent_id_agents"),
            "agents",
            ["tenant_id", "agent_id"],
            ["tenant_id", "id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_chat_messages_tenant_id_session_id_chat_sessions"),
            "chat_sessions",
            ["tenant_id", "session_id"],
            ["tenant_id", "id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("customer_read_up_to", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("agent_read_up_to", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_chat_sessions_customer", ["tenant_id", "customer_email"], unique=False
        )
        batch_op.create_index(
            "ix_chat_sessions_inbox", ["tenant_id", "status", "agent_id", "id"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_chat_sessions_token_hash"), ["token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_chat_sessions_token_hash"), type_="unique")
        batch_op.drop_index("ix_chat_sessions_inbox")
        batch_op.drop_index("ix_chat_sessions_customer")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("agent_read_up_to")
        batch_op.drop_column("customer_read_up_to")
        batch_op.drop_column("token_hash")

    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_chat_messages_tenant_id_session_id_chat_sessions"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_chat_messages_tenant_id_agent_id_agents"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_chat_messages_tenant_id_session_id_chat_sessions"),
            "chat_sessions",
            ["tenant_id", "session_id"],
            ["tenant_id", "id"],
        )
        batch_op.drop_constraint(
            batch_op.f("uq_chat_messages_tenant_id_session_id_client_id"), type_="unique"
        )
        batch_op.drop_index("ix_chat_messages_session")
        batch_op.create_index(
            batch_op.f("ix_chat_messages_session_id"), ["session_id"], unique=False
        )
        batch_op.drop_column("size")
        batch_op.drop_column("content_type")
        batch_op.drop_column("file_name")
        batch_op.drop_column("stored_name")
        batch_op.drop_column("client_id")
        batch_op.drop_column("agent_id")
