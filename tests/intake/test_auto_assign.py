"""Round-robin assignment: with the tenant's auto_assign on, new tickets go in turn to the
agents online now, of the ticket's group or else of the whole team; never to an agent away,
inactive or of another tenant; by the job runner's function and by `intake tickets
auto-assign`, the audit trail naming the system."""

from __future__ import annotations

import datetime as dt
import html

from flask import Flask
from sqlalchemy import select, update

from intake.agents.accounts import create_group, set_members
from intake.models import (
    Agent,
    AgentNotification,
    AuthorType,
    SupportTicket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    utcnow,
)
from intake.settings import TenantSettings
from intake.state import state
from intake.tickets.auto_assign import auto_assign
from tests.intake.conftest import api_ticket
from tests.intake.desk import make_agent, signed_in
from tests.intake.test_desk_work import agent_id, post_from


def _seen(app: Flask, agent_id: int, minutes_ago: float, tenant: str = "eur") -> None:
    with state(app).db.write(tenant) as session:
        session.execute(update(Agent).where(Agent.id == agent_id).values(
            last_seen_at=utcnow() - dt.timedelta(minutes=minutes_ago)))  # fmt: skip


def _ticket(app: Flask, group_id: int | None = None, tenant: str = "eur") -> str:
    reference = str(api_ticket(app.test_client(), tenant)["ticket"]["reference"])
    if group_id is not None:
        with state(app).db.write(tenant) as session:
            session.execute(update(SupportTicket).where(SupportTicket.reference == reference)
                            .values(group_id=group_id))  # fmt: skip
    return reference


def _assignees(app: Flask, tenant: str = "eur") -> dict[str, tuple[int | None, TicketStatus]]:
    with state(app).db.read(tenant) as session:
        rows = session.execute(select(SupportTicket.reference, SupportTicket.assigned_agent_id,
                                      SupportTicket.status))  # fmt: skip
        return {ref: (agent, status) for ref, agent, status in rows}


def _run(app: Flask) -> dict[str, int]:
    current = state(app)
    return auto_assign(current.db, current.events, ("eur", "km"))


def test_new_tickets_go_round_the_online_agents_of_their_group(app: Flask) -> None:
    ann, bob = make_agent(app, "ann@example.com", "Ann"), make_agent(app, "bob@example.com", "Bob")
    cy, dee = make_agent(app, "cy@example.com", "Cy"), make_agent(app, "dee@example.com", "Dee")
    kim = make_agent(app, "kim@example.com", "Kim", tenant="km")
    with state(app).db.write("eur") as session:
        billing = create_group(session, "Billing")
        set_members(session, billing, {ann, bob, dee})
        billing_id = billing.id
    for agent in (ann, bob, cy):
        _seen(app, agent, 0.5)
    _seen(app, dee, 30)  # of the group, but gone for half an hour
    _seen(app, kim, 0.5, "km")
    refs = [_ticket(app, billing_id) for _ in range(3)]
    no_group, elsewhere = _ticket(app), _ticket(app, tenant="km")

    assert _run(app) == {"eur": 0, "km": 0}  # off by default: nothing moves
    assert all(agent is None for agent, _status in _assignees(app).values())

    with state(app).db.write("eur") as session:
        TenantSettings(session).set("auto_assign", True)
    assert _run(app) == {"eur": 4, "km": 0}
    got = _assignees(app)
    assert [got[r][0] for r in refs] == [ann, bob, ann]  # in turn, in the order they came
    assert got[no_group][0] == cy  # the whole team: Cy had none yet
    assert all(status == TicketStatus.in_progress for _a, status in got.values())
    assert _assignees(app, "km")[elsewhere][0] is None
    assert _run(app) == {"eur": 0, "km": 0}  # a second round finds nothing to do

    with state(app).db.read("eur") as session:
        trail = session.scalars(select(TicketEvent).where(
            TicketEvent.kind == TicketEventKind.assigned)).all()  # fmt: skip
        told = session.scalars(select(AgentNotification.agent_id)).all()
    assert len(trail) == 4 and {e.actor for e in trail} == {AuthorType.system}
    assert sorted(told) == sorted([ann, bob, ann, cy])

    # The next new ticket of the group goes to Bob (Ann's last is newer); Bob gone: Ann.
    nxt = _ticket(app, billing_id)
    _run(app)
    assert _assignees(app)[nxt][0] == bob
    _seen(app, bob, 10)
    last = _ticket(app, billing_id)
    said = app.test_cli_runner().invoke(args=["tickets", "auto-assign"])
    assert said.exit_code == 0 and "eur: 1 assigned" in said.output
    assert _assignees(app)[last][0] == ann


def test_turns_go_by_when_tickets_were_given_not_when_they_were_made(app: Flask) -> None:
    """A backlog does not all go to the agent whose hand-assigned ticket happens to be new:
    an old ticket given a minute ago is a minute-old turn."""
    ann, bob = make_agent(app, "ann@example.com", "Ann"), make_agent(app, "bob@example.com", "Bob")
    backlog = [_ticket(app) for _ in range(6)]
    newest = _ticket(app)
    sam = make_agent(app, "sam@example.com", "Sam")
    with state(app).db.write("eur") as session:
        TenantSettings(session).set("auto_assign", True)
        ticket = session.scalars(select(SupportTicket).where(
            SupportTicket.reference == newest)).one()  # fmt: skip
        ticket.assigned_agent_id = ann  # by hand, as the desk records it
        session.add(TicketEvent(ticket_id=ticket.id, kind=TicketEventKind.assigned,
                                actor=AuthorType.agent, agent_id=sam, detail="Ann"))  # fmt: skip
    for agent in (ann, bob):
        _seen(app, agent, 0.5)
    assert _run(app)["eur"] == 6
    got = _assignees(app)
    assert [got[r][0] for r in backlog] == [bob, ann, bob, ann, bob, ann]


def test_a_save_from_a_page_older_than_an_automatic_change_says_so(app: Flask) -> None:
    ann = make_agent(app, "ann@example.com", "Ann")
    ref = _ticket(app)
    sam = signed_in(app, "sam@example.com")
    page = sam.get(f"/desk/eur/tickets/{ref}").get_data(as_text=True)
    with state(app).db.write("eur") as session:
        TenantSettings(session).set("auto_assign", True)
    _seen(app, ann, 0.5)
    assert _run(app)["eur"] == 1
    # Another field, saved from the older page: the automatic assignment (and the "in
    # progress" it brought) stays beside it.
    kept = post_from(sam, page, f"/desk/eur/tickets/{ref}/fields", priority="high")
    assert kept.status_code == 303
    assert _assignees(app)[ref] == (ann, TicketStatus.in_progress)
    # The assignee too, from that page: a clash, said with who changed it.
    mine = str(agent_id(app, "sam@example.com"))
    stale = post_from(sam, page, f"/desk/eur/tickets/{ref}/fields", assignee=mine)
    assert stale.status_code == 409
    assert "The service's automatic work (a mail received, auto-assign or auto-close) changed" \
        " this to “Ann”" in html.unescape(stale.get_data(as_text=True))  # fmt: skip


def test_with_nobody_online_tickets_wait(app: Flask) -> None:
    away = make_agent(app, "away@example.com")
    _seen(app, away, 60)
    inactive = make_agent(app, "gone@example.com")
    _seen(app, inactive, 0.1)
    with state(app).db.write("eur") as session:
        session.execute(update(Agent).where(Agent.id == inactive).values(active=False))
        TenantSettings(session).set("auto_assign", True)
    ref = _ticket(app)
    assert _run(app)["eur"] == 0 and _assignees(app)[ref][0] is None
