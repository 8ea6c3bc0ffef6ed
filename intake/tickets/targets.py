"""Service targets: when a ticket's first answer and resolution are due, and what a customer
may expect.

A tenant's policy is its settings (`first_response_hours_<priority>`,
`resolution_hours_<priority>`, counted in working time: `time_zone`, `business_hours`,
`holidays`; `breach_warning_minutes`). Each ticket stores its two due times, set when it is
created and moved when its priority or the policy changes, so the queue sorts and counts by
them in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update

from intake.db import TenantSession
from intake.models import SupportTicket, TicketPriority, TicketStatus, as_utc, utcnow
from intake.settings import TenantSettings
from intake.settings.registry import SETTINGS, TARGETS, target_key
from intake.tickets.calendar import Calendar, due_after, parse_holidays, parse_hours, parse_zone

# The settings a policy is made of: changing one moves the due times of open tickets.
POLICY_KEYS = frozenset({"time_zone", "business_hours", "holidays", *TARGETS})
UNFINISHED = (TicketStatus.open, TicketStatus.in_progress, TicketStatus.pending)


@dataclass(frozen=True)
class Policy:
    """A tenant's targets (hours of working time per priority; 0: none) and its calendar."""

    calendar: Calendar = field(default_factory=Calendar)
    first_response: Mapping[TicketPriority, int] = field(default_factory=dict)
    resolution: Mapping[TicketPriority, int] = field(default_factory=dict)
    warning: dt.timedelta = dt.timedelta(hours=1)

    def due_times(
        self, created_at: dt.datetime, priority: TicketPriority
    ) -> tuple[dt.datetime | None, dt.datetime | None]:
        """Return when a ticket created then, of that priority, is due to be answered and
        resolved (None where there is no target)."""
        first, resolved = self.first_response.get(priority, 0), self.resolution.get(priority, 0)
        return (due_after(created_at, first, self.calendar) if first else None,
                due_after(created_at, resolved, self.calendar) if resolved else None)  # fmt: skip


def policy_from(values: Mapping[str, Any]) -> Policy:
    """Return the policy of a tenant's setting values (defaults for those not given)."""

    def value(key: str) -> Any:
        return values.get(key, SETTINGS[key].default)

    calendar = Calendar(parse_zone(value("time_zone")), parse_hours(value("business_hours")),
                        parse_holidays(value("holidays")))  # fmt: skip
    return Policy(
        calendar,
        {p: int(value(target_key("first_response", p))) for p in TicketPriority},
        {p: int(value(target_key("resolution", p))) for p in TicketPriority},
        dt.timedelta(minutes=int(value("breach_warning_minutes"))),
    )


def read_policy(settings: TenantSettings) -> Policy:
    """Return the policy of the settings' tenant (one query)."""
    return policy_from(settings.plain_values())


def set_due_times(ticket: SupportTicket, policy: Policy) -> None:
    """Set the ticket's due times from its creation and priority under `policy`."""
    first, resolved = policy.due_times(as_utc(ticket.created_at), ticket.priority)
    ticket.first_response_due_at, ticket.resolution_due_at = first, resolved


def move_due_times(session: TenantSession, policy: Policy) -> int:
    """Set again the due times of the tenant's unfinished tickets (the policy changed);
    return how many there were."""
    found = session.execute(
        select(SupportTicket.id, SupportTicket.created_at, SupportTicket.priority).where(
            SupportTicket.status.in_(UNFINISHED)
        )
    ).all()
    for ticket_id, created_at, priority in found:
        first, resolved = policy.due_times(as_utc(created_at), priority)
        # A target moved by the policy is no change of the ticket: its "updated" time and its
        # version stay (a new version made every open desk page's next save a conflict).
        session.execute(
            # Unless an agent changed its priority meanwhile (which set its due times anew).
            update(SupportTicket).where(SupportTicket.id == ticket_id,
                                        SupportTicket.priority == priority)
            .values(first_response_due_at=first, resolution_due_at=resolved,
                    updated_at=SupportTicket.updated_at)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    return len(found)


def change_settings(settings: TenantSettings, values: Mapping[str, Any]) -> int:
    """Store setting values (each checked); when the policy changed, move the due times of
    the unfinished tickets. Return how many tickets were moved."""
    for key, value in values.items():
        settings.set(key, value)
    if POLICY_KEYS.isdisjoint(values):
        return 0
    return move_due_times(settings.session, read_policy(settings))


def next_due() -> ColumnElement[dt.datetime | None]:
    """The next target of a ticket in SQL: its first answer until one is given, then its
    resolution; none once resolved or closed."""
    return case(
        (SupportTicket.status.not_in(UNFINISHED), None),
        (SupportTicket.first_response_at.is_(None),
         func.coalesce(SupportTicket.first_response_due_at, SupportTicket.resolution_due_at)),
        else_=SupportTicket.resolution_due_at,
    )  # fmt: skip


def next_due_of(ticket: SupportTicket) -> dt.datetime | None:
    """The same as next_due(), for a loaded ticket."""
    if ticket.status not in UNFINISHED:
        return None
    due = ticket.resolution_due_at
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        due = ticket.first_response_due_at
    return as_utc(due) if due is not None else None


@dataclass(frozen=True)
class Expectation:
    """A target still to meet: within how many hours, by when, and whether that has passed."""

    hours: int
    due: dt.datetime
    late: bool


def first_answer_expected(
    ticket: SupportTicket, policy: Policy, now: dt.datetime | None = None
) -> Expectation | None:
    """Return when the ticket's first answer is due, while it waits for one under a target."""
    due = ticket.first_response_due_at
    if due is None or ticket.first_response_at is not None or ticket.status not in UNFINISHED:
        return None
    due = as_utc(due)
    return Expectation(policy.first_response.get(ticket.priority, 0), due, (now or utcnow()) >= due)
