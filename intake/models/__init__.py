"""The desk's database: SQLAlchemy 2.0 typed models, one module per area, tenant on every row."""

from __future__ import annotations

from intake.models.agents import Agent
from intake.models.base import Base, Timestamped, utcnow
from intake.models.chat import ChatMessage, ChatSession
from intake.models.enums import (
    AuthorType,
    ChatMessageType,
    ChatStatus,
    KbCategory,
    OutboxStatus,
    TicketCategory,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
)
from intake.models.files import StoredFile
from intake.models.kb import ArticleFeedback, DeflectionEvent, Faq, KnowledgeBaseArticle
from intake.models.outbox import OutboxMessage
from intake.models.settings import TenantSetting
from intake.models.tickets import (
    SupportTicket,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
    TicketResponse,
)

__all__ = [
    "Agent",
    "ArticleFeedback",
    "AuthorType",
    "Base",
    "ChatMessage",
    "ChatMessageType",
    "ChatSession",
    "ChatStatus",
    "DeflectionEvent",
    "Faq",
    "KbCategory",
    "KnowledgeBaseArticle",
    "OutboxMessage",
    "OutboxStatus",
    "StoredFile",
    "SupportTicket",
    "TenantSetting",
    "TicketAttachment",
    "TicketCategory",
    "TicketCounter",
    "TicketEvent",
    "TicketEventKind",
    "TicketPriority",
    "TicketResponse",
    "TicketStatus",
    "Timestamped",
    "utcnow",
]
