"""The desk's live streams: events for the open page, while its session stays valid."""

from __future__ import annotations

from flask import Response

from intake.chat.sessions import INBOX_TOPIC
from intake.desk import auth
from intake.events import Event
from intake.state import state
from intake.web.sse import event_stream
from intake.web.tenancy import release_session, tenant


def desk_stream(topics: list[str], ticket_id: int | None) -> Response:
    """Stream the tenant's events of these topics (of one ticket, if given) to a desk page,
    and the chats' inbox news on every page (its menu counts the customers waiting).

    The session is checked again at every heartbeat, so a signed-out or deactivated agent's
    stream ends within one.
    """
    tenant_id, token, agent_id = tenant().id, auth.session_token(), auth.agent().id
    database = state().db
    release_session()  # an open stream must not hold a database connection
    subscription = state().events.subscribe(tenant_id, sorted({*topics, INBOX_TOPIC}))

    def pick(event: Event) -> dict[str, object] | None:
        if event.topic == INBOX_TOPIC:
            return dict(event.data)
        if ticket_id is not None and event.data.get("id", event.data.get("ticket_id")) != ticket_id:
            return None
        if event.data.get("agent_id") == agent_id:
            return None  # one's own presence is no news
        return dict(event.data)

    def allowed() -> bool:
        return auth.still_signed_in(database, tenant_id, token, agent_id)

    # Signed-in agents only, often many behind one office address: not capped per address.
    return event_stream(subscription, pick, still_allowed=allowed, capped=False)
