"""What every desk page's template gets, and what the desk's actions need to send mail."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from sqlalchemy import func, select

from intake.chat.sessions import waiting_count
from intake.desk import auth
from intake.desk.forms import EmptyForm
from intake.mail.inbound import is_foreign_mail
from intake.models import AgentNotification
from intake.web.notes import flashed
from intake.web.tenancy import tenant_session


def _desk_context() -> dict[str, Any]:
    if not (request.blueprint or "").startswith("desk") or "desk_session" not in g:
        return {}
    found = auth.load()
    if found is None or not found[0].second_factor_done:
        return {"me": None}  # no desk menu before the sign-in is complete
    agent = found[1]
    unread = tenant_session().scalar(
        select(func.count(AgentNotification.id)).where(
            AgentNotification.agent_id == agent.id, AgentNotification.read_at.is_(None)
        )
    )
    # Customers waiting in a chat: said on every page, not only the chats' own.
    return {"me": agent, "is_admin": auth.is_admin(), "unread": int(unread or 0),
            "chats_waiting": waiting_count(tenant_session()), "signout": EmptyForm()}  # fmt: skip


def init_app(app: Flask) -> None:
    """Give desk templates the signed-in agent and the unread count."""
    app.context_processor(_desk_context)
    app.jinja_env.tests["foreign_mail"] = is_foreign_mail  # another sender's mail, to accept
    app.jinja_env.globals["flashed"] = flashed  # this tenant's notices, never another's
