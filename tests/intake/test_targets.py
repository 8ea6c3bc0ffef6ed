"""Service targets: an admin sets hours per priority; the customer's ticket page says when to
expect the first answer, until it comes."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from sqlalchemy import update

from intake.models import AgentRole, SupportTicket, utcnow
from intake.settings import TenantSettings
from intake.state import state
from tests.intake.conftest import post_ticket
from tests.intake.desk import post_form, signed_in

SETTINGS_PAGE = "/desk/eur/admin/settings"


def set_ticket(app: Flask, reference: str, **values: object) -> None:
    with state(app).db.write("eur") as session:
        session.execute(
            update(SupportTicket).where(SupportTicket.reference == reference).values(**values)
        )


def test_an_admin_sets_targets_and_the_customer_sees_the_first_answers(app: Flask) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    page = admin.get(SETTINGS_PAGE).get_data(as_text=True)
    assert "High: first answer within (hours)" in page
    saved = post_form(admin, SETTINGS_PAGE, SETTINGS_PAGE, first_response_hours_high="4",
                      resolution_hours_high="48", first_response_hours_low="")  # fmt: skip
    assert saved.status_code == 303
    with state(app).db.read("eur") as session:
        stored = TenantSettings(session, state(app).secrets)
        assert stored.get("first_response_hours_high") == 4
        assert stored.get("resolution_hours_high") == 48
        assert stored.get("first_response_hours_low") == 0
    assert 'value="4"' in admin.get(SETTINGS_PAGE).get_data(as_text=True)

    customer = app.test_client()
    link = post_ticket(customer, priority="high").headers["Location"]
    reference = link.split("/")[3]
    html = customer.get(link).get_data(as_text=True)
    due = re.search(r"expect our answer by <time datetime=\"([^\"]+)\" data-local>", html)
    assert "within 4 hours" in html and due is not None
    with state(app).db.read("eur") as session:
        opened = session.query(SupportTicket).filter_by(reference=reference).one().created_at
    assert due.group(1) == (opened + dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # Past its time, the page apologises instead of naming a time gone by.
    set_ticket(app, reference, created_at=utcnow() - dt.timedelta(hours=5))
    late = customer.get(link).get_data(as_text=True)
    assert "taking longer" in late and "expect our answer by" not in late
    # Once answered, the target is met: nothing more to promise.
    set_ticket(app, reference, first_response_at=utcnow())
    assert "We aim to answer" not in customer.get(link).get_data(as_text=True)
    # Without a target for its priority, a ticket promises nothing.
    low = post_ticket(customer, priority="low").headers["Location"]
    assert "We aim to answer" not in customer.get(low).get_data(as_text=True)


def test_a_target_out_of_range_is_named(app: Flask) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    refused = post_form(admin, SETTINGS_PAGE, SETTINGS_PAGE, first_response_hours_urgent="-1")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert '<a href="#first_response_hours_urgent">Urgent: first answer within (hours):' in html
    with state(app).db.read("eur") as session:
        assert TenantSettings(session, state(app).secrets).get("first_response_hours_urgent") == 0
