"""Initial schema: the six tables of DESIGN.md and what tickets need besides.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 09:29:35.895875
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_agents_tenant_id_email")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_agents_tenant_id_id")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "faqs",
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "getting_started",
                "technical",
                "billing",
                "troubleshooting",
                "api",
                "integration",
                "general",
                name="kb_category",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faqs")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_faqs_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "slug", name=op.f("uq_faqs_tenant_id_slug")),
    )
    with op.batch_alter_table("faqs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_faqs_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "knowledge_base_articles",
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "getting_started",
                "technical",
                "billing",
                "troubleshooting",
                "api",
                "integration",
                "general",
                name="kb_category",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("helpful_yes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("helpful_no", sa.Integer(), server_default="0", nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_base_articles")),
        sa.UniqueConstraint(
            "tenant_id", "id", name=op.f("uq_knowledge_base_articles_tenant_id_id")
        ),
        sa.UniqueConstraint(
            "tenant_id", "slug", name=op.f("uq_knowledge_base_articles_tenant_id_slug")
        ),
    )
    with op.batch_alter_table("knowledge_base_articles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledge_base_articles_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                name="outbox_status",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "ticket_counters",
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_counters")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_ticket_counters_tenant_id")),
    )
    with op.batch_alter_table("ticket_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_counters_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "article_feedback",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "article_id"],
            ["knowledge_base_articles.tenant_id", "knowledge_base_articles.id"],
            name=op.f("fk_article_feedback_tenant_id_article_id_knowledge_base_articles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_feedback")),
    )
    with op.batch_alter_table("article_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_feedback_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_article_feedback_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "support_tickets",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_name", sa.String(length=100), nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "technical",
                "billing",
                "general",
                "feature_request",
                "bug_report",
                name="ticket_category",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "medium",
                "high",
                "urgent",
                name="ticket_priority",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "pending",
                "resolved",
                "closed",
                name="ticket_status",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("assigned_agent_id", sa.Integer(), nullable=True),
        sa.Column("cited_article_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "assigned_agent_id"],
            ["agents.tenant_id", "agents.id"],
            name=op.f("fk_support_tickets_tenant_id_assigned_agent_id_agents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "cited_article_id"],
            ["knowledge_base_articles.tenant_id", "knowledge_base_articles.id"],
            name=op.f("fk_support_tickets_tenant_id_cited_article_id_knowledge_base_articles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_support_tickets_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "number", name=op.f("uq_support_tickets_tenant_id_number")
        ),
        sa.UniqueConstraint(
            "tenant_id", "reference", name=op.f("uq_support_tickets_tenant_id_reference")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_support_tickets_token_hash")),
    )
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_tickets_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "chat_sessions",
        sa.Column("customer_name", sa.String(length=100), nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "closed",
                "archived",
                name="chat_status",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_chat_sessions_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_chat_sessions_ticket_id_support_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_chat_sessions_tenant_id_id")),
    )
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_sessions_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "deflection_events",
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("faq_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "article_id"],
            ["knowledge_base_articles.tenant_id", "knowledge_base_articles.id"],
            name=op.f("fk_deflection_events_tenant_id_article_id_knowledge_base_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "faq_id"],
            ["faqs.tenant_id", "faqs.id"],
            name=op.f("fk_deflection_events_tenant_id_faq_id_faqs"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["support_tickets.tenant_id", "support_tickets.id"],
            name=op.f("fk_deflection_events_tenant_id_ticket_id_support_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deflection_events")),
    )
    with op.batch_alter_table("deflection_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deflection_events_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deflection_events_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "ticket_events",
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "replied",
                "attachment_added",
                "status_changed",
                name="ticket_event_kind",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "actor",
            sa.Enum(
                "customer", "agent", "system", name="author_type", create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["support_tickets.tenant_id", "support_tickets.id"],
            name=op.f("fk_ticket_events_tenant_id_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_ticket_events_tenant_id_id")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_events_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_events_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticket_responses",
        sa.Column(
            "author_type",
            sa.Enum(
                "customer", "agent", "system", name="author_type", create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("is_internal", sa.Boolean(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_ticket_responses_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["support_tickets.tenant_id", "support_tickets.id"],
            name=op.f("fk_ticket_responses_tenant_id_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_responses")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_ticket_responses_tenant_id_id")),
    )
    with op.batch_alter_table("ticket_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_responses_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_responses_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "chat_messages",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "message_type",
            sa.Enum(
                "text",
                "image",
                "file",
                "system",
                name="chat_message_type",
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "author_type",
            sa.Enum(
                "customer", "agent", "system", name="author_type", create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "session_id"],
            ["chat_sessions.tenant_id", "chat_sessions.id"],
            name=op.f("fk_chat_messages_tenant_id_session_id_chat_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_messages_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_chat_messages_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "ticket_attachments",
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["ticket_responses.id"],
            name=op.f("fk_ticket_attachments_response_id_ticket_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["support_tickets.tenant_id", "support_tickets.id"],
            name=op.f("fk_ticket_attachments_tenant_id_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_attachments")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_ticket_attachments_stored_name")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_ticket_attachments_tenant_id_id")),
    )
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_attachments_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_attachments_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_tenant_id"))

    op.drop_table("ticket_attachments")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_messages_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_chat_messages_session_id"))

    op.drop_table("chat_messages")
    with op.batch_alter_table("ticket_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_responses_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_responses_tenant_id"))

    op.drop_table("ticket_responses")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_events_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_events_tenant_id"))

    op.drop_table("ticket_events")
    with op.batch_alter_table("deflection_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deflection_events_visit_id"))
        batch_op.drop_index(batch_op.f("ix_deflection_events_tenant_id"))

    op.drop_table("deflection_events")
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_sessions_tenant_id"))

    op.drop_table("chat_sessions")
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_tickets_tenant_id"))

    op.drop_table("support_tickets")
    with op.batch_alter_table("article_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_feedback_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_article_feedback_article_id"))

    op.drop_table("article_feedback")
    with op.batch_alter_table("ticket_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_counters_tenant_id"))

    op.drop_table("ticket_counters")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_status"))

    op.drop_table("outbox")
    with op.batch_alter_table("knowledge_base_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_base_articles_tenant_id"))

    op.drop_table("knowledge_base_articles")
    with op.batch_alter_table("faqs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faqs_tenant_id"))

    op.drop_table("faqs")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_tenant_id"))

    op.drop_table("agents")
