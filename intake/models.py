"""The desk's database: SQLAlchemy 2.0 typed models, enums defined once, tenant on every row."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from kbgen.schema import KbCategory

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


class TicketStatus(enum.Enum):
    """ticket_status of DESIGN.md."""

    open = "open"
    in_progress = "in_progress"
    pending = "pending"
    resolved = "resolved"
    closed = "closed"


class TicketPriority(enum.Enum):
    """ticket_priority of DESIGN.md."""

    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"


class TicketCategory(enum.Enum):
    """ticket_category of DESIGN.md."""

    technical = "technical"
    billing = "billing"
    general = "general"
    feature_request = "feature_request"
    bug_report = "bug_report"


class ChatStatus(enum.Enum):
    """chat_status of DESIGN.md."""

    active = "active"
    closed = "closed"
    archived = "archived"


class ChatMessageType(enum.Enum):
    """chat_message_type of DESIGN.md."""

    text = "text"
    image = "image"
    file = "file"
    system = "system"


class AuthorType(enum.Enum):
    """Who wrote a message: the customer, an agent or the system."""

    customer = "customer"
    agent = "agent"
    system = "system"


class OutboxStatus(enum.Enum):
    """Where a mail is: waiting, being sent, sent, or given up after many tries."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class TicketEventKind(enum.Enum):
    """What the audit trail records about a ticket."""

    created = "created"
    replied = "replied"
    attachment_added = "attachment_added"
    status_changed = "status_changed"


def db_enum(kind: type[enum.Enum], name: str) -> Enum:
    """Map a Python enum to a database enum that stores values, with a CHECK on SQLite too."""
    return Enum(
        kind,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        create_constraint=True,
        validate_strings=True,
        native_enum=True,
        length=32,
    )


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {
        dt.datetime: DateTime(timezone=True),
    }


class Timestamped:
    """id, tenant_id, created_at and updated_at: what every table of the desk has."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class Agent(Timestamped, Base):
    """A person of the support team (the agent issue adds login and roles)."""

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), UniqueConstraint("tenant_id", "id"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class KnowledgeBaseArticle(Timestamped, Base):
    """A published article, mirrored from build/<tenant>/manifest.json by `intake kb sync`."""

    __tablename__ = "knowledge_base_articles"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"), UniqueConstraint("tenant_id", "id"))
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[KbCategory] = mapped_column(db_enum(KbCategory, "kb_category"))
    url: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    helpful_yes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    helpful_no: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Faq(Timestamped, Base):
    """A published FAQ, mirrored from the manifest like articles."""

    __tablename__ = "faqs"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"), UniqueConstraint("tenant_id", "id"))
    slug: Mapped[str] = mapped_column(String(120))
    question: Mapped[str] = mapped_column(String(200))
    category: Mapped[KbCategory] = mapped_column(db_enum(KbCategory, "kb_category"))
    url: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    published: Mapped[bool] = mapped_column(Boolean, default=True)


class TicketCounter(Timestamped, Base):
    """The last ticket number handed out per tenant; its row lock orders concurrent tickets."""

    __tablename__ = "ticket_counters"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    last_number: Mapped[int] = mapped_column(Integer)


class SupportTicket(Timestamped, Base):
    """A customer's ticket: reference for people, token hash for the private link."""

    __tablename__ = "support_tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "reference"),
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("token_hash"),
        ForeignKeyConstraint(["tenant_id", "assigned_agent_id"], ["agents.tenant_id", "agents.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "cited_article_id"],
            ["knowledge_base_articles.tenant_id", "knowledge_base_articles.id"],
        ),
    )
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(24))
    token_hash: Mapped[str] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(100))
    customer_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[TicketCategory] = mapped_column(db_enum(TicketCategory, "ticket_category"))
    priority: Mapped[TicketPriority] = mapped_column(db_enum(TicketPriority, "ticket_priority"))
    status: Mapped[TicketStatus] = mapped_column(
        db_enum(TicketStatus, "ticket_status"), default=TicketStatus.open
    )
    assigned_agent_id: Mapped[int | None] = mapped_column(Integer)
    cited_article_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[dt.datetime | None] = mapped_column()

    responses: Mapped[list[TicketResponse]] = relationship(
        back_populates="ticket", order_by="TicketResponse.id"
    )
    attachments: Mapped[list[TicketAttachment]] = relationship(
        back_populates="ticket", order_by="TicketAttachment.id"
    )


def _same_tenant(column: str, table: str) -> ForeignKeyConstraint:
    """Return a key from (tenant_id, column) to `table`'s (tenant_id, id).

    So no row can point at another tenant's row, whatever the code that writes it.
    """
    return ForeignKeyConstraint(["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"])


def _ticket_child_args(*extra: Any) -> tuple[Any, ...]:
    """Return a ticket child's table arguments (new objects per table), then `extra`."""
    return (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["support_tickets.tenant_id", "support_tickets.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "id"),
        *extra,
    )


class _TicketChild(Timestamped):
    """A row that belongs to one ticket of the same tenant (composite key, checked by the DB)."""

    ticket_id: Mapped[int] = mapped_column(Integer, index=True)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        return _ticket_child_args()


class TicketResponse(_TicketChild, Base):
    """One message in a ticket's thread after the description."""

    __tablename__ = "ticket_responses"
    __table_args__ = _ticket_child_args(_same_tenant("agent_id", "agents"))
    author_type: Mapped[AuthorType] = mapped_column(db_enum(AuthorType, "author_type"))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)

    ticket: Mapped[SupportTicket] = relationship(back_populates="responses")


class TicketAttachment(_TicketChild, Base):
    """A file a customer attached; the bytes live under UPLOAD_DIR as `stored_name`."""

    __tablename__ = "ticket_attachments"
    __table_args__ = _ticket_child_args(_same_tenant("response_id", "ticket_responses"))
    response_id: Mapped[int | None] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    ticket: Mapped[SupportTicket] = relationship(back_populates="attachments")


class TicketEvent(_TicketChild, Base):
    """The audit trail: what happened to a ticket, by whom."""

    __tablename__ = "ticket_events"
    kind: Mapped[TicketEventKind] = mapped_column(db_enum(TicketEventKind, "ticket_event_kind"))
    actor: Mapped[AuthorType] = mapped_column(db_enum(AuthorType, "author_type"))
    detail: Mapped[str] = mapped_column(Text, default="")


class ChatSession(Timestamped, Base):
    """A live chat between a customer and an agent (the chat issue fills it)."""

    __tablename__ = "chat_sessions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        _same_tenant("agent_id", "agents"),
        _same_tenant("ticket_id", "support_tickets"),
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


class ArticleFeedback(Timestamped, Base):
    """One answer to "was this article helpful?"."""

    __tablename__ = "article_feedback"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "article_id"],
            ["knowledge_base_articles.tenant_id", "knowledge_base_articles.id"],
        ),
    )
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")


class DeflectionEvent(Timestamped, Base):
    """A suggestion the ticket form showed and the customer opened; ticket_id set if they sent one.

    An event whose visit never produced a ticket is a deflection: the article answered instead.
    """

    __tablename__ = "deflection_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "article_id"],
            ["knowledge_base_articles.tenant_id", "knowledge_base_articles.id"],
        ),
        ForeignKeyConstraint(["tenant_id", "faq_id"], ["faqs.tenant_id", "faqs.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["support_tickets.tenant_id", "support_tickets.id"]
        ),
    )
    visit_id: Mapped[str] = mapped_column(String(40), index=True)
    article_id: Mapped[int | None] = mapped_column(Integer)
    faq_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(Integer)


class OutboxMessage(Timestamped, Base):
    """An email waiting to go out; written in the same transaction as what caused it."""

    __tablename__ = "outbox"
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        db_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.pending, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column()
