"""Service targets: an admin sets hours per priority and the working time; each ticket gets
its due times, which follow its priority and the settings; the queue sorts by them, counts
and marks those missed or due soon; the customer's page says when to expect an answer."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from intake.models import AgentRole, SupportTicket, as_utc, utcnow
from intake.settings import TenantSettings
from intake.state import state
from intake.tickets.calendar import Calendar, due_after, parse_hours, parse_zone
from intake.tickets.targets import change_settings
from tests.intake.conftest import api_ticket, post_ticket
from tests.intake.desk import post_form, signed_in
from tests.intake.test_desk_work import post_from

SETTINGS_PAGE = "/desk/eur/admin/settings"


def set_ticket(app: Flask, reference: str, **values: object) -> None:
    with state(app).db.write("eur") as session:
        session.execute(
            update(SupportTicket).where(SupportTicket.reference == reference).values(**values)
        )


def ticket_of(app: Flask, reference: str) -> SupportTicket:
    with state(app).db.read("eur") as session:
        found = session.scalars(select(SupportTicket).where(SupportTicket.reference == reference))
        return found.one()


def settle(app: Flask, **values: object) -> None:
    with state(app).db.write("eur") as session:
        change_settings(TenantSettings(session), values)


def test_an_admin_sets_targets_and_the_customer_sees_the_first_answers(app: Flask) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    page = admin.get(SETTINGS_PAGE).get_data(as_text=True)
    assert "High: first answer within (hours)" in page
    saved = post_form(admin, SETTINGS_PAGE, SETTINGS_PAGE, time_zone="UTC", business_hours="",
                      holidays="", breach_warning_minutes="60", first_response_hours_high="4",
                      resolution_hours_high="48", first_response_hours_low="")  # fmt: skip
    assert saved.status_code == 303, saved.get_data(as_text=True)[-2000:]
    with state(app).db.read("eur") as session:
        stored = TenantSettings(session, state(app).secrets)
        assert stored.get("first_response_hours_high") == 4
        assert stored.get("resolution_hours_high") == 48
        assert stored.get("first_response_hours_low") == 0
    assert 'value="4"' in admin.get(SETTINGS_PAGE).get_data(as_text=True)

    customer = app.test_client()
    link = post_ticket(customer, priority="high").headers["Location"]
    reference = link.split("/")[3]
    ticket = ticket_of(app, reference)
    opened = as_utc(ticket.created_at)
    assert ticket.first_response_due_at is not None and ticket.resolution_due_at is not None
    assert as_utc(ticket.first_response_due_at) == opened + dt.timedelta(hours=4)
    assert as_utc(ticket.resolution_due_at) == opened + dt.timedelta(hours=48)
    html = customer.get(link).get_data(as_text=True)
    due = re.search(r"expect our answer by <time datetime=\"([^\"]+)\" data-local>", html)
    assert "within 4 hours" in html and due is not None
    assert due.group(1) == (opened + dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # Past its time, the page apologises instead of naming a time gone by.
    set_ticket(app, reference, first_response_due_at=utcnow() - dt.timedelta(minutes=5))
    late = customer.get(link).get_data(as_text=True)
    assert "taking longer" in late and "expect our answer by" not in late
    # Once answered, the target is met: nothing more to promise.
    set_ticket(app, reference, first_response_at=utcnow())
    assert "We aim to answer" not in customer.get(link).get_data(as_text=True)
    # Without a target for its priority, a ticket promises nothing.
    low = post_ticket(customer, priority="low").headers["Location"]
    assert "We aim to answer" not in customer.get(low).get_data(as_text=True)
    assert ticket_of(app, low.split("/")[3]).first_response_due_at is None


def test_working_time_from_the_settings_page(app: Flask) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    refused = post_form(admin, SETTINGS_PAGE, SETTINGS_PAGE, time_zone="Mars/Olympus",
                        business_hours="mon-fri 9-5", breach_warning_minutes="30",
                        first_response_hours_urgent="-1")  # fmt: skip
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert '<a href="#time_zone">Time zone: &#39;Mars/Olympus&#39; is no time zone' in html
    assert '<a href="#business_hours">Business hours: &#39;mon-fri 9-5&#39; is not like' in html
    assert '<a href="#first_response_hours_urgent">Urgent: first answer within (hours):' in html
    for typed in ("١٢", "1_000", "+12", "12.0"):  # int() takes the first three
        odd = post_form(admin, SETTINGS_PAGE, SETTINGS_PAGE, time_zone="Europe/Paris",
                        breach_warning_minutes=typed)  # fmt: skip
        assert odd.status_code == 400, typed
        assert "use a whole number" not in odd.get_data(as_text=True)  # said once, not twice
        assert (
            '<a href="#breach_warning_minutes">Warn this many minutes before a target:'
            " Enter a whole number in the digits 0-9."
        ) in odd.get_data(as_text=True)
    saved = post_form(admin, SETTINGS_PAGE, SETTINGS_PAGE, time_zone="Europe/Paris",
                      business_hours="mon-fri 09:00-17:00", holidays="2026-12-25",
                      breach_warning_minutes="30", first_response_hours_urgent="2")  # fmt: skip
    assert saved.status_code == 303
    made = api_ticket(app.test_client(), priority="urgent")
    ticket = ticket_of(app, made["ticket"]["reference"])
    calendar = Calendar(parse_zone("Europe/Paris"), parse_hours("mon-fri 09:00-17:00"),
                        frozenset({dt.date(2026, 12, 25)}))  # fmt: skip
    assert ticket.first_response_due_at is not None
    assert as_utc(ticket.first_response_due_at) == due_after(as_utc(ticket.created_at), 2, calendar)


def test_due_times_follow_the_priority_and_the_targets(app: Flask) -> None:
    settle(app, first_response_hours_low=48, first_response_hours_urgent=1)
    made = api_ticket(app.test_client(), priority="low")
    reference = made["ticket"]["reference"]
    opened = as_utc(ticket_of(app, reference).created_at)
    agent = signed_in(app, "sam@example.com")
    page = agent.get(f"/desk/eur/tickets/{reference}").get_data(as_text=True)
    moved = post_from(agent, page, f"/desk/eur/tickets/{reference}/fields", priority="urgent")
    assert moved.status_code == 303
    due = ticket_of(app, reference).first_response_due_at
    assert due is not None and as_utc(due) == opened + dt.timedelta(hours=1)
    # A new target moves the open tickets' due times, not those already resolved.
    done = api_ticket(app.test_client(), priority="urgent")["ticket"]["reference"]
    set_ticket(app, done, status="resolved")
    before = ticket_of(app, done).first_response_due_at
    page = agent.get(f"/desk/eur/tickets/{reference}").get_data(as_text=True)  # stays open
    kept = ticket_of(app, reference)
    settle(app, first_response_hours_urgent=3)
    due = ticket_of(app, reference).first_response_due_at
    assert due is not None and as_utc(due) == opened + dt.timedelta(hours=3)
    assert ticket_of(app, done).first_response_due_at == before
    # A moved target is no change of the ticket: its "updated" time (the queue's default
    # order) and its version stay, so the page opened before saves without a conflict.
    after = ticket_of(app, reference)
    assert (after.updated_at, after.version) == (kept.updated_at, kept.version)
    saved = post_from(agent, page, f"/desk/eur/tickets/{reference}/fields", priority="high")
    assert saved.status_code == 303


def queue_of(client: FlaskClient, query: str = "") -> str:
    answer = client.get(f"/desk/eur/?{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[-1000:]
    return answer.get_data(as_text=True)


def test_the_queue_sorts_counts_and_marks_targets(app: Flask) -> None:
    settle(app, first_response_hours_high=8, breach_warning_minutes=60)
    client = app.test_client()
    late, soon, later, none = (api_ticket(client, priority=p, subject=f"Target {n}")["ticket"]
                               ["reference"] for n, p in enumerate(["high", "high", "high",
                                                                    "low"]))  # fmt: skip
    now = utcnow()
    set_ticket(app, late, first_response_due_at=now - dt.timedelta(minutes=10))
    set_ticket(app, soon, first_response_due_at=now + dt.timedelta(minutes=30))
    answered = api_ticket(client, priority="high", subject="Answered in time")["ticket"]
    set_ticket(
        app,
        answered["reference"],
        first_response_at=now,
        first_response_due_at=now - dt.timedelta(hours=1),
    )  # met: its resolution next
    agent = signed_in(app, "sam@example.com")

    page = queue_of(agent)
    assert re.search(r"Missed targets <span class=\"count\">1</span>", page)
    assert re.search(r"Due soon <span class=\"count\">1</span>", page)
    row = page[page.index(f">{late}<") :]
    assert "<strong>missed</strong>" in row[: row.index("</tr>")]
    row = page[page.index(f">{soon}<") :]
    assert "<strong>due soon</strong>" in row[: row.index("</tr>")]

    ordered = re.findall(r">(EUR-\d+)</a>", queue_of(agent, "sort=due&order=asc"))
    assert ordered[:3] == [late, soon, later] and ordered[-1] in (none, answered["reference"])
    assert re.findall(r">(EUR-\d+)</a>", queue_of(agent, "due=missed")) == [late]
    assert re.findall(r">(EUR-\d+)</a>", queue_of(agent, "due=soon")) == [soon]
    refused = agent.get("/desk/eur/?due=yesterday")
    assert refused.status_code == 400 and "due: use one of missed, soon." in refused.get_data(
        as_text=True
    )
