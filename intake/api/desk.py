"""The agents' desk as JSON: what an agent does in the desk, an integration does here with the
agent's API token (intake.api.agent_auth): list and filter the queue, read a ticket with its
whole thread, reply or note, change fields, merge a duplicate.

Every change names the ticket's `version` the caller last read: a ticket changed since then
is not overwritten (409, naming who changed it). Bodies are read and checked before the write
transaction opens; the ticket's row is locked in it, so two changes cannot both pass the check;
the change is announced on the events bus once committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from flask import Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from intake.api.agent_auth import acting_agent, agent_blueprint, reading_agent
from intake.api.desk_schemas import (
    DeskMerge,
    DeskMerged,
    DeskMessage,
    DeskReplyCreate,
    DeskReplyCreated,
    DeskTicket,
    DeskTicketChange,
    DeskTicketChanged,
    DeskTicketEnvelope,
    DeskTicketList,
    DeskTicketSummary,
    Names,
    StatusCounts,
)
from intake.api.schemas import dump, parse
from intake.db import TenantSession
from intake.errors import IntakeError, InvalidInput, NotFound
from intake.models import Agent, AgentGroup, SupportTicket, TicketEvent
from intake.state import state
from intake.tickets.access import REFERENCE_RE
from intake.tickets.agent_work import Desk, change_fields, check_version, merge, reply
from intake.tickets.changes import ticket_changed
from intake.tickets.queue import parse_filter, queue_page
from intake.web.json import request_json
from intake.web.tenancy import desk_settings, tenant, tenant_session

bp = agent_blueprint("api_desk", __name__, "/api/v1")


def _desk() -> Desk:
    return desk_settings()


def _find(
    session: TenantSession, references: Iterable[str], lock: bool = True
) -> dict[str, SupportTicket]:
    """Return the tenant's tickets of these references; `lock` holds their rows until commit."""
    wanted = {r.upper() for r in references if REFERENCE_RE.match(r)}
    if not wanted:
        return {}
    # Always in the same order, so two merges of the same pair cannot deadlock.
    query = select(SupportTicket).where(SupportTicket.reference.in_(wanted))
    query = query.order_by(SupportTicket.id)
    return {t.reference: t for t in session.scalars(query.with_for_update() if lock else query)}


def _ticket(session: TenantSession, reference: str, lock: bool = True) -> SupportTicket:
    found = _find(session, [reference], lock).get(reference.upper())
    if found is None:
        raise NotFound()
    return found


def _names(
    session: TenantSession, tickets: Sequence[SupportTicket], agents: Iterable[int | None] = ()
) -> Names:
    """Load the names that an answer about these tickets shows, one query per table."""
    agent_ids = {t.assigned_agent_id for t in tickets} | set(agents)
    return Names(
        agents=_by_id(session, Agent.id, Agent.name, agent_ids),
        groups=_by_id(session, AgentGroup.id, AgentGroup.name, {t.group_id for t in tickets}),
        references=_by_id(session, SupportTicket.id, SupportTicket.reference,
                          {t.merged_into_id for t in tickets}),
    )  # fmt: skip


def _by_id(
    session: TenantSession,
    key: InstrumentedAttribute[int],
    value: InstrumentedAttribute[str],
    ids: set[int | None],
) -> dict[int, str]:
    wanted = ids - {None}
    if not wanted:
        return {}
    return {k: v for k, v in session.execute(select(key, value).where(key.in_(wanted)))}


def _full(session: TenantSession, ticket: SupportTicket) -> DeskTicket:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    events = list(session.scalars(query))
    authors = [r.agent_id for r in ticket.responses] + [e.agent_id for e in events]
    return DeskTicket.full(ticket, events, _names(session, [ticket], authors))


@contextmanager
def _fields_named(ours: Mapping[str, str]) -> Iterator[None]:
    """Name our body's keys in the errors of services that name their own arguments."""
    try:
        yield
    except IntakeError as exc:
        exc.field = ours.get(exc.field or "", exc.field)
        raise


@bp.route("/desk/tickets", methods=["GET"])
def list_tickets() -> Response:
    """Return one page of the queue (the desk's filters as query parameters)."""
    view = parse_filter(request.args)
    session = tenant_session()
    page = queue_page(session, view, reading_agent())
    names = _names(session, page.tickets)
    answer = DeskTicketList(
        tickets=[DeskTicketSummary.of(t, names) for t in page.tickets],
        counts=StatusCounts.model_validate(page.counts),
        page=view.page,
        next_page=view.page + 1 if page.has_next else None,
    )
    return jsonify(dump(answer))


@bp.route("/desk/tickets/<reference>", methods=["GET"])
def read(reference: str) -> Response:
    """Return a ticket with its whole thread, internal notes included, and its audit trail."""
    session = tenant_session()
    ticket = _ticket(session, reference, lock=False)
    return jsonify(dump(DeskTicketEnvelope(ticket=_full(session, ticket))))


@bp.route("/desk/tickets/<reference>/replies", methods=["POST"])
def reply_to(reference: str) -> tuple[Response, int]:
    """Add a public reply (one mail to the customer) or an internal note (no mail)."""
    body = parse(DeskReplyCreate, request_json())
    if body.internal and body.status is not None:
        raise InvalidInput("status: a note leaves the status as it is; change it with PATCH.",
                           "status")  # fmt: skip
    desk = _desk()
    with state().db.write(tenant().id) as session:
        agent = acting_agent(session)
        ticket = _ticket(session, reference)
        check_version(session, ticket, body.version)
        response = reply(session, ticket, agent, body.body, desk, internal=body.internal,
                         status_after=body.status)  # fmt: skip
        names = _names(session, [ticket], [agent.id])
        answer = DeskReplyCreated(
            message=DeskMessage.of(response, names), ticket=DeskTicketSummary.of(ticket, names)
        )
    what = "note" if body.internal else "replied"
    ticket_changed(state().events, tenant().id, ticket.id, what, customer_sees=not body.internal)
    return jsonify(dump(answer)), 201


@bp.route("/desk/tickets/<reference>", methods=["PATCH"])
def change(reference: str) -> Response:
    """Change a ticket's fields: only the keys sent; each change goes into the audit trail."""
    body = parse(DeskTicketChange, request_json())
    changes = body.changes()
    desk = _desk()
    with state().db.write(tenant().id) as session:
        agent = acting_agent(session)
        ticket = _ticket(session, reference)
        check_version(session, ticket, body.version)
        with _fields_named({"assignee": "assignee_id", "group": "group_id"}):
            done = change_fields(session, ticket, agent, changes, desk)
        answer = DeskTicketChanged(ticket=_full(session, ticket), changed=done)
    if done:
        ticket_changed(state().events, tenant().id, ticket.id, "fields",
                       customer_sees=any(d.startswith("status") for d in done))  # fmt: skip
    return jsonify(dump(answer))


@bp.route("/desk/tickets/<reference>/merge", methods=["POST"])
def merge_into(reference: str) -> Response:
    """Merge this ticket into another of the same customer; it closes and forwards there."""
    body = parse(DeskMerge, request_json())
    desk = _desk()
    with state().db.write(tenant().id) as session:
        agent = acting_agent(session)
        found = _find(session, [reference, body.into])
        source = found.get(reference.upper())
        if source is None:
            raise NotFound()
        target = found.get(body.into.upper())
        if target is None:
            raise InvalidInput("into: no ticket of this help center has this reference.", "into")
        check_version(session, source, body.version)
        with _fields_named({"target": "into"}):
            merge(session, source, target, agent, desk)
        names = _names(session, [source, target])
        answer = DeskMerged(
            ticket=DeskTicketSummary.of(source, names), into=DeskTicketSummary.of(target, names)
        )
    for ticket in (source, target):
        ticket_changed(state().events, tenant().id, ticket.id, "merged", customer_sees=True)
    return jsonify(dump(answer))
