"""Live chat: sessions and their messages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKeyConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped, db_enum, same_tenant
from intake.models.enums import AuthorType, ChatMessageType, ChatStatus


class ChatSession(Timestamped, Base):
    """A live chat between a customer and an agent (the chat issue fills it)."""

    __tablename__ = "chat_sessions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        same_tenant("agent_id", "agents"),
        same_tenant("ticket_id", "support_tickets"),
    )
    customer_name: Mapped[str] = mapped_column(String(100))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[ChatStatus] = mapped_column(
        db_enum(ChatStatus, "chat_status"), default=ChatStatus.active
    )
    agent_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[dt.datetime | None] = mapped_column()


class ChatMessage(Timestamped, Base):
    """One message of a chat session."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "session_id"], ["chat_sessions.tenant_id", "chat_sessions.id"]
        ),
    )
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    message_type: Mapped[ChatMessageType] = mapped_column(
        db_enum(ChatMessageType, "chat_message_type"), default=ChatMessageType.text
    )
    author_type: Mapped[AuthorType] = mapped_column(db_enum(AuthorType, "author_type"))
    body: Mapped[str] = mapped_column(Text)
