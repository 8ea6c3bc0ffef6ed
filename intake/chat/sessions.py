"""Chat sessions: opened by a customer, joined, handed over and closed by agents.

The customer's browser holds a random token; only its SHA-256 is stored. A token opens its
own session of its own tenant, nothing else, and a closed session takes no more messages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Container

from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from intake.agents.accounts import clean_name
from intake.chat.messages import system_message
from intake.db import TenantSession
from intake.db.addresses import same_address
from intake.errors import Conflict, InvalidInput, NotFound
from intake.models import Agent, ChatMessage, ChatSession, ChatStatus, utcnow
from intake.tickets.rules import ID_MAX, customer_address

INBOX_TOPIC = "chat.inbox"  # a chat arrived, was joined, handed over or ended


def topic(chat_id: int, what: str) -> str:
    """Return the events topic of one chat: chat.<id>.message, .typing, .read or .session."""
    return f"chat.{chat_id}.{what}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_chat(session: TenantSession, name: str, email: str) -> tuple[ChatSession, str]:
    """Open a chat for a customer; return it and its token (shown to their browser only)."""
    token = secrets.token_urlsafe(32)
    chat = ChatSession(customer_name=clean_name(name), customer_email=customer_address(email),
                       status=ChatStatus.active, token_hash=_hash(token))  # fmt: skip
    session.add(chat)
    session.flush()
    return chat, token


def find_chat(
    session: TenantSession, chat_id: int, token: str, writable: bool = False
) -> ChatSession:
    """Return the tenant's chat this token opens; NotFound alike for anything else.

    With `writable`, a closed chat is refused (Conflict): it takes no more messages; and its
    row is locked until the transaction ends (PostgreSQL: what a chat holds, its files for one,
    is counted by one writer at a time).
    """
    lock = writable or None
    chat = (
        session.get(ChatSession, chat_id, with_for_update=lock) if 0 < chat_id <= ID_MAX else None
    )
    expected = chat.token_hash if chat is not None and chat.token_hash else "0" * 64
    if not hmac.compare_digest(expected, _hash(token or "")) or chat is None:
        raise NotFound()
    if writable and chat.status != ChatStatus.active:
        raise Conflict("This chat has ended; start a new one.", "session")
    return chat


def get_chat(session: TenantSession, chat_id: int, lock: bool = False) -> ChatSession:
    """Return the tenant's chat (for agents), or NotFound; `lock`: its row, until the
    transaction ends (PostgreSQL: two agents' joins at once take turns)."""
    chat = session.get(ChatSession, chat_id, with_for_update=lock or None)
    if chat is None:
        raise NotFound()
    return chat


def waiting_count(session: TenantSession) -> int:
    """Return how many of the tenant's customers wait in a chat no agent has joined."""
    return int(session.scalar(select(func.count(ChatSession.id)).where(
        ChatSession.status == ChatStatus.active, ChatSession.agent_id.is_(None))) or 0)  # fmt: skip


def check_holder(
    session: TenantSession, chat: ChatSession, shown: str | None, agent: Agent
) -> None:
    """Refuse an agent's join or hand-over made from a page that showed another agent holding
    the chat (or nobody): someone joined meanwhile. None (a script's request): no check; the
    agent holding it now (who joined by sending, say) is never stale about themselves."""
    if shown is None or shown == str(chat.agent_id or "") or chat.agent_id == agent.id:
        return
    holder = session.get(Agent, chat.agent_id) if chat.agent_id else None
    who = f"{holder.name} has" if holder else "Nobody has"
    raise Conflict(f"{who} this chat now, since this page was opened; reload it to see the "
                   "conversation, then take it over if you mean to.", "session")  # fmt: skip


def join(session: TenantSession, chat: ChatSession, agent: Agent) -> None:
    """Let an agent take a waiting chat (or take it over)."""
    if chat.status != ChatStatus.active:
        raise Conflict("This chat has ended.", "session")
    if chat.agent_id == agent.id:
        return
    before = session.get(Agent, chat.agent_id) if chat.agent_id else None
    chat.agent_id = agent.id
    system_message(session, chat, f"{agent.name} took the chat over from {before.name}."
                   if before else f"{agent.name} joined the chat.")  # fmt: skip


def hand_over(session: TenantSession, chat: ChatSession, agent: Agent, to_id: int,
              present: Container[int] | None) -> Agent:  # fmt: skip
    """Pass the chat to another active agent of the team who is `present` (has the desk open:
    the customer would wait for an agent who is not; None: who is, is not known); return
    them."""
    to = session.get(Agent, to_id)
    if to is None or not to.active:
        raise InvalidInput("Choose an active agent of this team.", "agent")
    if to.id == agent.id:
        raise InvalidInput("Choose a colleague: a chat is not handed over to oneself.", "agent")
    if present is not None and to.id not in present:
        raise InvalidInput(f"{to.name} is offline now and would not see the chat: choose a"
                           " colleague who has the desk open.", "agent")  # fmt: skip
    if chat.status != ChatStatus.active:
        raise Conflict("This chat has ended.", "session")
    chat.agent_id = to.id
    system_message(session, chat, f"{agent.name} handed the chat over to {to.name}.")
    return to


def close_chat(session: TenantSession, chat: ChatSession, by: Agent | None = None) -> bool:
    """End the chat (by an agent, or the customer when `by` is None); False if it had ended."""
    who = by.name if by is not None else chat.customer_name
    return end_chat(session, chat, f"{who} ended the chat.")


def end_chat(session: TenantSession, chat: ChatSession, why: str) -> bool:
    """End an active chat with a system message saying `why`; False if it had ended."""
    if chat.status != ChatStatus.active:
        return False
    chat.status, chat.closed_at = ChatStatus.closed, utcnow()
    system_message(session, chat, why)
    return True


def mark_read(chat: ChatSession, side: str, up_to: int) -> bool:
    """Note that one side has seen the messages up to `up_to` (at most the chat's last: a mark
    past it would say "read" of messages still to come); True when that is news."""
    column = "customer_read_up_to" if side == "customer" else "agent_read_up_to"
    session = object_session(chat)
    if session is not None:
        last = select(func.max(ChatMessage.id)).where(ChatMessage.session_id == chat.id)
        up_to = min(up_to, session.scalar(last) or 0)
    if up_to <= getattr(chat, column):
        return False
    setattr(chat, column, up_to)
    return True


def waiting(session: TenantSession) -> list[ChatSession]:
    """Return the active chats no agent has joined, oldest first."""
    query = select(ChatSession).where(
        ChatSession.status == ChatStatus.active, ChatSession.agent_id.is_(None)
    )
    return list(session.scalars(query.order_by(ChatSession.id)))


def active_with_agents(session: TenantSession) -> list[ChatSession]:
    """Return the active chats agents have joined, oldest first."""
    query = select(ChatSession).where(
        ChatSession.status == ChatStatus.active, ChatSession.agent_id.is_not(None)
    )
    return list(session.scalars(query.order_by(ChatSession.id)))


def recently_ended(session: TenantSession, limit: int = 20) -> list[ChatSession]:
    """Return the chats ended last, newest first: to look one up again after it ended."""
    query = select(ChatSession).where(ChatSession.status == ChatStatus.closed)
    return list(session.scalars(query.order_by(ChatSession.closed_at.desc(),
                                               ChatSession.id.desc()).limit(limit)))  # fmt: skip


def customers_chats(session: TenantSession, email: str, but: int) -> list[ChatSession]:
    """Return the customer's other chats, newest first."""
    query = select(ChatSession).where(
        same_address(ChatSession.customer_email, email), ChatSession.id != but
    )
    return list(session.scalars(query.order_by(ChatSession.id.desc()).limit(10)))
