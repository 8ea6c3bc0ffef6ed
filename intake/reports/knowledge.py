"""The knowledge base's figures of the dashboard: what customers read and voted, what agents
cited, and what customers searched for in vain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, func, select

from intake.db import TenantSession
from intake.models import (
    ArticleFeedback,
    DeflectionEvent,
    Faq,
    KnowledgeBaseArticle,
    SearchMiss,
    SearchOpen,
    TicketCitation,
)
from intake.reports.period import Period, within
from intake.reports.tables import Table

SEARCHES_SHOWN = 50


def _by(rows: Iterable[Any]) -> dict[int, tuple[int, ...]]:
    return {int(key): tuple(int(v or 0) for v in values) for key, *values in rows}


def articles(session: TenantSession, period: Period) -> Table:
    """Per article and FAQ: suggestions opened and deflected, votes, tickets citing it."""
    unanswered = func.sum(case((DeflectionEvent.ticket_id.is_(None), 1), else_=0))
    views: dict[str, dict[int, tuple[int, ...]]] = {}
    for kind, column in (("article", DeflectionEvent.article_id), ("faq", DeflectionEvent.faq_id)):
        views[kind] = _by(session.execute(
            select(column, func.count(), unanswered)
            .where(within(DeflectionEvent.created_at, period), column.is_not(None))
            .group_by(column)))  # fmt: skip
    votes = _by(session.execute(
        select(ArticleFeedback.article_id,
               func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0)),
               func.sum(case((ArticleFeedback.helpful.is_(True), 0), else_=1)))
        .where(within(ArticleFeedback.created_at, period))
        .group_by(ArticleFeedback.article_id)))  # fmt: skip
    cited = _by(session.execute(
        select(TicketCitation.article_id, func.count(func.distinct(TicketCitation.ticket_id)))
        .where(within(TicketCitation.created_at, period))
        .group_by(TicketCitation.article_id)))  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    for article in session.scalars(select(KnowledgeBaseArticle)):
        shown, deflected = views["article"].get(article.id, (0, 0))
        yes, no = votes.get(article.id, (0, 0))
        rows.append((article.title, "article", shown, deflected, yes, no,
                     cited.get(article.id, (0,))[0]))  # fmt: skip
    for faq in session.scalars(select(Faq)):
        shown, deflected = views["faq"].get(faq.id, (0, 0))
        rows.append((faq.question, "faq", shown, deflected, 0, 0, 0))
    rows = [r for r in rows if any(r[2:])]  # only what was read, voted on or cited
    rows.sort(key=lambda r: (-int(r[2]), -int(r[6]), str(r[0])))
    return Table("articles", "The knowledge base: what customers read, voted and agents cited",
                 ("title", "kind", "suggestion views", "deflections", "helpful",
                  "not helpful", "tickets citing it"), rows)  # fmt: skip


def searches(session: TenantSession, period: Period) -> Table:
    """The searches that found nothing in the period, most frequent first."""
    total = func.sum(SearchMiss.count)
    query = (select(SearchMiss.query, total)
             .where(SearchMiss.day >= period.first, SearchMiss.day <= period.last)
             .group_by(SearchMiss.query).order_by(total.desc(), SearchMiss.query)
             .limit(SEARCHES_SHOWN))  # fmt: skip
    rows: list[tuple[Any, ...]] = [(words, int(n)) for words, n in session.execute(query)]
    return Table("searches", "Searches that found nothing: what to write next",
                 ("search", "times"), rows)  # fmt: skip


def opened(session: TenantSession, period: Period) -> Table:
    """The pages readers opened from a search's results in the period, most opened first."""
    total = func.sum(SearchOpen.count)
    query = (select(SearchOpen.query, SearchOpen.page, total)
             .where(SearchOpen.day >= period.first, SearchOpen.day <= period.last)
             .group_by(SearchOpen.query, SearchOpen.page)
             .order_by(total.desc(), SearchOpen.query, SearchOpen.page)
             .limit(SEARCHES_SHOWN))  # fmt: skip
    rows: list[tuple[Any, ...]] = [(q, page, int(n)) for q, page, n in session.execute(query)]
    return Table("opened", "What readers opened after searching the help center",
                 ("search", "page", "times"), rows)  # fmt: skip
