"""What the chat's HTTP calls and socket share: the bearer token, JSON shapes, rate limits."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_limiter.util import get_remote_address
from limits import parse

from intake.chat.messages import message_json, names_of
from intake.db import TenantSession
from intake.errors import Unauthorized
from intake.extensions import limiter
from intake.models import Agent, ChatMessage, ChatSession
from intake.state import state
from intake.web.limits import counts

# What a customer sends, per address and kind, by HTTP and by socket alike: one allowance,
# so a client reconnecting its socket (or switching to HTTP) starts no fresh count.
LIMITS = {"message": "30 per minute", "typing": "60 per minute", "read": "60 per minute"}
shared = {kind: limiter.shared_limit(text, scope=f"chat-{kind}") for kind, text in LIMITS.items()}
_PARSED = {kind: parse(text) for kind, text in LIMITS.items()}


def socket_frame_allowed(kind: str) -> bool:
    """Count a socket frame of `kind` against its HTTP call's limit (the same bucket the
    decorator counts in: the client's address, then the scope); False past it."""
    if not state().config.ratelimit_enabled:
        return True
    return counts.hit(_PARSED[kind], get_remote_address(), f"chat-{kind}")


def bearer() -> str:
    """Return the chat token of the Authorization header, or refuse (401)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 100:
        raise Unauthorized("Send the chat's token as 'Authorization: Bearer TOKEN'.",
                           "Authorization")  # fmt: skip
    return token.strip()


def file_base(tenant_id: str, chat_id: int) -> str:
    """Return the path the chat's files are read from."""
    return f"/chat/{tenant_id}/sessions/{chat_id}/files"


def chat_json(session: TenantSession, chat: ChatSession) -> dict[str, Any]:
    """Return what the widget shows of a chat."""
    agent = session.get(Agent, chat.agent_id) if chat.agent_id else None
    return {"id": chat.id, "status": chat.status.value, "name": chat.customer_name,
            "agent": agent.name if agent else None,
            "agent_read_up_to": chat.agent_read_up_to}  # fmt: skip


def messages_json(
    session: TenantSession, chat: ChatSession, messages: list[ChatMessage]
) -> list[dict[str, Any]]:
    """Return messages as the widget reads them (docs/chat.md)."""
    names = names_of(session, messages)
    base = file_base(chat.tenant_id, chat.id)
    return [message_json(m, chat, names, base) for m in messages]
