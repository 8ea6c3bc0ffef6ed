"""The agents' desk: sign-in, the queue, tickets, the team's administration, one's account."""

from __future__ import annotations

from flask import Flask

from intake.desk import (
    account,
    admin,
    chats,
    context,
    dashboard,
    mailbox,
    queue,
    signin,
    tickets,
)
from intake.desk.blueprint import admin_bp, bp

__all__ = [
    "account", "admin", "chats", "dashboard", "init_app", "mailbox", "queue", "signin",
    "tickets",
]  # fmt: skip


def init_app(app: Flask) -> None:
    """Register the desk's blueprints."""
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    context.init_app(app)
