"""Tickets: the counter of their numbers, the ticket, its replies, files and audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from intake.models.base import Base, Timestamped, any_case_index, db_enum, same_tenant
from intake.models.enums import (
    AuthorType,
    TicketCategory,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
)

# low..urgent as 0..3: sorting by priority sorts by this column, which an index covers.
PRIORITY_RANK = {p: rank for rank, p in enumerate(TicketPriority)}


def _rank_of_insert(context: Any) -> int:
    """Give a new row (ORM or Core insert) the rank of its priority."""
    return PRIORITY_RANK[TicketPriority(context.get_current_parameters()["priority"])]


# An erased customer's tickets keep an address of this domain (RFC 2606: no mail address of
# anyone ends so, and the forms refuse it), which marks them as erased.
ERASED_DOMAIN = "erased.invalid"


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
        same_tenant("group_id", "agent_groups"),
        same_tenant("merged_into_id", "support_tickets"),
        same_tenant("follow_up_of_id", "support_tickets"),
        # The queue's common filters and sorts, each answered from an index.
        Index("ix_support_tickets_queue_updated", "tenant_id", "status", "updated_at"),
        Index("ix_support_tickets_queue_created", "tenant_id", "status", "created_at"),
        Index("ix_support_tickets_queue_priority", "tenant_id", "status", "priority_rank",
              "updated_at"),
        Index("ix_support_tickets_assignee", "tenant_id", "assigned_agent_id", "status",
              "updated_at"),
        Index("ix_support_tickets_group", "tenant_id", "group_id", "status", "updated_at"),
        Index("ix_support_tickets_customer", "tenant_id", "customer_email"),
        Index("ix_support_tickets_updated", "tenant_id", "updated_at", "id"),
        Index("ix_support_tickets_created", "tenant_id", "created_at", "id"),
        Index("ix_support_tickets_priority", "tenant_id", "priority_rank", "status",
              "updated_at"),
        Index("ix_support_tickets_category", "tenant_id", "category", "status", "updated_at"),
        # The dashboard's: a period's tickets by creation or resolution, with every column its
        # figures read, so they are counted from the index alone.
        Index("ix_support_tickets_dashboard_created", "tenant_id", "created_at",
              "merged_into_id", "assigned_agent_id", "first_response_at",
              "first_response_due_at", "resolved_at", "resolution_due_at"),
        Index("ix_support_tickets_dashboard_resolved", "tenant_id", "resolved_at", "status",
              "merged_into_id", "assigned_agent_id", "created_at"),
        any_case_index("ix_support_tickets_customer_any_case", "customer_email"),
    )  # fmt: skip
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
    group_id: Mapped[int | None] = mapped_column(Integer)
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    # A closed ticket stays closed: a customer who writes again opens a follow-up of it.
    follow_up_of_id: Mapped[int | None] = mapped_column(Integer)
    # The customer's choice on the ticket page: mails about agents' actions, or none.
    notify_customer: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    first_response_at: Mapped[dt.datetime | None] = mapped_column()
    # When the tenant's targets want the first answer and the resolution (intake.tickets.
    # targets): set at creation, moved when the priority or the targets change; None: no target.
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column()
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column()
    # Bumped by every change through the ORM; a save made from an older page is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    priority_rank: Mapped[int] = mapped_column(Integer, default=_rank_of_insert)

    # In time order: a merge brings older messages in after newer ones.
    responses: Mapped[list[TicketResponse]] = relationship(
        back_populates="ticket",
        order_by=lambda: (TicketResponse.created_at, TicketResponse.id),
    )
    attachments: Mapped[list[TicketAttachment]] = relationship(
        back_populates="ticket", order_by="TicketAttachment.id"
    )
    tags: Mapped[list[TicketTag]] = relationship(
        back_populates="ticket",
        # By ticket first: loading the tags of a page of tickets then walks their index.
        order_by="[TicketTag.ticket_id, TicketTag.tag]",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @validates("priority")
    def _rank(self, _key: str, value: TicketPriority) -> TicketPriority:
        self.priority_rank = PRIORITY_RANK[value]
        return value

    @property
    def erased(self) -> bool:
        """Say whether the customer's data was erased: the ticket is an empty shell that no
        link, token or mail reaches any more."""
        return self.customer_email.endswith(f"@{ERASED_DOMAIN}")

    @property
    def tag_names(self) -> list[str]:
        """Return the ticket's tags, sorted."""
        return [t.tag for t in self.tags]


def _ticket_child_args(table: str, *extra: Any) -> tuple[Any, ...]:
    """Return a ticket child's table arguments (new objects per table), then `extra`.

    Its rows are read per ticket of a tenant, so (tenant_id, ticket_id) is their index.
    """
    return (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["support_tickets.tenant_id", "support_tickets.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "id"),
        Index(f"ix_{table}_tenant_ticket", "tenant_id", "ticket_id"),
        *extra,
    )


class _TicketChild(Timestamped):
    """A row that belongs to one ticket of the same tenant (composite key, checked by the DB)."""

    ticket_id: Mapped[int] = mapped_column(Integer)  # each table's args index it by tenant


class TicketResponse(_TicketChild, Base):
    """One message in a ticket's thread after the description."""

    __tablename__ = "ticket_responses"
    __table_args__ = _ticket_child_args("ticket_responses", same_tenant("agent_id", "agents"))
    author_type: Mapped[AuthorType] = mapped_column(db_enum(AuthorType, "author_type"))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whose words a mail kept here is when its sender is not the ticket's customer (a
    # colleague, an auto-reply): theirs to export and erase, not the customer's. None else.
    mailed_by: Mapped[str | None] = mapped_column(String(254), default=None)

    ticket: Mapped[SupportTicket] = relationship(back_populates="responses")


class TicketAttachment(_TicketChild, Base):
    """A file a customer attached; the bytes live under UPLOAD_DIR as `stored_name`."""

    __tablename__ = "ticket_attachments"
    __table_args__ = _ticket_child_args(
        "ticket_attachments", same_tenant("response_id", "ticket_responses")
    )
    response_id: Mapped[int | None] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    ticket: Mapped[SupportTicket] = relationship(back_populates="attachments")


class TicketEvent(_TicketChild, Base):
    """The audit trail: what happened to a ticket, by whom (the agent, when one acted)."""

    __tablename__ = "ticket_events"
    __table_args__ = _ticket_child_args("ticket_events", same_tenant("agent_id", "agents"))
    kind: Mapped[TicketEventKind] = mapped_column(db_enum(TicketEventKind, "ticket_event_kind"))
    actor: Mapped[AuthorType] = mapped_column(db_enum(AuthorType, "author_type"))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class TicketTag(_TicketChild, Base):
    """A label agents put on tickets to find them again."""

    __tablename__ = "ticket_tags"
    __table_args__ = _ticket_child_args(
        "ticket_tags",
        UniqueConstraint("tenant_id", "ticket_id", "tag"),
        Index("ix_ticket_tags_tag", "tenant_id", "tag", "ticket_id"),
    )
    tag: Mapped[str] = mapped_column(String(40))

    ticket: Mapped[SupportTicket] = relationship(back_populates="tags")


class TicketCitation(_TicketChild, Base):
    """A knowledge-base article an agent linked in a ticket's replies."""

    __tablename__ = "ticket_citations"
    __table_args__ = _ticket_child_args(
        "ticket_citations",
        UniqueConstraint("tenant_id", "ticket_id", "article_id"),
        ForeignKeyConstraint(
            ["tenant_id", "article_id"],
            ["knowledge_base_articles.tenant_id", "knowledge_base_articles.id"],
        ),
        same_tenant("agent_id", "agents"),
    )
    article_id: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)


class SatisfactionRating(_TicketChild, Base):
    """The customer's answer to "did we solve it?", once per resolution of a ticket."""

    __tablename__ = "ticket_satisfaction"
    __table_args__ = _ticket_child_args(
        "ticket_satisfaction",
        # One answer per resolution: a ticket reopened and resolved again asks again.
        UniqueConstraint("tenant_id", "ticket_id", "resolved_at"),
        same_tenant("agent_id", "agents"),
        Index("ix_ticket_satisfaction_created", "tenant_id", "created_at"),
    )
    resolved_at: Mapped[dt.datetime] = mapped_column()
    satisfied: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Who had the ticket when it was resolved: the answer counts for them.
    agent_id: Mapped[int | None] = mapped_column(Integer)
