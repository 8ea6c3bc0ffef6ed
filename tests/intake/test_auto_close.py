"""Resolved tickets close by themselves after the tenant's auto_close_days: by the job runner
and by `intake tickets auto-close`; never when the setting is 0, never another tenant's."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select, update

from intake.models import AuthorType, SupportTicket, TicketEvent, TicketStatus, utcnow
from intake.settings import TenantSettings
from intake.state import state
from intake.tickets.auto_close import auto_close
from tests.intake.conftest import api_ticket


def resolved_days_ago(app: Flask, tenant: str, days: float) -> str:
    reference = str(api_ticket(app.test_client(), tenant)["ticket"]["reference"])
    with state(app).db.write(tenant) as session:
        session.execute(update(SupportTicket).where(SupportTicket.reference == reference)
                        .values(status=TicketStatus.resolved,
                                resolved_at=utcnow() - dt.timedelta(days=days)))  # fmt: skip
    return reference


def status_of(app: Flask, tenant: str, reference: str) -> TicketStatus:
    with state(app).db.read(tenant) as session:
        return session.scalars(
            select(SupportTicket.status).where(SupportTicket.reference == reference)
        ).one()


def test_resolved_tickets_close_after_the_tenants_days(app: Flask) -> None:
    with state(app).db.write("eur") as session:
        TenantSettings(session).set("auto_close_days", 7)
    old = resolved_days_ago(app, "eur", 8)
    recent = resolved_days_ago(app, "eur", 6)
    elsewhere = resolved_days_ago(app, "km", 30)  # km keeps the default: never
    open_one = str(api_ticket(app.test_client())["ticket"]["reference"])

    assert auto_close(state(app).db, ("eur", "km")) == {"eur": 1, "km": 0}
    assert status_of(app, "eur", old) == TicketStatus.closed
    assert status_of(app, "eur", recent) == TicketStatus.resolved
    assert status_of(app, "km", elsewhere) == TicketStatus.resolved
    assert status_of(app, "eur", open_one) == TicketStatus.open
    with state(app).db.read("eur") as session:
        ticket = session.scalars(select(SupportTicket).where(SupportTicket.reference == old)).one()
        event = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .order_by(TicketEvent.id.desc())).first()  # fmt: skip
    assert event is not None and event.actor == AuthorType.system
    assert event.detail == "resolved -> closed"
    assert auto_close(state(app).db, ("eur", "km")) == {"eur": 0, "km": 0}  # nothing twice


def test_the_command_says_what_it_closed(app: Flask) -> None:
    with state(app).db.write("km") as session:
        TenantSettings(session).set("auto_close_days", 1)
    resolved_days_ago(app, "km", 2)
    said = app.test_cli_runner().invoke(args=["tickets", "auto-close"])
    assert said.exit_code == 0, said.output
    assert "eur: 0 closed" in said.output and "km: 1 closed" in said.output
