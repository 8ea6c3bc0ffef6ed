"""Chats are kept for a tenant's retention period: then archived, then deleted.

`intake chat retention`, meant for a daily timer, archives the chats closed more than
`chat_retention_days` ago and deletes those archived more than as long again, files
included. A chat that became a ticket keeps its transcript there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select

from intake.db import TenantSession
from intake.models import ChatMessage, ChatSession, ChatStatus, utcnow


@dataclass(frozen=True)
class Swept:
    """What one run of retention did to one tenant."""

    archived: int
    deleted: int
    stored_files: list[str]  # for the caller to delete after the commit


def sweep(session: TenantSession, days: int, now: dt.datetime | None = None) -> Swept:
    """Archive the tenant's chats closed over `days` ago; delete those archived as long ago."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=days)
    old = select(ChatSession).where(ChatSession.status == ChatStatus.closed,
                                    ChatSession.closed_at < cutoff)  # fmt: skip
    archived = 0
    for chat in session.scalars(old):
        chat.status, chat.archived_at = ChatStatus.archived, now
        archived += 1
    expired = list(session.scalars(select(ChatSession).where(
        ChatSession.status == ChatStatus.archived, ChatSession.archived_at < cutoff)))  # fmt: skip
    ids = [c.id for c in expired]
    files: list[str] = []
    if ids:
        stored = select(ChatMessage.stored_name).where(
            ChatMessage.session_id.in_(ids), ChatMessage.stored_name.is_not(None)
        )
        files = [name for name in session.scalars(stored) if name]
        session.execute(delete(ChatMessage).where(ChatMessage.session_id.in_(ids)))
        session.execute(delete(ChatSession).where(ChatSession.id.in_(ids)))
    session.flush()
    return Swept(archived, len(ids), files)
