"""The customer's HTML pages: the ticket form, the private ticket page and the search."""

from __future__ import annotations

from flask import Flask

from intake.extensions import csrf
from intake.portal import recover, satisfaction, search  # noqa: F401  # their routes join the blueprint
from intake.portal.views import bp, unsubscribe


def init_app(app: Flask) -> None:
    """Register the portal's blueprint."""
    # A mail client's one-click unsubscribe has no form to carry a CSRF token; the link's
    # private token is the proof that the customer sent it.
    csrf.exempt(unsubscribe)
    app.register_blueprint(bp)
