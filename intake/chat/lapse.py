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
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from intake.chat.announce import announce_turn
from intake.chat.messages import system_message
from intake.chat.sessions import end_chat
from intake.chat.tickets import convert_chat
from intake.db import Database, TenantSession
from intake.errors import IntakeError
from intake.events.bus import EventBus
from intake.files import FileStore
from intake.models import AuthorType, ChatMessage, ChatSession, ChatStatus, as_utc, utcnow
from intake.settings import TenantSettings
from intake.tickets.mails import Brand
from intake.tickets.writer import TicketWriter

log = logging.getLogger(__name__)
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
            last = func.coalesce(_last_message_at(ChatSession.id).scalar_subquery(),
                                 ChatSession.created_at)  # fmt: skip
            silent = list(session.scalars(select(ChatSession.id).where(
                ChatSession.status == ChatStatus.active, ChatSession.agent_id.is_not(None),
                last < now_here - idle)))  # fmt: skip
        to_tickets = ended = 0
        nobody = f"No agent could join within {_minutes(wait)}"
        for chat_id in waited:
            why = f"{nobody}: we answer by mail instead."
            # Nobody asked for it: the customer, maybe gone, is told here and by the agent's
            # answer; no confirmation mail (an address typed into a chat is not proven theirs).
            if answer_by_mail(database, writer, store, bus, brand_of(tenant_id), tenant_id,
                              chat_id, why, confirm=False):  # fmt: skip
                to_tickets += 1
            elif _end(database, bus, tenant_id, chat_id, f"{nobody}, and the chat ended."):
                ended += 1
        for chat_id in silent:
            if _end(database, bus, tenant_id, chat_id,
                    f"The chat ended after {_minutes(idle)} without a message.",
                    silent_since=now_here - idle):  # fmt: skip
                ended += 1
        done[tenant_id] = Lapsed(to_tickets, ended)
    return done


def _minutes(span: dt.timedelta) -> str:
    count = int(span.total_seconds() // 60)
    return "1 minute" if count == 1 else f"{count} minutes"


def _last_message_at(chat: Any) -> Any:
    """The time of a chat's last message (`chat`: its id, or the column of a query's chats)."""
    return select(func.max(ChatMessage.created_at)).where(ChatMessage.session_id == chat)


def answer_by_mail(
    database: Database, writer: TicketWriter, store: FileStore, bus: EventBus, brand: Brand,
    tenant_id: str, chat_id: int, why: str, confirm: bool = True,
) -> bool:  # fmt: skip
    """Make what the customer said in a chat no agent has joined a ticket (its confirmation
    mailed when `confirm`), ending the chat with `why`; False, and nothing done, when they said
    nothing, left no address, or an agent joined or the chat ended meanwhile.

    The chat ends first, in the transaction that checks nobody joined it: an agent's join
    after that is refused (the chat has ended), so none answers a chat whose answer went to
    the mail.
    """
    with database.write(tenant_id) as session:
        chat = session.get(ChatSession, chat_id, with_for_update=True)
        if chat is None or chat.agent_id is not None or chat.status != ChatStatus.active:
            return False
        if not customer_said_something(session, chat_id) or not chat.customer_email:
            return False
        chat.status, chat.closed_at = ChatStatus.closed, utcnow()
    try:
        convert_chat(database, writer, store, brand, tenant_id, chat_id, confirm=confirm)
    except IntakeError:  # erased meanwhile: nobody to answer, and the chat has ended
        log.info("chat %s of %s ended without a ticket: its customer was erased", chat_id,
                 tenant_id)  # fmt: skip
    with database.write(tenant_id) as session:
        chat = session.get(ChatSession, chat_id)
        if chat is not None:
            system_message(session, chat, why)
    announce_turn(bus, tenant_id, chat_id)
    return True


def customer_said_something(session: TenantSession, chat_id: int) -> bool:
    """Say whether the customer wrote anything in the chat (what a ticket would be made of)."""
    query = select(ChatMessage.id).where(
        ChatMessage.session_id == chat_id, ChatMessage.author_type == AuthorType.customer
    )
    return session.scalars(query.limit(1)).first() is not None  # fmt: skip


def _end(database: Database, bus: EventBus, tenant_id: str, chat_id: int, why: str,
         silent_since: dt.datetime | None = None) -> bool:  # fmt: skip
    """End an active chat with a message saying why, and tell the customer and the desk;
    False if it changed meanwhile: ended, erased, joined (when it was waiting), or written in
    since `silent_since` (when it was silent)."""
    with database.write(tenant_id) as session:
        chat = session.get(ChatSession, chat_id, with_for_update=True)
        if chat is None or chat.status != ChatStatus.active:
            return False
        if silent_since is None and chat.agent_id is not None:
            return False  # an agent joined the waiting chat
        if silent_since is not None:
            last = session.scalar(_last_message_at(chat_id))
            if last is not None and as_utc(last) >= silent_since:
                return False  # someone wrote meanwhile
        end_chat(session, chat, why)
    announce_turn(bus, tenant_id, chat_id)
    return True
