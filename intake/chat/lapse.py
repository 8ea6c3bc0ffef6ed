"""Chats nobody answers and chats everybody left: the first become tickets, the second end.

A customer who starts a chat while every agent is busy, or just as the last one leaves, must
not wait in an open chat for ever, nor lose what they wrote: once a chat has waited the
tenant's `chat_wait_minutes` without an agent joining, what was said becomes a ticket,
answered by mail, and the chat says so and ends (one in which nothing was said just ends). A
chat in which nobody has written for `chat_idle_minutes` (its tab closed, the agent's browser
gone) ends too, so that the desk's lists hold only chats someone is in. The serving processes'
job runner runs this every minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from intake.chat.announce import announce, announce_inbox
from intake.chat.messages import system_message
from intake.chat.tickets import convert_chat
from intake.db import Database
from intake.events.bus import EventBus
from intake.files import FileStore
from intake.models import AuthorType, ChatMessage, ChatSession, ChatStatus, utcnow
from intake.settings import TenantSettings
from intake.tickets.mails import Brand
from intake.tickets.writer import TicketWriter

EVERY_SECONDS = 60


@dataclass(frozen=True)
class Lapsed:
    """What one round did to one tenant's chats."""

    to_tickets: int = 0  # waited too long: their words are a ticket now
    ended: int = 0  # waited with nothing said, or silent too long


def lapse_chats(
    database: Database, writer: TicketWriter, store: FileStore, bus: EventBus,
    brand_of: Callable[[str], Brand], tenant_ids: Iterable[str], now: dt.datetime | None = None,
) -> dict[str, Lapsed]:  # fmt: skip
    """Turn each tenant's chats waited out into tickets and end its silent ones."""
    done = {}
    for tenant_id in tenant_ids:
        now_here = now or utcnow()
        with database.read(tenant_id) as session:
            settings = TenantSettings(session)
            wait = dt.timedelta(minutes=int(settings.get("chat_wait_minutes")))
            idle = dt.timedelta(minutes=int(settings.get("chat_idle_minutes")))
            waited = list(session.scalars(select(ChatSession.id).where(
                ChatSession.status == ChatStatus.active, ChatSession.agent_id.is_(None),
                ChatSession.created_at < now_here - wait)))  # fmt: skip
            last = (select(func.max(ChatMessage.created_at))
                    .where(ChatMessage.session_id == ChatSession.id).scalar_subquery())  # fmt: skip
            silent = list(session.scalars(select(ChatSession.id).where(
                ChatSession.status == ChatStatus.active, ChatSession.agent_id.is_not(None),
                func.coalesce(last, ChatSession.created_at) < now_here - idle)))  # fmt: skip
        to_tickets = sum(
            _answer_by_mail(
                database, writer, store, bus, brand_of(tenant_id), tenant_id, chat_id, wait
            )  # fmt: skip
            for chat_id in waited
        )
        for chat_id in silent:
            minutes = int(idle.total_seconds() // 60)
            _end(database, bus, tenant_id, chat_id,
                 f"The chat ended after {minutes} minutes without a message.",
                 waiting=False)  # fmt: skip
        done[tenant_id] = Lapsed(to_tickets, len(waited) - to_tickets + len(silent))
    return done


def _answer_by_mail(
    database: Database, writer: TicketWriter, store: FileStore, bus: EventBus, brand: Brand,
    tenant_id: str, chat_id: int, wait: dt.timedelta,
) -> bool:  # fmt: skip
    """Make a waited-out chat's words a ticket and end the chat; True if a ticket was made."""
    minutes = int(wait.total_seconds() // 60)
    why = f"No agent could join within {minutes} minutes: we answer by mail instead."
    if answer_by_mail(database, writer, store, bus, brand, tenant_id, chat_id, why):
        return True
    _end(database, bus, tenant_id, chat_id,
         f"No agent could join within {minutes} minutes, and the chat ended.")  # fmt: skip
    return False


def answer_by_mail(
    database: Database, writer: TicketWriter, store: FileStore, bus: EventBus, brand: Brand,
    tenant_id: str, chat_id: int, why: str,
) -> bool:  # fmt: skip
    """Make what the customer said in a chat no agent has joined a ticket, then end the chat
    saying `why`; False (and nothing done) when they said nothing, left no address, or an
    agent joined or the chat ended meanwhile."""
    with database.read(tenant_id) as session:
        chat = session.get(ChatSession, chat_id)
        if chat is None or chat.agent_id is not None or chat.status != ChatStatus.active:
            return False
        said = session.scalar(select(func.count(ChatMessage.id)).where(
            ChatMessage.session_id == chat_id,
            ChatMessage.author_type == AuthorType.customer))  # fmt: skip
        if not said or not chat.customer_email:
            return False
    convert_chat(database, writer, store, brand, tenant_id, chat_id)  # says where it goes on
    _end(database, bus, tenant_id, chat_id, why)
    return True


def _end(database: Database, bus: EventBus, tenant_id: str, chat_id: int, why: str,
         waiting: bool = True) -> None:  # fmt: skip
    """End an active chat with a message saying why, and tell the customer and the desk;
    a chat ended `waiting` must still have no agent."""
    with database.write(tenant_id) as session:
        chat = session.get(ChatSession, chat_id, with_for_update=True)
        if chat is None or chat.status != ChatStatus.active:
            return  # ended or erased meanwhile
        if waiting and chat.agent_id is not None:
            return  # an agent joined meanwhile
        chat.status, chat.closed_at = ChatStatus.closed, utcnow()
        system_message(session, chat, why)
    announce(bus, tenant_id, chat_id, "session")
    announce(bus, tenant_id, chat_id, "message")
    announce_inbox(bus, tenant_id, chat_id)
