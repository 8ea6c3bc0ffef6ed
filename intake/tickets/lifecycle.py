"""A ticket's status life cycle: one table of what each action does from each status.

docs/service.md prints this table; tests/intake/test_lifecycle.py checks every row. `None`
means the action is refused from that status (closed is final: a customer who writes to a
closed ticket opens a follow-up ticket instead, intake.tickets.followups).
"""

from __future__ import annotations

import enum

from intake.errors import Conflict
from intake.models import TicketStatus

OPEN, IN_PROGRESS, PENDING, RESOLVED, CLOSED = (
    TicketStatus.open, TicketStatus.in_progress, TicketStatus.pending, TicketStatus.resolved,
    TicketStatus.closed,
)  # fmt: skip


class Action(enum.Enum):
    """What can happen to a ticket."""

    customer_reply = "a customer's reply"
    customer_resolve = "the customer marks it resolved"
    agent_reply = "an agent's public reply"
    agent_note = "an agent's internal note"
    agent_assign = "an agent is assigned"
    merged_away = "it is merged into another ticket"


TRANSITIONS: dict[Action, dict[TicketStatus, TicketStatus | None]] = {
    # The customer wrote: an agent has something to answer again.
    Action.customer_reply: {OPEN: OPEN, IN_PROGRESS: IN_PROGRESS, PENDING: OPEN, RESOLVED: OPEN,
                            CLOSED: None},
    Action.customer_resolve: {OPEN: RESOLVED, IN_PROGRESS: RESOLVED, PENDING: RESOLVED,
                              RESOLVED: RESOLVED, CLOSED: CLOSED},
    # An agent answered: the ticket waits on the customer.
    Action.agent_reply: {OPEN: PENDING, IN_PROGRESS: PENDING, PENDING: PENDING,
                         RESOLVED: PENDING, CLOSED: None},
    Action.agent_note: {OPEN: OPEN, IN_PROGRESS: IN_PROGRESS, PENDING: PENDING,
                        RESOLVED: RESOLVED, CLOSED: CLOSED},
    # Someone took it: it is being worked on.
    Action.agent_assign: {OPEN: IN_PROGRESS, IN_PROGRESS: IN_PROGRESS, PENDING: PENDING,
                          RESOLVED: RESOLVED, CLOSED: CLOSED},
    Action.merged_away: {OPEN: CLOSED, IN_PROGRESS: CLOSED, PENDING: CLOSED, RESOLVED: CLOSED,
                         CLOSED: None},
}  # fmt: skip

REFUSED = {
    Action.customer_reply: "This ticket is closed; please open a new one.",
    Action.agent_reply: "This ticket is closed: nothing more goes to the customer from it.",
    Action.merged_away: "A closed ticket cannot be merged.",
}


def next_status(action: Action, current: TicketStatus) -> TicketStatus:
    """Return the status after `action`, or raise Conflict when the table refuses it."""
    after = TRANSITIONS[action][current]
    if after is None:
        raise Conflict(REFUSED[action], "status")
    return after


def check_manual_change(current: TicketStatus, wanted: TicketStatus) -> None:
    """An agent may set any status, except leave closed: closed is final."""
    if current is CLOSED and wanted is not CLOSED:
        raise Conflict("A closed ticket stays closed; the customer can open a follow-up.",
                       "status")  # fmt: skip
