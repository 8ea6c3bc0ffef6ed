"""A chat written out as text: for the ticket it becomes, and for the customer's mailbox."""

from __future__ import annotations

import datetime as dt

from intake.models import ChatMessage, ChatSession, as_utc


def _when(value: dt.datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def transcript(chat: ChatSession, messages: list[ChatMessage], names: dict[int, str]) -> str:
    """Return the conversation, a line per message, files named."""
    lines = [f"Chat with {chat.customer_name} <{chat.customer_email or 'no email'}>", ""]
    for message in messages:
        who = {"customer": chat.customer_name,
               "agent": names.get(message.agent_id or 0, "Support"),
               "system": "—"}[message.author_type.value]  # fmt: skip
        text = f"[file: {message.file_name}]" if message.stored_name else message.body
        lines.append(f"{_when(message.created_at)} {who}: {text}")
    return "\n".join(lines) + "\n"
