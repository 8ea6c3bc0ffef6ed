"""The enums of the desk's database, defined once (DESIGN.md lists their values)."""

from __future__ import annotations

import enum

from kbgen.schema import KbCategory

__all__ = [
    "AgentRole",
    "AuthorType",
    "ChatMessageType",
    "ChatStatus",
    "KbCategory",
    "NotificationKind",
    "OutboxStatus",
    "TicketCategory",
    "TicketEventKind",
    "TicketPriority",
    "TicketStatus",
]


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
    note_added = "note_added"
    assigned = "assigned"
    group_changed = "group_changed"
    priority_changed = "priority_changed"
    category_changed = "category_changed"
    tags_changed = "tags_changed"
    merged = "merged"
    article_cited = "article_cited"
    notifications_changed = "notifications_changed"


class AgentRole(enum.Enum):
    """What an agent may do: work tickets, or also manage the team and its settings."""

    agent = "agent"
    admin = "admin"


class NotificationKind(enum.Enum):
    """Why the desk tells an agent about a ticket."""

    new_ticket = "new_ticket"
    assigned = "assigned"
    customer_reply = "customer_reply"
