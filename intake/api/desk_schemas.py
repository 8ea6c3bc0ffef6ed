"""The desk API's shapes: what agents send, with the rules of the other API bodies, and what
they get back: the whole thread with internal notes, and the audit trail.

Names of agents, groups and linked tickets come from a `Names` the view loads in one query
per table, so building an answer never loads row by row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool

from intake.api.schemas import AttachmentOut, Body, Out, ReplyCreate, Utc
from intake.models import (
    AuthorType,
    SupportTicket,
    TicketCategory,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketResponse,
    TicketStatus,
)
from intake.tickets import rules
from intake.tickets.agent_work import Changes

# strict: JSON's true, 3.5 or "3" are no ids (unstrict, true would name agent 1).
Id = Annotated[int, Field(ge=1, le=rules.ID_MAX, strict=True)]
Version = Annotated[
    int,
    Field(ge=1, le=rules.ID_MAX, strict=True, description="The ticket's `version` as last read."),
]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _absent(description: str | None = None) -> Any:
    """A key that may be left out (the field then stays as it is); null only if its type says."""
    return Field(default=None, json_schema_extra=_no_default, description=description)


class DeskReplyCreate(ReplyCreate):
    """A public reply (mailed to the customer) or, with `internal`, a note only agents see."""

    internal: StrictBool = False
    status: TicketStatus | None = Field(
        default=None,
        description="The status after a public reply; by default the life cycle's (pending).",
    )
    version: Version


# Kept lower-cased; unaccented letters only (rules.clean_tags), said here for clients.
Tag = Annotated[str, Field(min_length=1, max_length=rules.TAG_MAX,
                           json_schema_extra={"pattern": rules.TAG_PATTERN})]  # fmt: skip


class DeskTicketChange(Body):
    """Fields to change; a key left out stays as it is, and null unassigns or ungroups."""

    version: Version
    status: TicketStatus = _absent()
    priority: TicketPriority = _absent()
    category: TicketCategory = _absent()
    tags: Annotated[list[Tag], Field(max_length=rules.TAGS_PER_TICKET)] = _absent()
    assignee_id: Id | None = _absent("An active agent's id; null unassigns.")
    group_id: Id | None = _absent("A group's id; null takes the ticket out of its group.")

    def changes(self) -> Changes:
        """Return the changes the body asks for (only the keys it sent)."""
        return Changes(**{key: getattr(self, key) for key in self.model_fields_set - {"version"}})


class DeskMerge(Body):
    """Merge this ticket (a duplicate) into another ticket of the same customer."""

    into: Annotated[str, Field(min_length=1, max_length=24, description="The other reference.")]
    version: Version


@dataclass(frozen=True)
class Names:
    """Agents', groups' and linked tickets' names by id, for building answers."""

    agents: Mapping[int, str]
    groups: Mapping[int, str]
    references: Mapping[int, str]

    def agent(self, agent_id: int | None) -> Named | None:
        """Return the agent of an id, or None."""
        return None if agent_id is None else Named(id=agent_id, name=self.agents.get(agent_id, ""))

    def group(self, group_id: int | None) -> Named | None:
        """Return the group of an id, or None."""
        return None if group_id is None else Named(id=group_id, name=self.groups.get(group_id, ""))


class Named(Out):
    """An agent or a group: its id and name."""

    id: int
    name: str


class DeskTicketSummary(Out):
    """A ticket's fields, as the queue lists them."""

    reference: str
    status: TicketStatus
    priority: TicketPriority
    category: TicketCategory
    subject: str
    name: str
    email: str
    tags: list[str]
    assignee: Named | None
    group: Named | None
    merged_into: str | None = Field(description="The ticket this one was merged into.")
    version: int = Field(description="Send it back with a change; it grows with every change.")
    created_at: Utc
    updated_at: Utc
    resolved_at: Utc | None
    first_response_due_at: Utc | None = Field(description="When the first answer is due.")
    resolution_due_at: Utc | None = Field(description="When the resolution is due.")

    @classmethod
    def fields_of(cls, ticket: SupportTicket, names: Names) -> dict[str, Any]:
        """Return the ticket's fields."""
        merged = ticket.merged_into_id
        return {
            "reference": ticket.reference, "status": ticket.status, "priority": ticket.priority,
            "category": ticket.category, "subject": ticket.subject,
            "name": ticket.customer_name, "email": ticket.customer_email,
            "tags": ticket.tag_names, "assignee": names.agent(ticket.assigned_agent_id),
            "group": names.group(ticket.group_id),
            "merged_into": None if merged is None else names.references.get(merged),
            "version": ticket.version, "created_at": ticket.created_at,
            "updated_at": ticket.updated_at, "resolved_at": ticket.resolved_at,
            "first_response_due_at": ticket.first_response_due_at,
            "resolution_due_at": ticket.resolution_due_at,
        }  # fmt: skip

    @classmethod
    def of(cls, ticket: SupportTicket, names: Names) -> DeskTicketSummary:
        """Return the ticket without its thread."""
        return cls(**cls.fields_of(ticket, names))


class DeskMessage(Out):
    """One message of the thread: the customer's, an agent's reply, or an internal note."""

    id: int
    author: AuthorType
    agent: Named | None
    internal: bool
    body: str
    created_at: Utc
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, item: TicketResponse, names: Names) -> DeskMessage:
        """Return a message with its files."""
        files = [AttachmentOut.of(a) for a in item.ticket.attachments if a.response_id == item.id]
        return cls(id=item.id, author=item.author_type, agent=names.agent(item.agent_id),
                   internal=item.is_internal, body=item.body, created_at=item.created_at,
                   attachments=files)  # fmt: skip


class DeskEvent(Out):
    """One entry of the audit trail: what happened, by whom, when."""

    id: int
    kind: TicketEventKind
    actor: AuthorType
    agent: Named | None
    detail: str
    created_at: Utc

    @classmethod
    def of(cls, item: TicketEvent, names: Names) -> DeskEvent:
        """Return an audit entry."""
        return cls(id=item.id, kind=item.kind, actor=item.actor, agent=names.agent(item.agent_id),
                   detail=item.detail, created_at=item.created_at)  # fmt: skip


class DeskTicket(DeskTicketSummary):
    """A ticket with its whole thread in time order (internal notes too), its files and its
    audit trail."""

    description: str
    notify_customer: bool
    first_response_at: Utc | None
    attachments: list[AttachmentOut] = Field(description="The files sent with the ticket.")
    messages: list[DeskMessage]
    events: list[DeskEvent]

    @classmethod
    def full(cls, ticket: SupportTicket, events: Sequence[TicketEvent], names: Names) -> DeskTicket:
        """Return the ticket, its thread and its audit trail."""
        return cls(
            **cls.fields_of(ticket, names),
            description=ticket.description,
            notify_customer=ticket.notify_customer,
            first_response_at=ticket.first_response_at,
            attachments=[AttachmentOut.of(a) for a in ticket.attachments if a.response_id is None],
            messages=[DeskMessage.of(r, names) for r in _by_time(ticket.responses)],
            events=[DeskEvent.of(e, names) for e in events],
        )


def _by_time(messages: Sequence[TicketResponse]) -> list[TicketResponse]:
    # A merge moves older messages in after newer ones: the thread reads in time order.
    return sorted(messages, key=lambda m: (m.created_at, m.id))


class StatusCounts(Out):
    """How many tickets the filter selects in each status (its other filters applied)."""

    active: int
    all: int
    open: int
    in_progress: int
    pending: int
    resolved: int
    closed: int
    missed: int = Field(description="Unfinished tickets past their next target.")
    soon: int = Field(description="Unfinished tickets within the tenant's warning before one.")


class DeskTicketList(Out):
    """One page of the queue."""

    tickets: list[DeskTicketSummary]
    counts: StatusCounts
    page: int
    next_page: int | None


class DeskTicketEnvelope(Out):
    """A ticket, its thread and its audit trail."""

    ticket: DeskTicket


class DeskTicketChanged(Out):
    """The ticket after a change, and what changed, in words."""

    ticket: DeskTicket
    changed: list[str]


class DeskReplyCreated(Out):
    """The new message, and the ticket after it (with its new version)."""

    message: DeskMessage
    ticket: DeskTicketSummary


class DeskMerged(Out):
    """The merged ticket (closed, forwarding) and the one it was merged into."""

    ticket: DeskTicketSummary
    into: DeskTicketSummary


DESK_REQUEST_MODELS: tuple[type[BaseModel], ...] = (DeskReplyCreate, DeskTicketChange, DeskMerge)
DESK_RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    DeskTicketList, DeskTicketEnvelope, DeskTicketChanged, DeskReplyCreated, DeskMerged,
)  # fmt: skip
