"""The knowledge base as the desk mirrors it, and what customers tell about it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped, db_enum
from intake.models.enums import KbCategory


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


class SearchMiss(Timestamped, Base):
    """A search of the knowledge base that found nothing: what to write next.

    One row per tenant, day and query (lower-cased, spaces folded), counting its searches.
    No customer is named: the query is all that is kept.
    """

    __tablename__ = "kb_search_misses"
    __table_args__ = (UniqueConstraint("tenant_id", "day", "query"),)
    day: Mapped[dt.date] = mapped_column(Date)
    query: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=1)


class SearchOpen(Timestamped, Base):
    """A page a reader opened from the results of a search: what the words lead to.

    One row per tenant, day, query (lower-cased, spaces folded) and page address, counting the
    opens. Reported by the static site's search without anything that identifies the reader.
    """

    __tablename__ = "kb_search_opens"
    __table_args__ = (UniqueConstraint("tenant_id", "day", "query", "page"),)
    day: Mapped[dt.date] = mapped_column(Date)
    query: Mapped[str] = mapped_column(String(100))
    page: Mapped[str] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(Integer, default=1)
