"""A ticket's life cycle: every row of intake.tickets.lifecycle.TRANSITIONS enacted through the
real services on a real ticket, an agent's status changes by hand, and a closed ticket that a
customer writes to again (a linked follow-up, the closed one untouched)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.db import TenantSession
from intake.errors import Conflict
from intake.models import (
    Agent,
    OutboxMessage,
    SupportTicket,
    TicketEvent,
    TicketEventKind,
    TicketResponse,
    TicketStatus,
)
from intake.state import state
from intake.tickets import replies
from intake.tickets.agent_work import Changes, Desk, change_fields, merge, reply
from intake.tickets.lifecycle import REFUSED, TRANSITIONS, Action
from intake.tickets.loading import ticket_by_reference
from intake.tickets.mails import Brand
from tests.intake.conftest import PNG, SECRET, api_ticket, form_fields

DESK = Desk(
    Brand("EUR", "http://desk.test/eur/tickets", "Nimbus Cloud", SECRET, "support@desk.test"),
    "http://desk.test/desk/eur",
)


@dataclass(frozen=True)
class Scene:
    """What an action needs: the session, the ticket, an agent and (for merging) a target."""

    session: TenantSession
    ticket: SupportTicket
    agent: Agent
    target: SupportTicket


ACTS: dict[Action, Callable[[Scene], object]] = {
    Action.customer_reply: lambda s: replies.add_reply(s.session, s.ticket, "Any news on this?"),
    Action.customer_resolve: lambda s: replies.resolve(s.session, s.ticket),
    Action.agent_reply: lambda s: reply(s.session, s.ticket, s.agent, "Fixed; try again.", DESK),
    Action.agent_note: lambda s: reply(
        s.session, s.ticket, s.agent, "Checked the logs.", DESK, internal=True
    ),
    Action.agent_assign: lambda s: change_fields(
        s.session, s.ticket, s.agent, Changes(assignee_id=s.agent.id), DESK
    ),
    Action.merged_away: lambda s: merge(s.session, s.ticket, s.target, s.agent, DESK),
}
FINISHED = (TicketStatus.resolved, TicketStatus.closed)
ROWS = [
    (action, before, after) for action, row in TRANSITIONS.items() for before, after in row.items()
]


def add_agent(app: Flask) -> int:
    """Add an agent to tenant eur (no password: these tests never sign in); return its id."""
    with state(app).db.write("eur") as session:
        agent = Agent(email="sam@example.com", name="Sam Agent", password_hash=None)
        session.add(agent)
        session.flush()
        return agent.id


def set_status(app: Flask, reference: str, status: TicketStatus) -> None:
    """Put a ticket into a status, as if its life had led there."""
    with state(app).db.write("eur") as session:
        ticket_by_reference(session, reference).status = status


def snapshot(app: Flask, *references: str) -> list[Any]:
    """Return everything an action could change about these tickets, and the outbox's size."""
    with state(app).db.read("eur") as session:
        seen: list[Any] = [session.scalar(select(func.count(OutboxMessage.id)))]
        for reference in references:
            ticket = ticket_by_reference(session, reference)
            events = select(TicketEvent.kind, TicketEvent.detail).where(
                TicketEvent.ticket_id == ticket.id
            )
            seen.append(
                (
                    ticket.status, ticket.version, ticket.assigned_agent_id,
                    ticket.merged_into_id, ticket.resolved_at, ticket.tag_names,
                    [(r.body, r.is_internal) for r in ticket.responses],
                    [a.id for a in ticket.attachments],
                    [tuple(row) for row in session.execute(events.order_by(TicketEvent.id))],
                )
            )  # fmt: skip
    return seen


def test_every_action_and_status_has_a_row_and_a_test() -> None:
    assert set(TRANSITIONS) == set(ACTS) == set(Action)
    for action, row in TRANSITIONS.items():
        assert set(row) == set(TicketStatus), action
        for refused in (b for b, a in row.items() if a is None):
            assert action in REFUSED, (action, refused)


@pytest.mark.parametrize(
    ("action", "before", "after"), ROWS, ids=[f"{a.name}-{b.value}" for a, b, _ in ROWS]
)
def test_each_row_of_the_life_cycle_table(
    app: Flask,
    client: FlaskClient,
    action: Action,
    before: TicketStatus,
    after: TicketStatus | None,
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    into = api_ticket(client, subject="The export fails again")["ticket"]["reference"]
    agent_id = add_agent(app)
    set_status(app, ref, before)
    was = snapshot(app, ref, into)

    def enact() -> None:
        with state(app).db.write("eur") as session:
            agent = session.get_one(Agent, agent_id)
            ticket, target = ticket_by_reference(session, ref), ticket_by_reference(session, into)
            ACTS[action](Scene(session, ticket, agent, target))

    if after is None:
        with pytest.raises(Conflict) as refused:
            enact()
        assert refused.value.message == REFUSED[action]
        assert snapshot(app, ref, into) == was  # nothing of the action was kept
        return
    enact()
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert ticket.status == after
        trail = select(TicketEvent.detail).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == TicketEventKind.status_changed
        )
        changes = list(session.scalars(trail))
        assert changes == ([] if after == before else [f"{before.value} -> {after.value}"])
        if after != before:
            assert (ticket.resolved_at is not None) == (after in FINISHED)
        if action is Action.merged_away:
            kept = ticket_by_reference(session, into)
            assert ticket.merged_into_id == kept.id
            assert [r.body.split("\n")[0] for r in kept.responses] == [
                f"[{ref}] Cannot export my invoices"
            ]
        if action is Action.agent_assign:
            assert ticket.assigned_agent_id == agent_id


def test_an_agent_sets_any_status_by_hand_but_never_leaves_closed(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    agent_id = add_agent(app)
    for before in TicketStatus:
        for wanted in TicketStatus:
            set_status(app, ref, before)
            try:
                with state(app).db.write("eur") as session:
                    ticket = ticket_by_reference(session, ref)
                    agent = session.get_one(Agent, agent_id)
                    done = change_fields(session, ticket, agent, Changes(status=wanted), DESK)
            except Conflict as exc:
                assert (before, exc.field) == (TicketStatus.closed, "status"), (before, wanted)
                assert wanted != TicketStatus.closed
                assert "stays closed" in exc.message
            else:
                assert not (before == TicketStatus.closed and wanted != before), (before, wanted)
                assert done == (
                    [] if wanted == before else [f"status {wanted.value.replace('_', ' ')}"]
                )
            with state(app).db.read("eur") as session:
                expected = before if before == TicketStatus.closed else wanted
                assert ticket_by_reference(session, ref).status == expected, (before, wanted)


def test_a_follow_up_takes_files_of_its_own_whatever_the_closed_ticket_holds(
    make_app: Callable[..., Flask],
) -> None:
    """The closed ticket is full (MAX_ATTACHMENTS files); the reply that opens a follow-up
    carries one more: the follow-up's files are its own, so it is taken."""
    app = make_app(MAX_ATTACHMENTS="1")
    client = app.test_client()
    created = api_ticket(client)
    ref, link = created["ticket"]["reference"], created["url"].removeprefix("http://desk.test")
    sent = client.post(f"/api/v1/eur/tickets/{ref}/attachments", headers={
        "Authorization": f"Bearer {created['token']}"}, content_type="multipart/form-data",
        data={"file": (io.BytesIO(PNG), "first.png"), "body": "The first screenshot"})  # fmt: skip
    assert sent.status_code == 201
    agent_id = add_agent(app)
    with state(app).db.write("eur") as session:
        closed = ticket_by_reference(session, ref)
        change_fields(session, closed, session.get_one(Agent, agent_id),
                      Changes(status=TicketStatus.closed), DESK)  # fmt: skip
    token = form_fields(client.get(link).get_data(as_text=True))["csrf_token"]
    again = client.post(f"{link}/replies", content_type="multipart/form-data", data={
        "csrf_token": token, "body": "It broke again, see the screenshot.",
        "attachments": (io.BytesIO(PNG), "again.png")})  # fmt: skip
    assert again.status_code == 303, again.get_data(as_text=True)[:300]
    with state(app).db.read("eur") as session:
        follow_up = ticket_by_reference(session, again.headers["Location"].split("/")[3])
        assert [a.original_name for a in follow_up.attachments] == ["again.png"]


def test_writing_to_a_closed_ticket_opens_a_linked_follow_up(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    ref, link = created["ticket"]["reference"], created["url"].removeprefix("http://desk.test")
    agent_id = add_agent(app)
    with state(app).db.write("eur") as session:
        closed = ticket_by_reference(session, ref)
        change_fields(session, closed, session.get_one(Agent, agent_id),
                      Changes(status=TicketStatus.closed), DESK)  # fmt: skip
        closed_id = closed.id
    was = snapshot(app, ref)
    page = client.get(link).get_data(as_text=True)
    assert "This request is closed" in page and "Open a follow-up request" in page
    token = form_fields(page)["csrf_token"]
    for body, description in (
        ("It broke again after your update.", "It broke again after your update."),
        ("Thanks!", f"Thanks!\n\n(about {ref})"),  # too short for a ticket of its own
    ):
        sent = client.post(f"{link}/replies", data={"csrf_token": token, "body": body})
        assert sent.status_code == 303, sent.get_data(as_text=True)
        target = sent.headers["Location"]
        new_ref = target.split("/")[3]
        assert new_ref != ref and "?" not in target
        shown = client.get(target).get_data(as_text=True)
        assert f"Continues {ref}." in shown and "we received your request" in shown
        with state(app).db.read("eur") as session:
            follow_up = ticket_by_reference(session, new_ref)
            assert follow_up.follow_up_of_id == closed_id
            assert follow_up.status == TicketStatus.open
            assert follow_up.description == description
            assert follow_up.subject == "Follow-up to EUR-10001: Cannot export my invoices"
            assert follow_up.customer_email == "ada@example.com"
    # The closed ticket kept nothing of it (its outbox count grew by the follow-ups' mails).
    after = snapshot(app, ref)
    assert after[1:] == was[1:]
    # Through the API a closed ticket refuses a reply, with the table's message.
    refused = client.post(f"/api/v1/eur/tickets/{ref}/replies", json={"body": "Hello again?"},
                          headers={"Authorization": f"Bearer {created['token']}"})  # fmt: skip
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == REFUSED[Action.customer_reply]
    with state(app).db.read("eur") as session:
        assert session.scalar(select(func.count(TicketResponse.id))) == 0
