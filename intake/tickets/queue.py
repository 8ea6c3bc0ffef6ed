"""The desk's queue: tickets filtered, sorted and paged, with counts per status.

A filter comes from the queue's URL (so a view can be bookmarked or saved); every value is
checked, and a bad one raises InvalidInput naming its parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, func, select
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
)
from intake.models.tickets import PRIORITY_RANK
from intake.tickets.rules import TAG_MAX, is_row_id
from intake.tickets.search import text_condition

PAGE_SIZE = 50
ACTIVE = (TicketStatus.open, TicketStatus.in_progress, TicketStatus.pending)
STATUS_CHOICES = ("active", "all", *(s.value for s in TicketStatus))
SORTS = {
    "updated": SupportTicket.updated_at,
    "created": SupportTicket.created_at,
    "priority": SupportTicket.priority_rank,
}
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
        raise InvalidInput("page: use a page number from 1.", "page")
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
        sort=_choice(args, "sort", tuple(SORTS), "updated"),
        order=_choice(args, "order", ("desc", "asc"), "desc"),
        page=int(page),
    )


def _conditions(
    session: TenantSession, view: QueueFilter, agent: Agent, with_status: bool = True
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
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


def page_query(session: TenantSession, view: QueueFilter, agent: Agent) -> Select[SupportTicket]:
    """Return the SELECT of one page (one row more than shown, to know if another follows)."""
    sort = SORTS[view.sort]
    order = (
        (sort.desc(), SupportTicket.id.desc()) if view.order == "desc" else (sort, SupportTicket.id)
    )
    return (
        select(SupportTicket)
        .where(*_conditions(session, view, agent))
        .order_by(*order)
        .offset((view.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .options(selectinload(SupportTicket.tags))
    )


def status_counts(session: TenantSession, view: QueueFilter, agent: Agent) -> dict[str, int]:
    """Return how many tickets of each status the view's other filters select."""
    query = (
        select(SupportTicket.status, func.count())  # count(*): answered from an index alone
        .where(*_conditions(session, view, agent, with_status=False))
        .group_by(SupportTicket.status)
    )
    counts = {s.value: 0 for s in TicketStatus}
    for status, count in session.execute(query):
        counts[status.value] = int(count)
    counts["active"] = sum(counts[s.value] for s in ACTIVE)
    counts["all"] = sum(counts[s.value] for s in TicketStatus)
    return counts


def queue_page(session: TenantSession, view: QueueFilter, agent: Agent) -> QueuePage:
    """Return the tickets of the view's page and the counts per status."""
    rows = list(session.scalars(page_query(session, view, agent)))
    return QueuePage(view, rows[:PAGE_SIZE], len(rows) > PAGE_SIZE,
                     status_counts(session, view, agent))  # fmt: skip
