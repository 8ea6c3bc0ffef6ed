"""Deflection: suggestions while the customer types a subject, and which ones they opened."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from intake import kb
from intake.errors import ApiError
from intake.extensions import limiter
from intake.rules import is_visit_id
from intake.tenancy import scope, tenant, tenant_blueprint

bp = tenant_blueprint("deflection", __name__, "")


@bp.route("/tickets/suggestions", methods=["GET"])
@limiter.limit("120 per minute")
def suggestions() -> Any:
    """Return up to five articles and FAQs matching what the customer typed (?q=)."""
    query = request.args.get("q", "")[:500]
    hits = kb.suggest(tenant().id, query, current_app.config["INTAKE"].build_dir, limit=5)
    return jsonify({"query": query, "suggestions": hits})


@bp.route("/tickets/suggestions/opened", methods=["POST"])
@limiter.limit("60 per minute")
def opened() -> Any:
    """Record that the form's visitor opened a suggestion (sent by the page's script)."""
    visit_id = request.form.get("visit_id", "")
    kind = request.form.get("kind", "")
    slug = request.form.get("slug", "")[:120]
    if not is_visit_id(visit_id):
        raise ApiError("visit_id: not a visit of the ticket form.", "visit_id")
    if kind not in ("article", "faq"):
        raise ApiError("kind: use article or faq.", "kind")
    if not kb.record_open(scope(), visit_id, kind, slug):
        raise ApiError("slug: no such article or FAQ.", "slug", 404)
    return "", 204
