"""Rate limits shared by several faces (the form and the API create tickets alike)."""

from __future__ import annotations

from intake.extensions import limiter
from intake.state import state


def ticket_rate_limit() -> str:
    """Return the per-address limit on new tickets."""
    return state().config.ticket_rate_limit


# One bucket per client address for both ways of creating a ticket.
limit_ticket_creation = limiter.shared_limit(
    ticket_rate_limit, scope="ticket-creation", methods=["POST"]
)
# Every search costs CPU: the form's suggestions and the API's search share one bucket.
limit_search = limiter.shared_limit("120 per minute", scope="search")
