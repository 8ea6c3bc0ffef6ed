"""Telling every process that a chat changed, after the change is committed."""

from __future__ import annotations

from typing import Any

from intake.chat.sessions import INBOX_TOPIC, topic
from intake.events import Event, EventBus


def announce(bus: EventBus, tenant_id: str, chat_id: int, what: str, **data: Any) -> None:
    """Publish a change of one chat: "message", "session", "typing" or "read"."""
    bus.publish(Event(topic(chat_id, what), tenant_id, {"session_id": chat_id, **data}))


def announce_inbox(
    bus: EventBus, tenant_id: str, chat_id: int, handed_to: int | None = None, note: str = ""
) -> None:
    """Tell the desk's inboxes that a chat arrived, was joined, handed over or ended; a
    hand-over names the agent it went to (`handed_to`), whose pages say `note`."""
    data: dict[str, object] = {"session_id": chat_id}
    if handed_to is not None:
        data.update(handed_to=handed_to, note=note)
    bus.publish(Event(INBOX_TOPIC, tenant_id, data))


def announce_turn(
    bus: EventBus, tenant_id: str, chat_id: int, handed_to: int | None = None, note: str = ""
) -> None:
    """Publish a turn of a chat: someone joined, handed it over or ended it. Its widget and
    open pages hear of the session and its system message, the desk's inboxes of the chat."""
    announce(bus, tenant_id, chat_id, "session")
    announce(bus, tenant_id, chat_id, "message")
    announce_inbox(bus, tenant_id, chat_id, handed_to, note)
