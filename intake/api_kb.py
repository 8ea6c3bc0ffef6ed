"""The JSON API for the knowledge base: search, the lists from the manifest, feedback."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from intake import kb
from intake.errors import ApiError
from intake.extensions import limiter
from intake.schemas import FeedbackCreate, parse
from intake.tenancy import scope, tenant, tenant_blueprint
from kbgen.schema import KbCategory

bp = tenant_blueprint("api_kb", __name__, "/api/v1")
CATEGORIES = [c.value for c in KbCategory]


def _category() -> str | None:
    value = request.args.get("category") or None
    if value is not None and value not in CATEGORIES:
        raise ApiError(f"category: use one of {', '.join(CATEGORIES)}.", "category")
    return value


@bp.route("/kb/search", methods=["GET"])
@limiter.limit("120 per minute")  # as the form's suggestions: every search costs CPU
def search() -> Response:
    """Search the tenant's articles and FAQs (?q=, optional ?category= and ?limit= 1..20)."""
    query = request.args.get("q", "")[:500]
    raw_limit = request.args.get("limit", "10")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 20:
        raise ApiError("limit: use a whole number from 1 to 20.", "limit")
    hits = kb.suggest(
        tenant().id, query, current_app.config["INTAKE"].build_dir, _category(), int(raw_limit)
    )
    return jsonify({"query": query, "results": hits})


@bp.route("/kb/articles", methods=["GET"])
def articles() -> Response:
    """List the tenant's published articles (optional ?category=)."""
    category = _category()
    rows = [
        a for a in kb.published_articles(scope()) if not category or a.category.value == category
    ]
    items: list[dict[str, Any]] = [
        {
            "slug": a.slug,
            "title": a.title,
            "category": a.category.value,
            "url": a.url,
            "summary": a.summary,
            "tags": a.tags,
            "helpful_yes": a.helpful_yes,
            "helpful_no": a.helpful_no,
        }
        for a in rows
    ]
    return jsonify({"articles": items})


@bp.route("/kb/faqs", methods=["GET"])
def faqs() -> Response:
    """List the tenant's published FAQs (optional ?category=)."""
    category = _category()
    rows = [f for f in kb.published_faqs(scope()) if not category or f.category.value == category]
    items = [
        {"slug": f.slug, "question": f.question, "category": f.category.value, "url": f.url}
        for f in rows
    ]
    return jsonify({"faqs": items})


@bp.route("/kb/articles/<slug>/feedback", methods=["POST"])
@limiter.limit("30 per minute")
def feedback(slug: str) -> tuple[Response, int]:
    """Record "was this article helpful?" and return the article's totals."""
    body = parse(FeedbackCreate, request.get_json(silent=True))
    totals = kb.record_feedback(scope(), slug[:120], body.helpful, body.comment)
    return jsonify({"slug": slug, **totals}), 201
