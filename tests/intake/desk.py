"""Helpers for the desk's tests: accounts, signing in like a browser, the forms' hidden fields."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from intake.agents.accounts import NewAgent, create_agent
from intake.models import AgentRole
from intake.state import state

PASSWORD = "correct horse battery staple"


def make_agent(
    app: Flask, email: str, name: str = "", role: AgentRole = AgentRole.agent, tenant: str = "eur"
) -> int:
    """Create an account with PASSWORD; return its id."""
    with state(app).db.write(tenant) as session:
        agent = create_agent(session, NewAgent(email, name or email.split("@")[0].title(),
                                               PASSWORD, role))  # fmt: skip
        return agent.id


def hidden(html: str, name: str = "csrf_token") -> str:
    """Return the value of the first hidden input of that name on a page."""
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert found, f"no hidden {name} on the page"
    return found.group(1)


def post_form(client: FlaskClient, page: str, action: str, **data: Any) -> Any:
    """Open `page` like a browser, then post `data` with its CSRF token to `action`."""
    html = client.get(page).get_data(as_text=True)
    return client.post(action, data={"csrf_token": hidden(html), **data})


def sign_in(client: FlaskClient, email: str, tenant: str = "eur", password: str = PASSWORD) -> Any:
    """Sign in through the form; return the answer (not followed)."""
    return post_form(client, f"/desk/{tenant}/login", f"/desk/{tenant}/login",
                     email=email, password=password, next="")  # fmt: skip


def signed_in(
    app: Flask, email: str, role: AgentRole = AgentRole.agent, tenant: str = "eur"
) -> FlaskClient:
    """Return a client of a new account, signed in."""
    make_agent(app, email, role=role, tenant=tenant)
    client = app.test_client()
    answer = sign_in(client, email, tenant)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    return client


def at_desk(app: Flask, agent_id: int, name: str, doing: str = "online",
            tenant: str = "eur") -> None:  # fmt: skip
    """Say that the agent has the desk open, as its pages do, and wait until this process's
    board has heard it (PostgreSQL delivers presence through NOTIFY, a moment later)."""
    board = state(app).presence
    board.announce(tenant, agent_id, name, doing)
    deadline = time.monotonic() + 5
    while board.agents(tenant).get(agent_id) != ("away" if doing == "away" else "online"):
        assert time.monotonic() < deadline, f"{name}'s presence never arrived"
        time.sleep(0.02)


def version_of(client: FlaskClient, reference: str, tenant: str = "eur") -> str:
    """Return the ticket version the desk's ticket page carries in its forms."""
    return hidden(
        client.get(f"/desk/{tenant}/tickets/{reference}").get_data(as_text=True), "version"
    )


def totp_code(secret: str, ahead: int = 0) -> str:
    """Return an authenticator app's current code for a secret, or the one `ahead` 30-second
    steps later (a code is taken once: the next sign-in needs the next one)."""
    totp = pyotp.TOTP(secret)
    return str(totp.generate_otp(totp.timecode(dt.datetime.now(dt.UTC)) + ahead))
