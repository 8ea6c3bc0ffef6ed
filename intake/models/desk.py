"""What agents keep in the desk: saved queue views, canned replies, their notifications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped, db_enum, same_tenant
from intake.models.enums import NotificationKind


class SavedView(Timestamped, Base):
    """A named queue filter of one agent: the query string of the queue's URL."""

    __tablename__ = "saved_views"
    __table_args__ = (
        UniqueConstraint("tenant_id", "agent_id", "name"),
        same_tenant("agent_id", "agents", ondelete="CASCADE"),
    )
    agent_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(1000))


class CannedResponse(Timestamped, Base):
    """A saved reply of a tenant, with placeholders such as {customer_name} and {reference}."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("tenant_id", "title"),)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)


class AgentNotification(Timestamped, Base):
    """Something an agent should know of: a new ticket in a group, an assignment, a reply."""

    __tablename__ = "agent_notifications"
    __table_args__ = (
        same_tenant("agent_id", "agents", ondelete="CASCADE"),
        same_tenant("ticket_id", "support_tickets", ondelete="CASCADE"),
    )
    agent_id: Mapped[int] = mapped_column(Integer, index=True)
    ticket_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[NotificationKind] = mapped_column(db_enum(NotificationKind, "notification_kind"))
    read_at: Mapped[dt.datetime | None] = mapped_column()
