"""What every service page's template gets: the tenant, its navigation and the upload rules."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g

from intake.files import ACCEPT, ALLOWED_TEXT, PREVIEW_TYPES, size_text
from intake.kb.feedback import used_categories
from intake.models import as_utc
from intake.state import state
from intake.web.tenancy import tenant, tenant_session
from kbgen.nav import category_url

log = logging.getLogger(__name__)


def _uploads() -> dict[str, Any]:
    config = state().config
    return {
        "count": config.max_attachments,
        "size": size_text(config.max_attachment_bytes),
        "types": ALLOWED_TEXT,
        "accept": ACCEPT,
    }


def _nav() -> dict[str, Any]:
    """Give templates the tenant and the category links of its help center."""
    if "tenant" not in g:
        return {}
    current = tenant()
    try:
        # An error page for a path of no tenant borrows a tenant's look, not its database.
        cats = [] if g.get("tenant_borrowed") else used_categories(tenant_session())
    except Exception:  # noqa: BLE001 (the header must render even when the database is down)
        log.exception("categories unavailable")
        cats = []
    return {
        "tenant": current,
        "categories": [(c.label, category_url(current, c)) for c in cats],
        "uploads": _uploads(),
    }


def init_app(app: Flask) -> None:
    """Give every template the tenant's navigation, and sizes as people read them."""
    app.context_processor(_nav)
    app.jinja_env.filters["filesize"] = size_text
    app.jinja_env.filters["utc"] = as_utc  # a stored time, whichever database gave it
    app.jinja_env.tests["previewable"] = PREVIEW_TYPES.__contains__  # a file's content type
