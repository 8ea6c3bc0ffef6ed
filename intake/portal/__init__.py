"""The customer's HTML pages: the ticket form and the private ticket page."""

from __future__ import annotations

from flask import Flask

from intake.portal import recover, satisfaction  # noqa: F401  # their routes join the blueprint
from intake.portal.views import bp


def init_app(app: Flask) -> None:
    """Register the portal's blueprint."""
    app.register_blueprint(bp)
