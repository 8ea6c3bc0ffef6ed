"""What customers tell about the knowledge base: votes, opened suggestions, deflections."""

from __future__ import annotations

from sqlalchemy import func, select, update

from intake.db import TenantSession
from intake.errors import NotFound
from intake.models import ArticleFeedback, DeflectionEvent, Faq, KbCategory, KnowledgeBaseArticle


def published_articles(
    session: TenantSession, category: str | None = None
) -> list[KnowledgeBaseArticle]:
    """Return the tenant's published articles by title, of one category if given."""
    query = select(KnowledgeBaseArticle).where(KnowledgeBaseArticle.published.is_(True))
    if category:
        query = query.where(KnowledgeBaseArticle.category == KbCategory(category))
    return list(session.scalars(query.order_by(KnowledgeBaseArticle.title)))


def published_faqs(session: TenantSession, category: str | None = None) -> list[Faq]:
    """Return the tenant's published FAQs by question, of one category if given."""
    query = select(Faq).where(Faq.published.is_(True))
    if category:
        query = query.where(Faq.category == KbCategory(category))
    return list(session.scalars(query.order_by(Faq.question)))


def published_page(session: TenantSession, address: str) -> str | None:
    """Return the page of a published article or FAQ that `address` names (an article's page,
    an FAQ's own page or its entry on the FAQ page), None for anything else."""
    path = address.split("?", 1)[0]
    article = session.scalars(
        select(KnowledgeBaseArticle.url).where(
            KnowledgeBaseArticle.url == path.split("#", 1)[0],
            KnowledgeBaseArticle.published.is_(True),
        )
    ).first()
    if article is not None:
        return article
    slug = path.rsplit("#", 1)[-1] if "#" in path else path.rstrip("/").rsplit("/", 1)[-1]
    faq = session.scalars(select(Faq).where(Faq.slug == slug, Faq.published.is_(True))).first()
    if faq is None or "#" not in faq.url:
        return None
    own = faq.url.replace("#", "", 1) + "/"  # /eur/faq/#refund-time -> /eur/faq/refund-time/
    return own if path in (faq.url, own) else None


def used_categories(session: TenantSession) -> list[KbCategory]:
    """Return the categories that have published content, in the site's order."""
    used = set(
        session.scalars(
            select(KnowledgeBaseArticle.category)
            .where(KnowledgeBaseArticle.published.is_(True))
            .distinct()
        )
    )
    used |= set(session.scalars(select(Faq.category).where(Faq.published.is_(True)).distinct()))
    return [c for c in KbCategory if c in used]


def record_feedback(
    session: TenantSession, slug: str, helpful: bool, comment: str
) -> dict[str, int]:
    """Count one "was this helpful?" answer for a published article; return the totals."""
    article = session.scalars(
        select(KnowledgeBaseArticle)
        .where(KnowledgeBaseArticle.slug == slug, KnowledgeBaseArticle.published.is_(True))
        .limit(1)
    ).first()
    if article is None:
        raise NotFound()
    session.add(ArticleFeedback(article_id=article.id, helpful=helpful, comment=comment))
    column = KnowledgeBaseArticle.helpful_yes if helpful else KnowledgeBaseArticle.helpful_no
    session.execute(
        update(KnowledgeBaseArticle)
        .where(KnowledgeBaseArticle.id == article.id)
        .values({column: column + 1})
    )
    session.flush()
    session.refresh(article)
    return {"helpful_yes": article.helpful_yes, "helpful_no": article.helpful_no}


def record_open(session: TenantSession, visit_id: str, kind: str, slug: str) -> bool:
    """Record that a form visit opened a suggestion; False when the item is unknown."""
    model: type[KnowledgeBaseArticle] | type[Faq] = (
        KnowledgeBaseArticle if kind == "article" else Faq
    )
    item: KnowledgeBaseArticle | Faq | None = session.scalars(  # type: ignore[assignment]
        select(model).where(model.slug == slug).limit(1)
    ).first()
    if item is None:
        return False
    column = DeflectionEvent.article_id if kind == "article" else DeflectionEvent.faq_id
    seen = select(DeflectionEvent.id).where(DeflectionEvent.visit_id == visit_id, column == item.id)
    if session.scalars(seen.limit(1)).first() is not None:
        return True  # opened twice in one visit counts once
    event = DeflectionEvent(visit_id=visit_id)
    setattr(event, column.key, item.id)
    session.add(event)
    return True


def deflections(session: TenantSession) -> dict[str, int]:
    """Count per article or FAQ ("article:slug") the opened suggestions that led to no ticket."""
    counts: dict[str, int] = {}
    for kind, model, column in (
        ("article", KnowledgeBaseArticle, DeflectionEvent.article_id),
        ("faq", Faq, DeflectionEvent.faq_id),
    ):
        rows = session.execute(
            select(model.slug, func.count(DeflectionEvent.id))
            .join(DeflectionEvent, column == model.id)
            .where(DeflectionEvent.ticket_id.is_(None))
            .group_by(model.slug)
        )
        for slug, count in rows:
            counts[f"{kind}:{slug}"] = int(count)
    return counts
