"""The desk's queue: tickets filtered, sorted and paged, with counts per status.

A filter comes from the queue's URL (so a view can be bookmarked or saved); every value is
checked, and a bad one raises InvalidInput naming its parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import selectinload

from intake.db import TenantSession
from intake.errors import InvalidInput
from intake.models import (
    Agent,
    SupportTicket,
    TicketCategory,
    TicketPriority,
    TicketStatus,
    TicketTag,
    utcnow,
)
from intake.models.tickets import PRIORITY_RANK
from intake.settings import TenantSettings
from intake.tickets.rules import TAG_MAX, is_row_id
from intake.tickets.search import text_condition
from intake.tickets.targets import next_due, next_due_of, read_policy

PAGE_SIZE = 50
ACTIVE = (TicketStatus.open, TicketStatus.in_progress, TicketStatus.pending)
STATUS_CHOICES = ("active", "all", *(s.value for s in TicketStatus))
SORTS = {
    "updated": SupportTicket.updated_at,
    "created": SupportTicket.created_at,
    "priority": SupportTicket.priority_rank,
    "due": next_due(),  # the next target; tickets without one last, either way
}
DUE_CHOICES = ("", "missed", "soon")
QUERY_MAX = 200


@dataclass(frozen=True)
class QueueFilter:
    """One view of the queue."""

    status: str = "active"
    priority: str = ""
    category: str = ""
    tag: str = ""
    group: str = ""  # a group id
    assignee: str = ""  # "mine", "unassigned" or an agent id
    q: str = ""
    due: str = ""  # "missed": a target passed; "soon": within the warning before one
    sort: str = "updated"
    order: str = "desc"
    page: int = 1

    def query_string(self, **changes: object) -> str:
        """Return the URL query of this view (with `changes`), leaving out the defaults."""
        view = replace(self, **changes)  # type: ignore[arg-type]
        default = QueueFilter()
        pairs = [(k, str(v)) for k, v in vars(view).items() if v != getattr(default, k)]
        return urlencode(pairs)


def _choice(args: Mapping[str, str], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = args.get(key, default).strip() or default
    if value not in allowed:
        raise InvalidInput(f"{key}: use one of {', '.join(a for a in allowed if a)}.", key)
    return value


def _id_or(args: Mapping[str, str], key: str, words: tuple[str, ...]) -> str:
    value = args.get(key, "").strip()
    if value and value not in words and not is_row_id(value):
        raise InvalidInput(f"{key}: use {' or '.join(words + ('an id',))}.", key)
    return value


def parse_filter(args: Mapping[str, str]) -> QueueFilter:
    """Read and check a queue filter from URL parameters."""
    page = args.get("page", "1").strip() or "1"
    if not (page.isascii() and page.isdigit()) or not 1 <= int(page) <= 100_000:
        raise InvalidInput("page: use a page number from 1 to 100,000.", "page")
    tag = args.get("tag", "").strip().lower()
    if len(tag) > TAG_MAX:
        raise InvalidInput(f"tag: at most {TAG_MAX} characters.", "tag")
    q = args.get("q", "").strip()
    if len(q) > QUERY_MAX:
        raise InvalidInput(f"q: at most {QUERY_MAX} characters.", "q")
    return QueueFilter(
        status=_choice(args, "status", STATUS_CHOICES, "active"),
        priority=_choice(args, "priority", ("", *(p.value for p in TicketPriority)), ""),
        category=_choice(args, "category", ("", *(c.value for c in TicketCategory)), ""),
        tag=tag,
        group=_id_or(args, "group", ()),
        assignee=_id_or(args, "assignee", ("mine", "unassigned")),
        q=q,
        due=_choice(args, "due", DUE_CHOICES, ""),
        sort=_choice(args, "sort", tuple(SORTS), "updated"),
        order=_choice(args, "order", ("desc", "asc"), "desc"),
        page=int(page),
    )


@dataclass(frozen=True)
class Clock:
    """The moment a queue is read, and how long before a target it counts as due soon."""

    now: dt.datetime = field(default_factory=utcnow)
    warning: dt.timedelta = dt.timedelta(hours=1)

    def state(self, due: dt.datetime | None) -> str:
        """Say "missed", "soon" or "" of a due time."""
        if due is None:
            return ""
        return "missed" if due <= self.now else "soon" if due <= self.now + self.warning else ""


def _due_condition(due: str, clock: Clock) -> ColumnElement[bool]:
    target = next_due()
    if due == "missed":
        return target <= clock.now
    return (target > clock.now) & (target <= clock.now + clock.warning)


def _conditions(
    session: TenantSession, view: QueueFilter, agent: Agent, with_status: bool = True,
    clock: Clock | None = None,
) -> list[ColumnElement[bool]]:  # fmt: skip
    where: list[ColumnElement[bool]] = []
    if view.due:
        where.append(_due_condition(view.due, clock or Clock()))
    if with_status and view.status == "active":
        where.append(SupportTicket.status.in_(ACTIVE))
    elif with_status and view.status != "all":
        where.append(SupportTicket.status == TicketStatus(view.status))
    if view.priority:  # the rank, not the name: an index holds the rank
        where.append(SupportTicket.priority_rank == PRIORITY_RANK[TicketPriority(view.priority)])
    if view.category:
        where.append(SupportTicket.category == TicketCategory(view.category))
    if view.tag:
        tagged = select(TicketTag.ticket_id).where(TicketTag.tag == view.tag)
        where.append(SupportTicket.id.in_(tagged))
    if view.group:
        where.append(SupportTicket.group_id == int(view.group))
    if view.assignee == "mine":
        where.append(SupportTicket.assigned_agent_id == agent.id)
    elif view.assignee == "unassigned":
        where.append(SupportTicket.assigned_agent_id.is_(None))
    elif view.assignee:
        where.append(SupportTicket.assigned_agent_id == int(view.assignee))
    if view.q:
        where.append(text_condition(session, view.q))
    return where


@dataclass
class QueuePage:
    """One page of the queue and what the page shows around it."""

    view: QueueFilter
    tickets: list[SupportTicket]
    has_next: bool
    counts: dict[str, int] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)

    def due(self, ticket: SupportTicket) -> tuple[dt.datetime | None, str]:
        """Return a shown ticket's next target and whether it is missed or soon."""
        at = next_due_of(ticket)
        return at, self.clock.state(at)


def page_query(
    session: TenantSession, view: QueueFilter, agent: Agent, clock: Clock | None = None
) -> Select[SupportTicket]:
    """Return the SELECT of one page (one row more than shown, to know if another follows)."""
    sort = SORTS[view.sort]
    first = sort.desc() if view.order == "desc" else sort.asc()
    if view.sort == "due":
        first = first.nulls_last()
    order = (first, SupportTicket.id.desc() if view.order == "desc" else SupportTicket.id.asc())
    return (
        select(SupportTicket)
        .where(*_conditions(session, view, agent, clock=clock))
        .order_by(*order)
        .offset((view.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .options(selectinload(SupportTicket.tags))
    )


def status_counts(
    session: TenantSession, view: QueueFilter, agent: Agent, clock: Clock | None = None
) -> dict[str, int]:
    """Return how many tickets of each status the view's other filters select, and how many
    of them missed a target or are due soon ("missed", "soon")."""
    clock = clock or Clock()

    def how_many(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    # One statement: the counts per status under the view's target filter, and beside them
    # how many missed a target or are due soon whatever that filter says.
    per_status = how_many(_due_condition(view.due, clock)) if view.due else func.count()
    query = (
        select(SupportTicket.status, per_status, how_many(_due_condition("missed", clock)),
               how_many(_due_condition("soon", clock)))
        .where(*_conditions(session, replace(view, due=""), agent, with_status=False))
        .group_by(SupportTicket.status)
    )  # fmt: skip
    counts = {s.value: 0 for s in TicketStatus} | {"missed": 0, "soon": 0}
    for status, count, missed, soon in session.execute(query):
        counts[status.value] = int(count or 0)
        counts["missed"] += int(missed or 0)
        counts["soon"] += int(soon or 0)
    counts["active"] = sum(counts[s.value] for s in ACTIVE)
    counts["all"] = sum(counts[s.value] for s in TicketStatus)
    return counts


def queue_page(
    session: TenantSession, view: QueueFilter, agent: Agent, clock: Clock | None = None
) -> QueuePage:
    """Return the tickets of the view's page and the counts per status (and of targets missed
    and due soon, by the tenant's warning unless `clock` says otherwise)."""
    clock = clock or Clock(warning=read_policy(TenantSettings(session)).warning)
    rows = list(session.scalars(page_query(session, view, agent, clock)))
    return QueuePage(view, rows[:PAGE_SIZE], len(rows) > PAGE_SIZE,
                     status_counts(session, view, agent, clock), clock)  # fmt: skip
