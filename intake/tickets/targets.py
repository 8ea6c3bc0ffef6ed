"""What a customer may expect: the tenant's service targets applied to one ticket.

Targets are hours per priority, round the clock, from the ticket's creation (settings
`first_response_hours_<priority>` and `resolution_hours_<priority>`; 0 means none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from intake.models import SupportTicket, TicketStatus, as_utc, utcnow
from intake.settings import TenantSettings
from intake.settings.registry import target_key


@dataclass(frozen=True)
class Expectation:
    """A target still to meet: within how many hours, by when, and whether that has passed."""

    hours: int
    due: dt.datetime
    late: bool


def first_answer_expected(
    ticket: SupportTicket, settings: TenantSettings, now: dt.datetime | None = None
) -> Expectation | None:
    """Return when the ticket's first answer is due, while it waits for one under a target."""
    if ticket.first_response_at is not None or ticket.status in (
        TicketStatus.resolved, TicketStatus.closed
    ):  # fmt: skip
        return None
    hours = int(settings.get(target_key("first_response", ticket.priority)))
    if not hours:
        return None
    due = as_utc(ticket.created_at) + dt.timedelta(hours=hours)
    return Expectation(hours, due, (now or utcnow()) >= due)
