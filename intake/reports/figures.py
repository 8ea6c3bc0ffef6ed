"""The dashboard's figures for a period, each as a table (intake.reports.tables).

Every figure is one or two aggregate statements: counts per local day (the database files
each time under its day, the zone's daylight-saving changes included), sums per status or
article, and durations as whole seconds ranked by the nearest-rank method (PostgreSQL's
percentile_disc; on SQLite, read with the day's counts and ranked in Python). Given an agent,
the ticket and chat figures are theirs alone (an agent's own view); the knowledge base's are
the team's.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select, tuple_

from intake.db import TenantSession
from intake.models import (
    Agent,
    AuthorType,
    ChatMessage,
    ChatSession,
    SatisfactionRating,
    SupportTicket,
    TicketPriority,
    TicketStatus,
    utcnow,
)
from intake.reports.knowledge import articles, opened, searches
from intake.reports.period import Period, within
from intake.reports.sql import day_date, epoch, local_day
from intake.reports.tables import Table, hours, nearest_rank, percent

OPEN = (TicketStatus.open, TicketStatus.in_progress, TicketStatus.pending)
DONE = (TicketStatus.resolved, TicketStatus.closed)


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole team's (agent None) or one agent's."""

    period: Period
    agent_id: int | None = None
    now: dt.datetime | None = None


def dashboard(session: TenantSession, scope: Scope) -> dict[str, Table]:
    """Return every figure of the dashboard, by key, in the page's order."""
    dialect = session.get_bind().dialect.name
    team = scope.agent_id is None  # only the team's view has a line per agent
    created, resolved = _created(session, scope, dialect), _resolved(session, scope, dialect)
    # SQLite's durations came with the counts; PostgreSQL ranks them in the database.
    first = created.first or _percentiles(
        session, scope, _seconds(SupportTicket.first_response_at, dialect),
        within(SupportTicket.created_at, scope.period),
        SupportTicket.first_response_at.is_not(None), by_agent=team)  # fmt: skip
    resolutions = resolved.took or _percentiles(
        session, scope, _seconds(SupportTicket.resolved_at, dialect),
        *_resolved_in(scope.period), by_agent=False)  # fmt: skip
    figures = [
        _per_day(session, scope, dialect, created.per_day, resolved.per_day),
        _open_now(session, scope),
        _times(first, resolutions),
        _breaches(created),
        _satisfaction(session, scope),
        _chats(session, scope, dialect),
    ]
    if team:
        figures.append(_agents(session, scope, first, resolved.per_agent))
    figures += [articles(session, scope.period), searches(session, scope.period),
                opened(session, scope.period)]  # fmt: skip
    return {table.key: table for table in figures}


def _tickets(scope: Scope, *columns: Any) -> Select[Any]:
    # From the entity, so the statement is an ORM one (tenant-scoped) whatever its columns.
    query = select(*columns).select_from(SupportTicket)
    if scope.agent_id is not None:
        query = query.where(SupportTicket.assigned_agent_id == scope.agent_id)
    return query


def _resolved_in(period: Period) -> list[Any]:
    """Tickets resolved (or closed) in the period; merged ones were not resolved, but joined."""
    return [within(SupportTicket.resolved_at, period), SupportTicket.status.in_(DONE),
            SupportTicket.merged_into_id.is_(None)]  # fmt: skip


def _seconds(done_at: Any, dialect: str) -> Any:
    """Seconds from a ticket's creation to `done_at`."""
    return epoch(done_at, dialect) - epoch(SupportTicket.created_at, dialect)


def _days(session: TenantSession, query: Select[Any] | Select[int, int]
          ) -> dict[dt.date, tuple[int, ...]]:  # fmt: skip
    """Return a (local day number, counts...) query's rows by date."""
    return {day_date(day): tuple(int(n or 0) for n in counts)
            for day, *counts in session.execute(query)}  # fmt: skip


def _dated(per_day: Counter[int]) -> dict[dt.date, int]:
    """Return counts by local day number (local_day) as counts by date."""
    return {day_date(number): int(count) for number, count in per_day.items()}


def _late(done_at: Any, due_at: Any, now: dt.datetime) -> Any:
    """1 for a ticket that missed a target: done after it was due, or not done and due."""
    missed = or_(done_at > due_at, and_(done_at.is_(None), due_at < now))
    return case((and_(due_at.is_not(None), missed), 1), else_=0)


@dataclass(frozen=True)
class Created:
    """The tickets created in the period: per day, the targets they had and missed, and on
    SQLite their times to the first answer, read in the same pass (PostgreSQL ranks them)."""

    per_day: dict[dt.date, int]
    targets: tuple[int, int, int, int]  # first answer: due, missed; resolution: due, missed
    first: Ranked | None = None


def _created(session: TenantSession, scope: Scope, dialect: str) -> Created:
    """Count the period's new tickets per local day and their targets, in one statement."""
    now, kept = scope.now or utcnow(), SupportTicket.merged_into_id.is_(None)
    day = local_day(SupportTicket.created_at, dialect, scope.period.offsets())
    # On SQLite the same pass reads each agent's times to the first answer.
    sqlite = dialect == "sqlite"
    agent = SupportTicket.assigned_agent_id if sqlite else literal(None)
    counted = {"first": SupportTicket.first_response_due_at,
               "resolution": SupportTicket.resolution_due_at}  # fmt: skip
    columns = [
        day, agent, func.count(),
        *(func.sum(case((and_(kept, due.is_not(None)), 1), else_=0)) for due in counted.values()),
        # The first answer's clock stops at the answer or, for a ticket finished without one
        # (the customer resolved it), at that: it missed nothing once nothing was awaited.
        func.sum(case((kept, _late(func.coalesce(SupportTicket.first_response_at,
                                                 SupportTicket.resolved_at), counted["first"],
                                   now)), else_=0)),
        func.sum(case((kept, _late(SupportTicket.resolved_at, counted["resolution"], now)),
                      else_=0)),
    ]  # fmt: skip
    if sqlite:  # without an answer the difference is NULL, which is left out
        columns.append(_listed(_seconds(SupportTicket.first_response_at, dialect)))
    query = _tickets(scope, *columns).where(within(SupportTicket.created_at, scope.period))
    query = query.group_by(day, agent) if sqlite else query.group_by(day)
    per_day: Counter[int] = Counter()
    totals: Counter[int] = Counter()
    took: dict[int | None, list[str]] = defaultdict(list)
    for number, who, count, *sums in session.execute(query):
        per_day[number] += count
        totals.update({i: n for i, n in enumerate(sums[:4]) if n})
        if len(sums) > 4 and sums[4]:
            took[who].append(sums[4])
    first = _ranks(took, by_agent=scope.agent_id is None) if sqlite else None
    return Created(_dated(per_day), (totals[0], totals[2], totals[1], totals[3]), first)


@dataclass(frozen=True)
class Ranked:
    """Durations' median and 90th percentile (nearest rank), for all and per agent."""

    count: int
    median: int | None
    p90: int | None
    per_agent: dict[int | None, tuple[int, int]]  # agent: (how many, median)


def _listed(took: Any) -> Any:
    """SQLite: the durations of a group as one text of whole seconds ("12,0,3600")."""
    return func.group_concat(func.max(took, 0))


def _ranks(listed: dict[int | None, list[str]], by_agent: bool) -> Ranked:
    """Rank durations, given as _listed texts per agent: all of them, and (`by_agent`) each
    agent's. The texts are joined first, so each agent's numbers are read in one pass."""
    per_agent = {who: list(map(int, ",".join(texts).split(","))) for who, texts in listed.items()}
    medians = {who: (len(times), int(nearest_rank(times, 0.5) or 0))
               for who, times in per_agent.items()} if by_agent else {}  # fmt: skip
    values = sorted(itertools.chain.from_iterable(per_agent.values()))
    median = nearest_rank(values, 0.5, ordered=True)
    p90 = nearest_rank(values, 0.9, ordered=True)
    return Ranked(len(values), None if median is None else int(median),
                  None if p90 is None else int(p90), medians)  # fmt: skip


def _percentiles(session: TenantSession, scope: Scope, took: Any, *where: Any,
                 by_agent: bool) -> Ranked:  # fmt: skip
    """PostgreSQL's ordered-set aggregates: percentile_disc is the nearest rank, the same
    figure as SQLite's path gives (one sort per grouping, no row sent)."""
    agent = SupportTicket.assigned_agent_id
    median = func.percentile_disc(0.5).within_group(took)
    p90 = func.percentile_disc(0.9).within_group(took)
    sets = func.grouping_sets(tuple_(agent), tuple_()) if by_agent else None
    query = _tickets(scope, agent if by_agent else literal(None), func.count(), median, p90,
                     func.grouping(agent) if by_agent else literal(1)).where(*where)  # fmt: skip
    if sets is not None:
        query = query.group_by(sets)
    whole, medians = Ranked(0, None, None, {}), {}
    for who, n, middle, ninety, of_all in session.execute(query):
        if of_all:  # the grouping set of all the period's tickets
            whole = Ranked(int(n), _seconds_of(middle), _seconds_of(ninety), {})
        elif n:
            medians[who] = (int(n), _seconds_of(middle) or 0)
    return Ranked(whole.count, whole.median, whole.p90, medians)


def _seconds_of(value: Any) -> int | None:
    return None if value is None else max(int(value), 0)


@dataclass(frozen=True)
class Resolved:
    """The tickets resolved in the period: per local day, and per agent who had them; on
    SQLite also their resolution times, read in the same pass (PostgreSQL ranks them)."""

    per_day: dict[dt.date, int]
    per_agent: dict[int | None, int]
    took: Ranked | None = None


def _resolved(session: TenantSession, scope: Scope, dialect: str) -> Resolved:
    day = local_day(SupportTicket.resolved_at, dialect, scope.period.offsets())
    agent = SupportTicket.assigned_agent_id
    columns = [day, agent, func.count()]
    if dialect == "sqlite":
        columns.append(_listed(_seconds(SupportTicket.resolved_at, dialect)))
    query = _tickets(scope, *columns).where(*_resolved_in(scope.period)).group_by(day, agent)
    per_day: Counter[int] = Counter()
    per_agent: Counter[int | None] = Counter()
    took: dict[int | None, list[str]] = defaultdict(list)
    for number, who, count, *listed in session.execute(query):
        per_day[number] += count
        per_agent[who] += count
        if listed and listed[0]:
            took[who].append(listed[0])
    ranked = _ranks(took, by_agent=False) if dialect == "sqlite" else None
    return Resolved(_dated(per_day), dict(per_agent), ranked)


def _per_day(session: TenantSession, scope: Scope, dialect: str, created: dict[dt.date, int],
             resolved: dict[dt.date, int]) -> Table:  # fmt: skip
    period, offsets = scope.period, scope.period.offsets()
    chat_day = local_day(ChatSession.created_at, dialect, offsets)
    chat_query = select(chat_day, func.count()).select_from(ChatSession).where(
        within(ChatSession.created_at, period), *_own_chats(scope)).group_by(chat_day)  # fmt: skip
    chats = _days(session, chat_query)
    rows: list[tuple[Any, ...]] = [
        (day.isoformat(), created.get(day, 0), resolved.get(day, 0), chats.get(day, (0,))[0])
        for day in period.days
    ]  # fmt: skip
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


def _times(first: Ranked, resolved: Ranked) -> Table:
    rows: list[tuple[Any, ...]] = [
        (label, ranked.count, hours(ranked.median), hours(ranked.p90))
        for label, ranked in (("first answer", first), ("resolution", resolved))
    ]
    return Table("times", "Time to the first answer and to resolution (wall-clock hours)",
                 ("measure", "tickets", "median hours", "90th percentile hours"), rows)  # fmt: skip


def _breaches(created: Created) -> Table:
    first_due, first_late, resolve_due, resolve_late = created.targets
    rows: list[tuple[Any, ...]] = [
        ("first answer", first_due, first_late, percent(first_late, first_due)),
        ("resolution", resolve_due, resolve_late, percent(resolve_late, resolve_due)),
    ]
    return Table("breaches", "Targets missed, of the tickets created in the period",
                 ("target", "tickets with the target", "missed", "missed %"), rows)  # fmt: skip


def _ratings(session: TenantSession, scope: Scope) -> list[tuple[int | None, bool]]:
    query = select(SatisfactionRating.agent_id, SatisfactionRating.satisfied).where(
        within(SatisfactionRating.created_at, scope.period))  # fmt: skip
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
        within(ChatSession.created_at, scope.period), *mine)) or 0  # fmt: skip
    first_answer = func.min(epoch(ChatMessage.created_at, dialect))
    waits = select(first_answer - epoch(ChatSession.created_at, dialect)).select_from(
        ChatMessage).join(ChatSession, and_(ChatSession.id == ChatMessage.session_id,
                          ChatSession.tenant_id == ChatMessage.tenant_id),
    ).where(within(ChatSession.created_at, scope.period),
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


def _agents(session: TenantSession, scope: Scope, first: Ranked,
            resolved: dict[int | None, int]) -> Table:  # fmt: skip
    answers: dict[int, list[bool]] = defaultdict(list)
    for agent, satisfied in _ratings(session, scope):
        if agent is not None:
            answers[agent].append(satisfied)
    rows: list[tuple[Any, ...]] = []
    for person in session.scalars(select(Agent).order_by(Agent.name, Agent.id)):
        said, done = answers.get(person.id, []), resolved.get(person.id, 0)
        waited = first.per_agent.get(person.id)
        if not (person.active or done or waited or said):
            continue
        rows.append((person.name, done, hours(waited[1]) if waited else None, len(said),
                     percent(sum(said), len(said))))  # fmt: skip
    return Table("agents", "Per agent",
                 ("agent", "resolved", "median first answer hours", "satisfaction answers",
                  "solved %"), rows)  # fmt: skip
