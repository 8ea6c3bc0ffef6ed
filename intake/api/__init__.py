"""The JSON API under /api/v1: tickets, the knowledge base, the agents' desk, and its OpenAPI
document."""

from __future__ import annotations

from flask import Flask

from intake.api import kb, tickets
from intake.api.blueprint import bp
from intake.api.desk import bp as desk_bp
from intake.api.openapi import bp as openapi_bp
from intake.extensions import csrf

__all__ = ["init_app", "kb", "tickets"]


def init_app(app: Flask) -> None:
    """Register the API's blueprints; token-authenticated JSON has no cookie to forge."""
    app.register_blueprint(bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(openapi_bp)
    csrf.exempt(bp)
    csrf.exempt(desk_bp)
