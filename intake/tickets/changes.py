"""Announcing that tickets changed, on the events bus: the desk's queue and open ticket
pages listen for these to update without a reload."""

from __future__ import annotations

from intake.events import Event, EventBus
from intake.tickets.writer import Draft

CREATED = "ticket.created"
UPDATED = "ticket.updated"


def ticket_changed(
    bus: EventBus, tenant_id: str, ticket_id: int, what: str, *, customer_sees: bool
) -> None:
    """Announce a committed change of one ticket (`what`: replied, resolved, ...).

    `customer_sees` says whether the customer's own page shows the change: an internal note
    or a new assignee is the team's business, and the customer's page must not hear of it.
    """
    data = {"id": ticket_id, "what": what, "customer_sees": customer_sees}
    bus.publish(Event(UPDATED, tenant_id, data))


def announce_created(bus: EventBus, drafts: list[Draft]) -> None:
    """Announce a group of tickets the writer has just committed: one event per tenant."""
    ids: dict[str, list[int]] = {}
    for draft in drafts:
        assert draft.result is not None
        ids.setdefault(draft.tenant_id, []).append(draft.result[0])
    for tenant_id, created in sorted(ids.items()):
        bus.publish(Event(CREATED, tenant_id, {"ids": created}))
