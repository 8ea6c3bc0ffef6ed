"""The help center's search as a page of the service: what the site's search forms reach
without JavaScript (the static search page needs it), results from kbgen's Whoosh index."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from intake.kb.feedback import published_articles
from intake.kb.search import QUERY_MAX, searchable, suggest
from intake.models import KbCategory, KnowledgeBaseArticle
from intake.portal.views import bp
from intake.state import state
from intake.web.limits import limit_search
from intake.web.tenancy import tenant, tenant_session

RESULTS = 20
POPULAR = 5


def described(hit: dict[str, Any]) -> dict[str, Any]:
    """Return a result with what it is and where it belongs ("FAQ · Billing"), as the static
    search says it."""
    kind = "FAQ" if hit["kind"] == "faq" else "Article"
    return {**hit, "label": f"{kind} · {KbCategory(hit['category']).label}"}


def popular_articles() -> list[KnowledgeBaseArticle]:
    """Return the articles readers found most helpful: where a search that found nothing
    sends them (by title among equals, so the list is stable)."""
    articles = published_articles(tenant_session())
    articles.sort(key=lambda a: (-a.helpful_yes, a.title))
    return articles[:POPULAR]


@bp.route("/tickets/search", methods=["GET"])
@limit_search
def search() -> Any:
    """Show the articles and FAQs matching ?q= (the form alone when it is empty)."""
    query = " ".join(request.args.get("q", "")[:QUERY_MAX].split())
    hits = suggest(tenant().id, query, state().config.build_dir, limit=RESULTS) if query else []
    if query and not hits and searchable(tenant().id, state().config.build_dir):
        state().search_counts.miss(tenant().id, query)
    popular = popular_articles() if query and not hits else []
    results = [described(hit) for hit in hits]
    return render_template("portal/search.html", query=query, results=results, popular=popular)
