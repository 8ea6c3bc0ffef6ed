"""Chats are kept for a tenant's retention period: then archived, then deleted.

`intake chat retention`, meant for a daily timer, archives the chats closed more than
`chat_retention_days` ago and deletes those archived more than as long again, files
included. A chat that became a ticket keeps its transcript there. A chat its customer left
open (a tab closed mid-chat) is ended once it has been silent as long, so that it is kept
no longer than the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, exists, select

from intake.db import TenantSession
from intake.models import ChatMessage, ChatSession, ChatStatus, utcnow


@dataclass(frozen=True)
class Swept:
    """What one run of retention did to one tenant."""

    archived: int
    deleted: int
    stored_files: list[str]  # for the caller to delete after the commit
    ended: int = 0  # chats left open, silent for the retention period


def sweep(session: TenantSession, days: int, now: dt.datetime | None = None) -> Swept:
    """Archive the tenant's chats closed over `days` ago; delete those archived as long ago."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=days)
    spoken = exists().where(ChatMessage.session_id == ChatSession.id,
                            ChatMessage.created_at >= cutoff)  # fmt: skip
    silent = select(ChatSession).where(ChatSession.status == ChatStatus.active,
                                       ChatSession.created_at < cutoff, ~spoken)  # fmt: skip
    ended = 0
    for chat in session.scalars(silent):
        chat.status, chat.closed_at = ChatStatus.closed, now
        ended += 1
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
    return Swept(archived, len(ids), files, ended)
