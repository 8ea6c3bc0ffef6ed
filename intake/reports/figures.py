"""The dashboard's figures for a period, each as a table (intake.reports.tables).

Every figure is one or two aggregate statements: counts per quarter hour (filed under local
days in Python), durations as whole seconds (sorted in Python for the median and the 90th
percentile), sums per status or article. Given an agent, the ticket and chat figures are
theirs alone (an agent's own view); the knowledge base's are the team's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from intake.db import TenantSession
from intake.models import (
    Agent,
    ArticleFeedback,
    AuthorType,
    ChatMessage,
    ChatSession,
    DeflectionEvent,
    Faq,
    KnowledgeBaseArticle,
    SatisfactionRating,
    SearchMiss,
    SupportTicket,
    TicketCitation,
    TicketPriority,
    TicketStatus,
    utcnow,
)
from intake.reports.period import Period
from intake.reports.sql import BUCKET_SECONDS, bucket, epoch
from intake.reports.tables import Table, hours, nearest_rank, percent

OPEN = (TicketStatus.open, TicketStatus.in_progress, TicketStatus.pending)
DONE = (TicketStatus.resolved, TicketStatus.closed)
SEARCHES_SHOWN = 50


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole team's (agent None) or one agent's."""

    period: Period
    agent_id: int | None = None
    now: dt.datetime | None = None


def dashboard(session: TenantSession, scope: Scope) -> dict[str, Table]:
    """Return every figure of the dashboard, by key, in the page's order."""
    dialect = session.get_bind().dialect.name
    first_waits = _first_responses(session, scope, dialect)
    figures = [
        _per_day(session, scope, dialect),
        _open_now(session, scope),
        _times(session, scope, dialect, first_waits),
        _breaches(session, scope),
        _satisfaction(session, scope),
        _chats(session, scope, dialect),
    ]
    if scope.agent_id is None:
        figures.append(_agents(session, scope, first_waits))
    figures += [_articles(session, scope), _searches(session, scope)]
    return {table.key: table for table in figures}


def _tickets(scope: Scope, *columns: Any) -> Select[Any]:
    # From the entity, so the statement is an ORM one (tenant-scoped) whatever its columns.
    query = select(*columns).select_from(SupportTicket)
    if scope.agent_id is not None:
        query = query.where(SupportTicket.assigned_agent_id == scope.agent_id)
    return query


def _within(column: Any, period: Period) -> Any:
    return and_(column >= period.start, column < period.end)


def _count_days(session: TenantSession, query: Select[Any] | Select[int, int],
                period: Period) -> Counter[dt.date]:  # fmt: skip
    """Count a (bucket, count) query's rows per local day of the period."""
    counted: Counter[dt.date] = Counter()
    for quarter, count in session.execute(query):
        at = dt.datetime.fromtimestamp(int(quarter) * BUCKET_SECONDS, dt.UTC)
        counted[period.day_of(at)] += int(count)
    return counted


def _per_day(session: TenantSession, scope: Scope, dialect: str) -> Table:
    period = scope.period
    created_at = bucket(SupportTicket.created_at, dialect)
    created = _tickets(scope, created_at, func.count()).where(
        _within(SupportTicket.created_at, period)).group_by(created_at)  # fmt: skip
    resolved_at = bucket(SupportTicket.resolved_at, dialect)
    resolved = _tickets(scope, resolved_at, func.count()).where(
        _within(SupportTicket.resolved_at, period), SupportTicket.status.in_(DONE),
        SupportTicket.merged_into_id.is_(None)).group_by(resolved_at)  # fmt: skip
    chat_at = bucket(ChatSession.created_at, dialect)
    chats = select(chat_at, func.count()).select_from(ChatSession).where(
        _within(ChatSession.created_at, period), *_own_chats(scope)).group_by(chat_at)  # fmt: skip
    counts = [_count_days(session, q, period) for q in (created, resolved, chats)]
    rows: list[tuple[Any, ...]] = [
        (day.isoformat(), *(c[day] for c in counts)) for day in period.days
    ]
    return Table("daily", "Tickets and chats per day", ("day", "created", "resolved", "chats"),
                 rows)  # fmt: skip


def _open_now(session: TenantSession, scope: Scope) -> Table:
    status, priority = SupportTicket.status, SupportTicket.priority
    query = _tickets(scope, status, priority, func.count()).where(
        status.in_(OPEN)).group_by(status, priority)  # fmt: skip
    counts = {(s, p): int(n) for s, p, n in session.execute(query)}
    rows: list[tuple[Any, ...]] = []
    for state in OPEN:
        per = [counts.get((state, p), 0) for p in TicketPriority]
        rows.append((state.value.replace("_", " "), *per, sum(per)))
    return Table("open", "Open tickets now, by status and priority",
                 ("status", *(p.value for p in TicketPriority), "total"), rows)  # fmt: skip


def _first_responses(
    session: TenantSession, scope: Scope, dialect: str
) -> list[tuple[int | None, int]]:
    """Return (agent, seconds to the first answer) of the tickets created in the period."""
    took = epoch(SupportTicket.first_response_at, dialect) - epoch(
        SupportTicket.created_at, dialect
    )
    query = _tickets(scope, SupportTicket.assigned_agent_id, took).where(
        _within(SupportTicket.created_at, scope.period),
        SupportTicket.first_response_at.is_not(None))  # fmt: skip
    return [(agent, max(int(seconds), 0)) for agent, seconds in session.execute(query)]


def _times(
    session: TenantSession, scope: Scope, dialect: str, first: list[tuple[int | None, int]]
) -> Table:
    took = epoch(SupportTicket.resolved_at, dialect) - epoch(SupportTicket.created_at, dialect)
    query = _tickets(scope, took).where(
        _within(SupportTicket.resolved_at, scope.period), SupportTicket.status.in_(DONE),
        SupportTicket.merged_into_id.is_(None))  # fmt: skip
    resolutions = [max(int(s), 0) for s in session.scalars(query)]
    rows: list[tuple[Any, ...]] = []
    for label, values in (("first answer", [s for _a, s in first]),
                          ("resolution", resolutions)):  # fmt: skip
        rows.append((label, len(values), hours(nearest_rank(values, 0.5)),
                     hours(nearest_rank(values, 0.9))))  # fmt: skip
    return Table("times", "Time to the first answer and to resolution (wall-clock hours)",
                 ("measure", "tickets", "median hours", "90th percentile hours"), rows)  # fmt: skip


def _late(done_at: Any, due_at: Any, now: dt.datetime) -> Any:
    """A target missed: done after it was due, or not done and due already."""
    return func.coalesce(func.sum(case(
        (and_(due_at.is_not(None), or_(done_at > due_at, and_(done_at.is_(None), due_at < now))),
         1), else_=0)), 0)  # fmt: skip


def _breaches(session: TenantSession, scope: Scope) -> Table:
    now = scope.now or utcnow()
    query = _tickets(
        scope,
        func.count(SupportTicket.first_response_due_at),
        _late(SupportTicket.first_response_at, SupportTicket.first_response_due_at, now),
        func.count(SupportTicket.resolution_due_at),
        _late(SupportTicket.resolved_at, SupportTicket.resolution_due_at, now),
    ).where(_within(SupportTicket.created_at, scope.period),
            SupportTicket.merged_into_id.is_(None))  # fmt: skip
    first_due, first_late, resolve_due, resolve_late = (
        int(v) for v in session.execute(query).one()
    )
    rows: list[tuple[Any, ...]] = [
        ("first answer", first_due, first_late, percent(first_late, first_due)),
        ("resolution", resolve_due, resolve_late, percent(resolve_late, resolve_due)),
    ]
    return Table("breaches", "Targets missed, of the tickets created in the period",
                 ("target", "tickets with the target", "missed", "missed %"), rows)  # fmt: skip


def _ratings(session: TenantSession, scope: Scope) -> list[tuple[int | None, bool]]:
    query = select(SatisfactionRating.agent_id, SatisfactionRating.satisfied).where(
        _within(SatisfactionRating.created_at, scope.period))  # fmt: skip
    if scope.agent_id is not None:
        query = query.where(SatisfactionRating.agent_id == scope.agent_id)
    return [(agent, bool(yes)) for agent, yes in session.execute(query)]


def _satisfaction(session: TenantSession, scope: Scope) -> Table:
    ratings = _ratings(session, scope)
    yes = sum(1 for _a, satisfied in ratings if satisfied)
    rows: list[tuple[Any, ...]] = [("solved", yes), ("not solved", len(ratings) - yes)]
    share = percent(yes, len(ratings))
    note = f"{share}% of {len(ratings)} said we solved it." if share is not None else ""
    return Table("satisfaction", "Customers' answers: did we solve it?", ("answer", "customers"),
                 rows, note)  # fmt: skip


def _own_chats(scope: Scope) -> list[Any]:
    return [] if scope.agent_id is None else [ChatSession.agent_id == scope.agent_id]


def _chats(session: TenantSession, scope: Scope, dialect: str) -> Table:
    mine = _own_chats(scope)
    total = session.scalar(select(func.count(ChatSession.id)).where(
        _within(ChatSession.created_at, scope.period), *mine)) or 0  # fmt: skip
    first_answer = func.min(epoch(ChatMessage.created_at, dialect))
    waits = select(first_answer - epoch(ChatSession.created_at, dialect)).select_from(
        ChatMessage).join(ChatSession, and_(ChatSession.id == ChatMessage.session_id,
                          ChatSession.tenant_id == ChatMessage.tenant_id),
    ).where(_within(ChatSession.created_at, scope.period),
            ChatMessage.author_type == AuthorType.agent, *mine
    ).group_by(ChatSession.id, ChatSession.created_at)  # fmt: skip
    seconds = [max(int(s), 0) for s in session.scalars(waits)]
    rows: list[tuple[Any, ...]] = [
        ("chats", total), ("answered by an agent", len(seconds)),
        ("never answered", total - len(seconds)),
        ("median wait (minutes)", _minutes(nearest_rank(seconds, 0.5))),
        ("90th percentile wait (minutes)", _minutes(nearest_rank(seconds, 0.9))),
    ]  # fmt: skip
    return Table("chats", "Chats and how long customers waited for an agent",
                 ("measure", "value"), rows)  # fmt: skip


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _agents(session: TenantSession, scope: Scope, first: list[tuple[int | None, int]]) -> Table:
    resolved: dict[int | None, int] = {agent: int(n) for agent, n in session.execute(
        select(SupportTicket.assigned_agent_id, func.count()).where(
            _within(SupportTicket.resolved_at, scope.period), SupportTicket.status.in_(DONE),
            SupportTicket.merged_into_id.is_(None), SupportTicket.assigned_agent_id.is_not(None),
        ).group_by(SupportTicket.assigned_agent_id))}  # fmt: skip
    waits: dict[int, list[int]] = defaultdict(list)
    for agent, seconds in first:
        if agent is not None:
            waits[agent].append(seconds)
    answers: dict[int, list[bool]] = defaultdict(list)
    for agent, satisfied in _ratings(session, scope):
        if agent is not None:
            answers[agent].append(satisfied)
    rows: list[tuple[Any, ...]] = []
    for person in session.scalars(select(Agent).order_by(Agent.name, Agent.id)):
        said = answers.get(person.id, [])
        if not (person.active or resolved.get(person.id) or waits.get(person.id) or said):
            continue
        rows.append((person.name, int(resolved.get(person.id, 0)),
                     hours(nearest_rank(waits.get(person.id, []), 0.5)), len(said),
                     percent(sum(said), len(said))))  # fmt: skip
    return Table("agents", "Per agent",
                 ("agent", "resolved", "median first answer hours", "satisfaction answers",
                  "solved %"), rows)  # fmt: skip


def _by(rows: Iterable[Any]) -> dict[int, tuple[int, ...]]:
    return {int(key): tuple(int(v or 0) for v in values) for key, *values in rows}


def _articles(session: TenantSession, scope: Scope) -> Table:
    period = scope.period
    unanswered = func.sum(case((DeflectionEvent.ticket_id.is_(None), 1), else_=0))
    views: dict[str, dict[int, tuple[int, ...]]] = {}
    for kind, column in (("article", DeflectionEvent.article_id), ("faq", DeflectionEvent.faq_id)):
        views[kind] = _by(session.execute(
            select(column, func.count(), unanswered)
            .where(_within(DeflectionEvent.created_at, period), column.is_not(None))
            .group_by(column)))  # fmt: skip
    votes = _by(session.execute(
        select(ArticleFeedback.article_id,
               func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0)),
               func.sum(case((ArticleFeedback.helpful.is_(True), 0), else_=1)))
        .where(_within(ArticleFeedback.created_at, period))
        .group_by(ArticleFeedback.article_id)))  # fmt: skip
    cited = _by(session.execute(
        select(TicketCitation.article_id, func.count(func.distinct(TicketCitation.ticket_id)))
        .where(_within(TicketCitation.created_at, period))
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


def _searches(session: TenantSession, scope: Scope) -> Table:
    total = func.sum(SearchMiss.count)
    query = (select(SearchMiss.query, total)
             .where(SearchMiss.day >= scope.period.first, SearchMiss.day <= scope.period.last)
             .group_by(SearchMiss.query).order_by(total.desc(), SearchMiss.query)
             .limit(SEARCHES_SHOWN))  # fmt: skip
    rows: list[tuple[Any, ...]] = [(words, int(n)) for words, n in session.execute(query)]
    return Table("searches", "Searches that found nothing: what to write next",
                 ("search", "times"), rows)  # fmt: skip
