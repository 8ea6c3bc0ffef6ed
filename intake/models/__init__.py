"""The desk's database: SQLAlchemy 2.0 typed models, one module per area, tenant on every row."""

from __future__ import annotations

from intake.models.agents import (
    Agent,
    AgentGroup,
    AgentSession,
    ApiToken,
    GroupMember,
    RecoveryCode,
)
from intake.models.base import Base, Timestamped, as_utc, utcnow
from intake.models.chat import ChatMessage, ChatSession
from intake.models.desk import AgentNotification, CannedResponse, SavedView
from intake.models.enums import (
    AgentRole,
    AuthorType,
    ChatMessageType,
    ChatStatus,
    KbCategory,
    NotificationKind,
    OutboxStatus,
    TicketCategory,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
)
from intake.models.files import StoredFile
from intake.models.kb import (
    ArticleFeedback,
    DeflectionEvent,
    Faq,
    KnowledgeBaseArticle,
    SearchMiss,
    SearchOpen,
)
from intake.models.mail import FailingAddress, InboundMail
from intake.models.outbox import OutboxMessage
from intake.models.privacy import CustomerErasure
from intake.models.settings import TenantSetting
from intake.models.tickets import (
    SatisfactionRating,
    SupportTicket,
    TicketAttachment,
    TicketCitation,
    TicketCounter,
    TicketEvent,
    TicketResponse,
    TicketTag,
)

__all__ = [
    "Agent",
    "AgentGroup",
    "AgentNotification",
    "AgentRole",
    "AgentSession",
    "ApiToken",
    "ArticleFeedback",
    "AuthorType",
    "Base",
    "CannedResponse",
    "ChatMessage",
    "ChatMessageType",
    "ChatSession",
    "ChatStatus",
    "CustomerErasure",
    "DeflectionEvent",
    "FailingAddress",
    "Faq",
    "GroupMember",
    "InboundMail",
    "KbCategory",
    "KnowledgeBaseArticle",
    "NotificationKind",
    "OutboxMessage",
    "OutboxStatus",
    "RecoveryCode",
    "SatisfactionRating",
    "SavedView",
    "SearchMiss",
    "SearchOpen",
    "StoredFile",
    "SupportTicket",
    "TenantSetting",
    "TicketAttachment",
    "TicketCategory",
    "TicketCitation",
    "TicketCounter",
    "TicketEvent",
    "TicketEventKind",
    "TicketPriority",
    "TicketResponse",
    "TicketStatus",
    "TicketTag",
    "Timestamped",
    "as_utc",
    "utcnow",
]
