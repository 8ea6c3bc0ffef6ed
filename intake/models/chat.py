"""Live chat: sessions and their messages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped, any_case_index, db_enum, same_tenant
from intake.models.enums import AuthorType, ChatMessageType, ChatStatus


class ChatSession(Timestamped, Base):
    """A live chat between a customer and the team; the customer's browser holds its token."""

    __tablename__ = "chat_sessions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("token_hash"),
        same_tenant("agent_id", "agents"),
        same_tenant("ticket_id", "support_tickets"),
        Index("ix_chat_sessions_inbox", "tenant_id", "status", "agent_id", "id"),
        Index("ix_chat_sessions_customer", "tenant_id", "customer_email"),
        Index("ix_chat_sessions_created", "tenant_id", "created_at"),
        any_case_index("ix_chat_sessions_customer_any_case", "customer_email"),
    )
    customer_name: Mapped[str] = mapped_column(String(100))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[ChatStatus] = mapped_column(
        db_enum(ChatStatus, "chat_status"), default=ChatStatus.active
    )
    agent_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    # The SHA-256 of the customer's token (the token itself stays in their browser).
    token_hash: Mapped[str | None] = mapped_column(String(64))
    # Read receipts: the last message id each side has seen.
    customer_read_up_to: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agent_read_up_to: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    archived_at: Mapped[dt.datetime | None] = mapped_column()


class ChatMessage(Timestamped, Base):
    """One message of a chat session; ids give the conversation's order."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "session_id"], ["chat_sessions.tenant_id", "chat_sessions.id"],
            ondelete="CASCADE",
        ),
        same_tenant("agent_id", "agents"),
        # A client's message id: sent again after a drop, it is the same message.
        UniqueConstraint("tenant_id", "session_id", "client_id"),
        Index("ix_chat_messages_session", "tenant_id", "session_id", "id"),
    )  # fmt: skip
    session_id: Mapped[int] = mapped_column(Integer)
    message_type: Mapped[ChatMessageType] = mapped_column(
        db_enum(ChatMessageType, "chat_message_type"), default=ChatMessageType.text
    )
    author_type: Mapped[AuthorType] = mapped_column(db_enum(AuthorType, "author_type"))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    # An image or file message: where its bytes are, and what they are.
    stored_name: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
