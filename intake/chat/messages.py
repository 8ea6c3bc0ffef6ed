"""Chat messages: stored before they are delivered, in the order of storage.

A message a customer's browser sends again after a dropped connection carries the same
client id and is the same message, so nothing appears twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intake.db import TenantSession
from intake.errors import InvalidInput
from intake.files import PREVIEW_TYPES, SavedFile
from intake.models import (
    Agent,
    AuthorType,
    ChatMessage,
    ChatMessageType,
    ChatSession,
    as_utc,
)
from intake.tickets.rules import ID_MAX, control_problem, trim

MESSAGE_MAX = 5000
FILES_PER_CHAT = 20  # a customer's, in one chat
CLIENT_ID_MAX = 64


def clean_text(value: object) -> str:
    """Return a message's text, or raise InvalidInput naming the field."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput("text: send the message as a string.", "text")
    text = trim(value or "")
    if not text:
        raise InvalidInput("Write a message.", "text")
    if len(text) > MESSAGE_MAX:
        raise InvalidInput(f"Use at most {MESSAGE_MAX:,} characters.", "text")
    problem = control_problem(text, multiline=True)
    if problem:
        raise InvalidInput(f"The message {problem}.", "text")
    return text


def message_position(value: object, field: str) -> int:
    """Return the message id a client's JSON names (0: before the first); raise InvalidInput
    naming `field` for anything else, a number past any row's included."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= ID_MAX:
        raise InvalidInput(f"{field}: use a message id.", field)
    return value


def message_position_text(text: str, field: str) -> int:
    """The same for a query string's parameter (?after=12)."""
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else -1
    return message_position(number, field)


def _client_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if (
        not isinstance(value, str)
        or len(value) > CLIENT_ID_MAX
        or not all(c.isascii() and (c.isalnum() or c in "-_") for c in value)
    ):
        raise InvalidInput("client_id: letters, digits, - and _ only, at most 64.", "client_id")
    return value


def post_text(
    session: TenantSession,
    chat: ChatSession,
    text: object,
    agent: Agent | None = None,
    client_id: Any = None,
) -> tuple[ChatMessage, bool]:
    """Store a message of the customer (or of an agent); return it and whether it is new."""
    cid = _client_id(client_id)
    known = _by_client_id(session, chat, cid)
    if known is not None:
        return known, False
    author = AuthorType.agent if agent else AuthorType.customer
    message = ChatMessage(session_id=chat.id, message_type=ChatMessageType.text,
                          author_type=author, agent_id=agent.id if agent else None,
                          body=clean_text(text), client_id=cid)  # fmt: skip
    try:
        with session.begin_nested():  # a resend racing its original: the original wins
            session.add(message)
    except IntegrityError:
        known = _by_client_id(session, chat, cid)
        if known is None:
            raise
        return known, False
    return message, True


def _by_client_id(session: TenantSession, chat: ChatSession, cid: str | None) -> ChatMessage | None:
    if cid is None:
        return None
    query = select(ChatMessage).where(ChatMessage.session_id == chat.id,
                                      ChatMessage.client_id == cid)  # fmt: skip
    return session.scalars(query).first()


def check_room_for_a_file(session: TenantSession, chat: ChatSession) -> None:
    """Refuse a customer's file past FILES_PER_CHAT: at the rate limit alone, one address
    could store gigabytes an hour in one chat."""
    query = select(func.count(ChatMessage.id)).where(
        ChatMessage.session_id == chat.id, ChatMessage.stored_name.is_not(None),
        ChatMessage.author_type == AuthorType.customer)  # fmt: skip
    if (session.scalar(query) or 0) >= FILES_PER_CHAT:
        raise InvalidInput(f"A chat takes at most {FILES_PER_CHAT} files; send more by "
                           "opening a ticket, or as a link.", "file")  # fmt: skip


def post_file(
    session: TenantSession, chat: ChatSession, saved: SavedFile, agent: Agent | None = None
) -> ChatMessage:
    """Store an image or file message (the file already checked and stored)."""
    image = saved.file.content_type in PREVIEW_TYPES
    kind = ChatMessageType.image if image else ChatMessageType.file
    message = ChatMessage(
        session_id=chat.id, message_type=kind,
        author_type=AuthorType.agent if agent else AuthorType.customer,
        agent_id=agent.id if agent else None, body=saved.file.name,
        stored_name=saved.stored_name, file_name=saved.file.name,
        content_type=saved.file.content_type, size=len(saved.file.data),
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message


def system_message(session: TenantSession, chat: ChatSession, text: str) -> ChatMessage:
    """Record what happened in the chat (a join, a hand-over, the end) as a system message."""
    message = ChatMessage(session_id=chat.id, message_type=ChatMessageType.system,
                          author_type=AuthorType.system, body=text)  # fmt: skip
    session.add(message)
    session.flush()
    return message


PAGE = 500  # messages per answer; a client asks again after the last id it got


def messages_after(
    session: TenantSession, chat_id: int, after: int, limit: int | None = PAGE
) -> list[ChatMessage]:
    """Return the chat's messages with an id above `after`, in order (at most `limit`)."""
    query = select(ChatMessage).where(ChatMessage.session_id == chat_id, ChatMessage.id > after)
    return list(session.scalars(query.order_by(ChatMessage.id).limit(limit)))


def whole_chat(session: TenantSession, chat_id: int) -> list[ChatMessage]:
    """Return every message of the chat, in order (for transcripts)."""
    return messages_after(session, chat_id, 0, limit=None)


def names_of(session: TenantSession, messages: list[ChatMessage]) -> dict[int, str]:
    """Return the names of the agents who wrote these messages."""
    ids = {m.agent_id for m in messages if m.agent_id is not None}
    if not ids:
        return {}
    return {a.id: a.name for a in session.scalars(select(Agent).where(Agent.id.in_(ids)))}


def message_json(
    message: ChatMessage, chat: ChatSession, names: dict[int, str], file_url: str
) -> dict[str, Any]:
    """Return a message as the widget and the desk read it (docs/chat.md)."""
    name = {
        "customer": chat.customer_name,
        "agent": names.get(message.agent_id or 0, "Support"),
        "system": "",
    }[message.author_type.value]
    file = None
    if message.stored_name:
        file = {"name": message.file_name, "type": message.content_type, "size": message.size,
                "url": f"{file_url}/{message.id}"}  # fmt: skip
    at = as_utc(message.created_at)
    return {"id": message.id, "kind": message.message_type.value,
            "author": message.author_type.value, "name": name, "text": message.body,
            "file": file, "at": at.isoformat(), "client_id": message.client_id}  # fmt: skip
