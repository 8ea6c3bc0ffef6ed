"""What agents do to tickets: reply or note, change fields, merge a duplicate, cite articles.

Every change names the version of the ticket the agent saw; a ticket changed since then is
not overwritten (Conflict, saying who changed it). Each action sends the customer at most
one mail, and only when they will see something: a public reply, or a resolved ticket.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update

from intake.db import TenantSession
from intake.errors import Conflict, InvalidInput
from intake.files import SavedFile
from intake.models import (
    Agent,
    AgentGroup,
    AuthorType,
    KnowledgeBaseArticle,
    NotificationKind,
    SupportTicket,
    TicketAttachment,
    TicketCategory,
    TicketCitation,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketResponse,
    TicketStatus,
    TicketTag,
    utcnow,
)
from intake.settings import TenantSettings
from intake.tickets import mails
from intake.tickets.access import hash_token, new_token
from intake.tickets.lifecycle import Action, check_manual_change, next_status
from intake.tickets.notify import group_members, notify
from intake.tickets.rules import TAGS_PER_TICKET, address_key, clean_tags
from intake.tickets.targets import UNFINISHED, read_policy, set_due_times
from intake.tickets.thread import add_message, back_to_the_queue, record, set_status

KEEP = object()  # a field left as it is
STATUS_NOTES = {
    TicketStatus.resolved: "We have marked your request as resolved. Reply if you need more help:"
    " that reopens it.",
    TicketStatus.closed: "Your request is closed. Write to us again and we open a new one.",
}


@dataclass(frozen=True)
class Desk:
    """What agents' actions need besides the ticket: the tenant's mail brand, desk link."""

    brand: mails.Brand
    desk_link: str = ""  # absolute URL of /desk/<tenant>, for agents' notification mails


@dataclass
class Changes:
    """Fields an agent changes; KEEP leaves a field as it is."""

    status: TicketStatus | object = KEEP
    priority: TicketPriority | object = KEEP
    category: TicketCategory | object = KEEP
    assignee_id: int | None | object = KEEP
    group_id: int | None | object = KEEP
    tags: list[str] | object = KEEP
    described: list[str] = field(default_factory=list)


def check_version(session: TenantSession, ticket: SupportTicket, seen: int) -> None:
    """Refuse a save made from a page older than the ticket, naming who changed it."""
    if ticket.version == seen:
        return
    raise Conflict(
        f"{who_changed(session, ticket)} changed this ticket since you opened it; nothing was"
        " saved. Reload it to see the changes, then save again.",
        "version",
    )


def who_changed(
    session: TenantSession, ticket: SupportTicket, kind: TicketEventKind | None = None
) -> str:
    """Name whoever changed the ticket last (made its last change of `kind`, if given): an
    agent, the customer or the service."""
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if kind is not None:
        query = query.where(TicketEvent.kind == kind)
    last = session.scalars(query.order_by(TicketEvent.id.desc())).first()
    if last is not None and last.agent_id is not None:
        agent = session.get(Agent, last.agent_id)
        return agent.name if agent else "Another agent"
    if last is not None and last.actor == AuthorType.system:
        return "The service's automatic work (a mail received, auto-assign or auto-close)"
    return "The customer"


def _active_agent(session: TenantSession, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise InvalidInput("Choose an active agent of this team.", "assignee")
    return agent


def _group(session: TenantSession, group_id: int) -> AgentGroup:
    group = session.get(AgentGroup, group_id)
    if group is None:
        raise InvalidInput("Choose a group of this team.", "group")
    return group


def change_fields(
    session: TenantSession, ticket: SupportTicket, agent: Agent, changes: Changes, desk: Desk
) -> list[str]:
    """Apply an agent's changes (each recorded); return what changed, in words."""
    done: list[str] = []
    if changes.priority is not KEEP and changes.priority != ticket.priority:
        assert isinstance(changes.priority, TicketPriority)
        record(session, ticket, TicketEventKind.priority_changed,
               f"{ticket.priority.value} -> {changes.priority.value}", agent)  # fmt: skip
        ticket.priority = changes.priority
        set_due_times(ticket, read_policy(TenantSettings(session)))  # its targets follow
        done.append(f"priority {changes.priority.value}")
    if changes.category is not KEEP and changes.category != ticket.category:
        assert isinstance(changes.category, TicketCategory)
        record(session, ticket, TicketEventKind.category_changed,
               f"{ticket.category.value} -> {changes.category.value}", agent)  # fmt: skip
        ticket.category = changes.category
        done.append(f"category {changes.category.value}")
    if changes.tags is not KEEP:
        assert isinstance(changes.tags, list)
        done += _set_tags(session, ticket, agent, clean_tags(changes.tags))
    if changes.group_id is not KEEP and changes.group_id != ticket.group_id:
        # Whom this change assigns hears of it as the assignee: one notice, not two.
        assigning = changes.assignee_id if changes.assignee_id is not KEEP else None
        done += _set_group(session, ticket, agent, changes.group_id, desk,  # type: ignore[arg-type]
                           but=assigning if isinstance(assigning, int) else None)  # fmt: skip
    if changes.assignee_id is not KEEP and changes.assignee_id != ticket.assigned_agent_id:
        done += _assign(session, ticket, agent, changes.assignee_id, desk)  # type: ignore[arg-type]
    if changes.status is not KEEP and changes.status != ticket.status:
        assert isinstance(changes.status, TicketStatus)
        check_manual_change(ticket.status, changes.status)
        set_status(session, ticket, changes.status, agent)
        done.append(f"status {changes.status.value.replace('_', ' ')}")
        if changes.status in STATUS_NOTES and ticket.notify_customer:
            note = STATUS_NOTES[changes.status]
            desk.brand.enqueue(session, ticket, "Status update",
                               mails.status_changed(desk.brand, ticket, note))  # fmt: skip
    if done:
        ticket.updated_at = utcnow()
        session.flush()
    return done


def _set_tags(
    session: TenantSession, ticket: SupportTicket, agent: Agent, tags: list[str]
) -> list[str]:
    if tags == ticket.tag_names:
        return []
    record(session, ticket, TicketEventKind.tags_changed,
           f"{', '.join(ticket.tag_names) or '-'} -> {', '.join(tags) or '-'}", agent)  # fmt: skip
    # Kept tags keep their rows: a new row of a kept tag would be inserted before the old one
    # is deleted, against the unique key.
    kept = {t.tag: t for t in ticket.tags}
    ticket.tags = [kept.get(tag) or TicketTag(tag=tag) for tag in tags]
    return ["tags " + (", ".join(tags) or "none")]


def _set_group(session: TenantSession, ticket: SupportTicket, agent: Agent, group_id: int | None,
               desk: Desk, but: int | None = None) -> list[str]:  # fmt: skip
    group = _group(session, group_id) if group_id is not None else None
    record(
        session, ticket, TicketEventKind.group_changed, group.name if group else "no group", agent
    )
    ticket.group_id = group_id
    if group is not None:
        members = [m for m in group_members(session, group.id) if m != but]
        notify(session, members, ticket, NotificationKind.new_ticket, agent, desk.desk_link)
    return [f"group {group.name if group else 'none'}"]


def _assign(session: TenantSession, ticket: SupportTicket, agent: Agent, assignee_id: int | None,
            desk: Desk) -> list[str]:  # fmt: skip
    assignee = _active_agent(session, assignee_id) if assignee_id is not None else None
    record(session, ticket, TicketEventKind.assigned,
           assignee.name if assignee else "unassigned", agent)  # fmt: skip
    ticket.assigned_agent_id = assignee_id
    if assignee is not None:
        set_status(session, ticket, next_status(Action.agent_assign, ticket.status), agent)
        notify(session, [assignee.id], ticket, NotificationKind.assigned, agent, desk.desk_link)
    return [f"assigned to {assignee.name if assignee else 'nobody'}"]


def release_tickets(session: TenantSession, agent: Agent) -> int:
    """Give back to the queue the unfinished tickets of an agent who can no longer work them
    (deactivated): unassigned, "in progress" back to open (auto-assign's again), recorded as
    the system's; return how many. Else a customer's reply would notify nobody."""
    mine = select(SupportTicket).where(SupportTicket.assigned_agent_id == agent.id,
                                       SupportTicket.status.in_(UNFINISHED))  # fmt: skip
    released = 0
    for ticket in session.scalars(mine):
        back_to_the_queue(session, ticket, agent.name)
        released += 1
    return released


def reply(
    session: TenantSession,
    ticket: SupportTicket,
    agent: Agent,
    body: str,
    desk: Desk,
    files: Sequence[SavedFile] = (),
    internal: bool = False,
    status_after: TicketStatus | None = None,
) -> TicketResponse:
    """Add an agent's public reply (one mail to the customer) or internal note (no mail)."""
    if internal:
        next_status(Action.agent_note, ticket.status)
        response = add_message(session, ticket, body, files, agent, internal=True)
        session.flush()
        return response
    status = status_after or next_status(Action.agent_reply, ticket.status)
    next_status(Action.agent_reply, ticket.status)  # a closed ticket refuses, whatever is asked
    check_manual_change(ticket.status, status)
    response = add_message(session, ticket, body, files, agent)
    set_status(session, ticket, status, agent)
    ticket.first_response_at = ticket.first_response_at or utcnow()
    cite_articles(session, ticket, agent, body)
    if ticket.notify_customer:
        note = STATUS_NOTES.get(status, "")
        desk.brand.enqueue(session, ticket, f"Re: {ticket.subject}",
                           mails.agent_reply(desk.brand, ticket, body, note))  # fmt: skip
    session.flush()
    return response


ARTICLE_PATH = re.compile(r"/[A-Za-z0-9_-]+/articles/[a-z0-9-]+/")


def cite_articles(session: TenantSession, ticket: SupportTicket, agent: Agent, body: str) -> int:
    """Record the tenant's published articles a reply links to; return how many are new."""
    paths = set(ARTICLE_PATH.findall(body))
    if not paths:
        return 0
    articles = session.scalars(
        select(KnowledgeBaseArticle).where(KnowledgeBaseArticle.url.in_(paths))
    )
    known = set(session.scalars(select(TicketCitation.article_id).where(
        TicketCitation.ticket_id == ticket.id)))  # fmt: skip
    new = [a for a in articles if a.id not in known]
    for article in new:
        session.add(TicketCitation(ticket_id=ticket.id, article_id=article.id, agent_id=agent.id))
        record(session, ticket, TicketEventKind.article_cited, article.slug, agent)
    return len(new)


def merge(
    session: TenantSession, source: SupportTicket, target: SupportTicket, agent: Agent, desk: Desk
) -> None:
    """Merge a duplicate into another ticket of the same customer: its thread moves over, it
    closes and forwards to the target, and its customer is told (one mail)."""
    if source.id == target.id:
        raise InvalidInput("A ticket cannot be merged into itself.", "target")
    if target.merged_into_id is not None or target.status == TicketStatus.closed:
        raise Conflict(f"{target.reference} is closed; merge into an open ticket.", "target")
    if address_key(source.customer_email) != address_key(target.customer_email):
        raise Conflict("Only tickets of the same customer can be merged: each customer's"
                       " thread stays private to them.", "target")  # fmt: skip
    status = next_status(Action.merged_away, source.status)
    merged_tags = sorted(set(target.tag_names) | set(source.tag_names))
    if len(merged_tags) > TAGS_PER_TICKET:  # checked first: nothing moves on a refusal
        raise Conflict(f"Together the tickets have {len(merged_tags)} tags; a ticket takes at "
                       f"most {TAGS_PER_TICKET}: remove some first.", "target")  # fmt: skip
    # The duplicate's first message becomes a message of the target, with its files.
    first = f"[{source.reference}] {source.subject}\n\n{source.description}"
    copied = TicketResponse(ticket_id=target.id, author_type=AuthorType.customer, body=first)
    copied.created_at = source.created_at
    session.add(copied)
    session.flush()
    session.execute(
        update(TicketAttachment)
        .where(TicketAttachment.ticket_id == source.id, TicketAttachment.response_id.is_(None))
        .values(ticket_id=target.id, response_id=copied.id)
    )
    for model in (TicketResponse, TicketAttachment):
        session.execute(
            update(model).where(model.ticket_id == source.id).values(ticket_id=target.id)
        )
    set_status(session, source, status, agent)
    source.merged_into_id = target.id
    record(session, source, TicketEventKind.merged, f"into {target.reference}", agent)
    record(session, target, TicketEventKind.merged, f"from {source.reference}", agent)
    _set_tags(session, target, agent, merged_tags)
    source.updated_at = target.updated_at = utcnow()
    # The address is all that joins the two, and anyone may have sent either in its name: the
    # link shown at the kept ticket's creation stops opening it, and its links go by mail only.
    target.token_hash = hash_token(new_token())
    session.flush()
    session.expire(source, ["responses", "attachments"])
    session.expire(target, ["responses", "attachments"])
    if source.notify_customer or target.notify_customer:
        desk.brand.enqueue(session, source, f"Joined with {target.reference}",
                           mails.merged(desk.brand, source, target))  # fmt: skip
