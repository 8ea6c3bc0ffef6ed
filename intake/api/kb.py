"""The JSON API for the knowledge base: search, the lists from the manifest, feedback."""

from __future__ import annotations

from flask import Response, jsonify, request

from intake.api.blueprint import bp
from intake.api.schemas import (
    ArticleList,
    ArticleOut,
    FaqList,
    FaqOut,
    FeedbackCreate,
    FeedbackTotals,
    SearchReport,
    SearchResults,
    dump,
    parse,
)
from intake.errors import InvalidInput, NotFound
from intake.extensions import limiter
from intake.kb import search
from intake.kb.feedback import (
    published_articles,
    published_faqs,
    published_page,
    record_feedback,
)
from intake.models import KbCategory
from intake.state import state
from intake.web.json import request_json, strict_loads
from intake.web.limits import limit_search
from intake.web.origins import allow_origin
from intake.web.tenancy import tenant, tenant_session

CATEGORIES = [c.value for c in KbCategory]


def _category() -> str | None:
    value = request.args.get("category") or None
    if value is not None and value not in CATEGORIES:
        raise InvalidInput(f"category: use one of {', '.join(CATEGORIES)}.", "category")
    return value


@bp.route("/kb/search", methods=["GET"])
@limit_search
def search_kb() -> Response:
    """Search the tenant's articles and FAQs (?q=, optional ?category= and ?limit= 1..20)."""
    if "q" not in request.args:
        raise InvalidInput("q: send the words to search for (?q=...).", "q")
    query = request.args["q"][: search.QUERY_MAX]
    raw_limit = request.args.get("limit", "10")
    if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= 20:
        raise InvalidInput("limit: use a whole number from 1 to 20.", "limit")
    hits = search.suggest(tenant().id, query, state().config.build_dir, _category(), int(raw_limit))
    if not hits and search.searchable(tenant().id, state().config.build_dir):
        state().search_counts.miss(tenant().id, query)
    return jsonify(dump(SearchResults.model_validate({"query": query, "results": hits})))


@bp.route("/kb/articles", methods=["GET"])
def articles() -> Response:
    """List the tenant's published articles (optional ?category=)."""
    rows = published_articles(tenant_session(), _category())
    items = [
        ArticleOut(
            slug=a.slug, title=a.title, category=a.category, url=a.url, summary=a.summary,
            tags=a.tags, helpful_yes=a.helpful_yes, helpful_no=a.helpful_no,
        )
        for a in rows
    ]  # fmt: skip
    return jsonify(dump(ArticleList(articles=items)))


@bp.route("/kb/faqs", methods=["GET"])
def faqs() -> Response:
    """List the tenant's published FAQs (optional ?category=)."""
    rows = published_faqs(tenant_session(), _category())
    items = [FaqOut(slug=f.slug, question=f.question, category=f.category, url=f.url) for f in rows]
    return jsonify(dump(FaqList(faqs=items)))


@bp.after_request
def _feedback_across_origins(response: Response) -> Response:
    """The tenant's static site may be on another host: its "Was this helpful?" buttons post
    here from the reader's browser, preflight included."""
    if request.endpoint != "api.feedback":
        return response
    return allow_origin(response)


@bp.route("/kb/searches", methods=["POST"])
@limiter.limit("60 per minute")
def search_report() -> tuple[str, int]:
    """Count what a search of the static site saw: nothing found for `query`, or the page
    `opened` from its results. The site sends it as a beacon (a JSON body as text/plain, no
    preflight, the answer unread), so any content type is read as JSON."""
    try:
        data = strict_loads(request.get_data(cache=False, as_text=True) or "null")
    except ValueError:  # a key given twice too: no report is read two ways
        data = None
    body = parse(SearchReport, data)
    if body.opened is None:
        state().search_counts.miss(tenant().id, body.query)
        return "", 204
    page = published_page(tenant_session(), body.opened)
    if page is None:
        raise NotFound("opened: no published article or FAQ has this address.", "opened")
    state().search_counts.opened(tenant().id, body.query, page)
    return "", 204


@bp.route("/kb/articles/<slug>/feedback", methods=["POST"])
@limiter.limit("30 per minute", methods=["POST"])  # not the browser's preflights
def feedback(slug: str) -> tuple[Response, int]:
    """Record "was this article helpful?" and return the article's totals."""
    body = parse(FeedbackCreate, request_json())
    with state().db.write(tenant().id) as session:
        totals = record_feedback(session, slug[:120], body.helpful, body.comment)
    return jsonify(dump(FeedbackTotals(slug=slug, **totals))), 201
