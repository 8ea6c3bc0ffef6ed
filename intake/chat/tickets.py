"""Chats that become tickets: an agent's decision, or a customer's message when nobody is in."""

from __future__ import annotations

import threading

from intake.chat.transcript import transcript
from intake.files import FileStore
from intake.models import ChatMessage, ChatSession, SupportTicket, TicketCategory, TicketPriority
from intake.tickets import rules
from intake.tickets.create import NewTicket, create_ticket
from intake.tickets.mails import Brand
from intake.tickets.writer import TicketWriter

# Turning chats into tickets, one at a time in a process: of two requests at once (two agents,
# a double click), the second finds the ticket the first made. Rare and quick, so one lock.
CONVERTING = threading.Lock()


def chat_to_ticket(
    writer: TicketWriter,
    store: FileStore,
    brand: Brand,
    chat: ChatSession,
    messages: list[ChatMessage],
    names: dict[int, str],
) -> tuple[SupportTicket, str]:
    """Open a ticket whose first message is the chat's transcript; return it and its token."""
    first = next((m.body for m in messages if m.author_type.value == "customer"), "")
    subject = f"Chat: {first}" if first else f"Chat with {chat.customer_name}"
    text = transcript(chat, messages, names)
    data = NewTicket(
        name=chat.customer_name,
        email=chat.customer_email or "",
        subject=_one_line(subject)[: rules.SUBJECT_MAX],
        description=text[: rules.DESCRIPTION_MAX],
        category=TicketCategory.general,
        priority=TicketPriority.medium,
    )
    return create_ticket(writer, store, chat.tenant_id, brand, data)


def offline_ticket(
    writer: TicketWriter, store: FileStore, brand: Brand, tenant_id: str, data: NewTicket
) -> tuple[SupportTicket, str]:
    """Open a ticket from a message left while no agent was online."""
    return create_ticket(writer, store, tenant_id, brand, data)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) >= rules.SUBJECT_MIN else f"{line} (chat)"
