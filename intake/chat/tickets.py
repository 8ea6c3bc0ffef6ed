"""Chats that become tickets: an agent's decision, or a customer's message when nobody is in."""

from __future__ import annotations

import threading

from intake.chat.messages import names_of, system_message, whole_chat
from intake.chat.sessions import get_chat
from intake.chat.transcript import transcript
from intake.db import Database, TenantSession
from intake.errors import Conflict
from intake.files import CheckedFile, FileStore, cut_into_file
from intake.models import ChatMessage, ChatSession, SupportTicket, TicketCategory, TicketPriority
from intake.tickets import rules
from intake.tickets.create import NewTicket, create_ticket
from intake.tickets.mails import Brand
from intake.tickets.writer import TicketWriter

# Turning chats into tickets (and erasing customers), one at a time in a process: of two
# requests at once (two agents, a double click) the second finds the ticket the first made,
# and an erasure never falls between a chat's reading and its ticket. Rare and quick: one
# lock. Between processes (PostgreSQL), the chat's row lock does the same (convert_chat).
CONVERTING = threading.Lock()


def convert_chat(
    database: Database, writer: TicketWriter, store: FileStore, brand: Brand, tenant_id: str,
    chat_id: int, confirm: bool = True,
) -> SupportTicket:  # fmt: skip
    """Return the chat's ticket, made now from its transcript unless it was made before (its
    confirmation mailed when `confirm`); Conflict for a chat whose customer was erased."""
    with CONVERTING:
        if database.dialect == "sqlite":
            # One process is the only layout on SQLite, so the lock is enough; holding the
            # database's write lock meanwhile would stop the ticket writer.
            with database.read(tenant_id) as session:
                made, chat, messages, names = _made_or_transcript(session, chat_id)
            if made is not None:
                return made
            ticket, _ = chat_to_ticket(writer, store, brand, chat, messages, names, confirm)
            with database.write(tenant_id) as session:
                _link(session, get_chat(session, chat_id), ticket)
            return ticket
        # The chat's row stays locked until its ticket is linked: another process's click,
        # or an erasure, waits for it, then finds the ticket.
        with database.write(tenant_id) as session:
            session.get(ChatSession, chat_id, with_for_update=True)
            made, chat, messages, names = _made_or_transcript(session, chat_id)
            if made is not None:
                return made
            ticket, _ = chat_to_ticket(writer, store, brand, chat, messages, names, confirm)
            _link(session, get_chat(session, chat_id), ticket)
            return ticket


def _link(session: TenantSession, chat: ChatSession, ticket: SupportTicket) -> None:
    """Record the chat's ticket, and tell the customer in the chat where it goes on."""
    chat.ticket_id = ticket.id
    system_message(session, chat, f"This chat became ticket {ticket.reference}: the conversation "
                   "so far is there, and its answers come by mail.")  # fmt: skip


def _made_or_transcript(
    session: TenantSession, chat_id: int
) -> tuple[SupportTicket | None, ChatSession, list[ChatMessage], dict[int, str]]:
    """Return the chat's ticket if it has one, else what its ticket is made of."""
    chat = get_chat(session, chat_id)
    made = session.get(SupportTicket, chat.ticket_id) if chat.ticket_id else None
    if made is None and not chat.customer_email:
        raise Conflict("This chat's customer was erased: there is nobody to answer.", "session")
    messages = whole_chat(session, chat_id) if made is None else []
    return made, chat, messages, names_of(session, messages)


def chat_to_ticket(
    writer: TicketWriter,
    store: FileStore,
    brand: Brand,
    chat: ChatSession,
    messages: list[ChatMessage],
    names: dict[int, str],
    confirm: bool = True,
) -> tuple[SupportTicket, str]:
    """Open a ticket whose first message is the chat's transcript; return it and its token.

    A transcript longer than a ticket's description is cut there, at a line, with a note; the
    whole of it is attached as a text file, so nothing said in the chat is lost."""
    first = next((m.body for m in messages if m.author_type.value == "customer"), "")
    subject = f"Chat: {first}" if first else f"Chat with {chat.customer_name}"
    text = transcript(chat, messages, names)
    text, whole = cut_into_file(text, rules.DESCRIPTION_MAX, f"chat-{chat.id}.txt", "chat")
    files: list[CheckedFile] = [whole] if whole else []
    data = NewTicket(
        name=chat.customer_name,
        email=chat.customer_email or "",
        subject=_one_line(subject)[: rules.SUBJECT_MAX],
        description=text,
        category=TicketCategory.general,
        priority=TicketPriority.medium,
        confirm=confirm,
    )
    return create_ticket(writer, store, chat.tenant_id, brand, data, files)


def offline_ticket(
    writer: TicketWriter, store: FileStore, brand: Brand, tenant_id: str, data: NewTicket
) -> tuple[SupportTicket, str]:
    """Open a ticket from a message left while no agent was online."""
    return create_ticket(writer, store, tenant_id, brand, data)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) >= rules.SUBJECT_MIN else f"{line} (chat)"
