"""The desk's queue: each filter selects exactly the right tickets, sorts and pages hold,
counts per status, bad parameters are named, tenants stay apart, and a page (or a ticket's
page) costs a fixed number of SQL statements whatever it shows."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
from flask import Flask
from sqlalchemy import Engine, event, select

from intake.agents.accounts import NewAgent, create_agent
from intake.db import Database, TenantSession
from intake.errors import InvalidInput
from intake.models import (
    Agent,
    AgentGroup,
    AuthorType,
    KnowledgeBaseArticle,
    SupportTicket,
    TicketAttachment,
    TicketCategory,
    TicketCitation,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketResponse,
    TicketStatus,
    TicketTag,
)
from intake.state import state
from intake.tickets.loading import page_extras, ticket_by_reference
from intake.tickets.queue import PAGE_SIZE, QueueFilter, parse_filter, queue_page

BASE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
PREFIX = {"eur": "EUR", "km": "KM"}


def add_ticket(
    session: TenantSession,
    number: int,
    subject: str,
    description: str = "Nothing more to say about it.",
    status: TicketStatus = TicketStatus.open,
    priority: TicketPriority = TicketPriority.medium,
    category: TicketCategory = TicketCategory.general,
    tags: tuple[str, ...] = (),
    group: int | None = None,
    assignee: int | None = None,
    created: int = 0,
    updated: int = 0,
    customer: str = "ada@example.com",
) -> SupportTicket:
    """Add a ticket of the session's tenant (times in hours after BASE); return it flushed."""
    tenant = session.tenant_id or ""
    ticket = SupportTicket(
        number=number, reference=f"{PREFIX[tenant]}-{number}",
        token_hash=hashlib.sha256(f"{tenant}:{number}".encode()).hexdigest(),
        customer_name="Ada Lovelace", customer_email=customer, subject=subject,
        description=description, category=category, priority=priority, status=status,
        assigned_agent_id=assignee, group_id=group,
        created_at=BASE + dt.timedelta(hours=created),
        updated_at=BASE + dt.timedelta(hours=updated),
    )  # fmt: skip
    ticket.tags = [TicketTag(tag=tag) for tag in tags]
    session.add(ticket)
    session.flush()
    return ticket


def add_reply(
    session: TenantSession, ticket: SupportTicket, body: str, agent: int | None = None,
    internal: bool = False,
) -> TicketResponse:  # fmt: skip
    """Add a message to a ticket's thread: the customer's, or an agent's reply or note."""
    reply = TicketResponse(
        ticket_id=ticket.id, author_type=AuthorType.agent if agent else AuthorType.customer,
        agent_id=agent, body=body, is_internal=internal,
    )  # fmt: skip
    session.add(reply)
    session.flush()
    return reply


def make_agent(db: Database, tenant: str, name: str) -> Agent:
    """Create an agent account of a tenant."""
    email = name.lower().replace(" ", ".") + f"@{tenant}.example.com"
    with db.write(tenant) as session:
        return create_agent(session, NewAgent(email, name, "correct horse battery staple"))


@dataclass
class Desk:
    """A tenant's desk with known tickets: `ids` by label, its agents' and groups' ids."""

    db: Database
    me: Agent
    other: Agent
    km_agent: Agent
    g1: int
    g2: int
    km_group: int
    ids: dict[str, int] = field(default_factory=dict)

    def page(self, tenant: str = "eur", agent: Agent | None = None, **args: str) -> Any:
        """Return the queue page of the URL parameters `args`."""
        return self._page(tenant, agent or self.me, args)

    def labels(self, tenant: str = "eur", **args: str) -> list[str]:
        """Return the labels of the tickets of a queue page, in their order."""
        by_id = {v: k for k, v in self.ids.items()}
        return [by_id[t.id] for t in self._page(tenant, self.me, args).tickets]

    def _page(self, tenant: str, agent: Agent, args: dict[str, str]) -> Any:
        with self.db.read(tenant) as session:
            return queue_page(session, parse_filter(args), agent)


@pytest.fixture
def desk(app: Flask) -> Desk:
    """Return eur's desk with seven tickets T1..T7 and km's with one ticket, K1.

    Every word a q filter looks for in eur is also in K1, so only the tenant keeps it out.
    """
    db = state(app).db
    me, other = make_agent(db, "eur", "Me Agent"), make_agent(db, "eur", "Other Agent")
    km_agent = make_agent(db, "km", "Kim Agent")
    with db.write("eur") as session:
        groups = [AgentGroup(name="Billing"), AgentGroup(name="Platform")]
        session.add_all(groups)
        session.flush()
        g1, g2 = groups[0].id, groups[1].id
        s, p, c = TicketStatus, TicketPriority, TicketCategory
        rows: dict[str, SupportTicket] = {
            "T1": add_ticket(session, 1, "Invoice is missing",
                             "The March statement never arrived in our mailbox.", s.open, p.high,
                             c.billing, ("vip",), g1, me.id, created=1, updated=9),
            "T2": add_ticket(session, 2, "Login loops forever",
                             "After the password reset the sign-in page reloads.", s.in_progress,
                             p.low, c.technical, ("sso", "vip"), g2, other.id, 2, 8),
            "T3": add_ticket(session, 3, "Cannot change plan", "The plan page shows an error.",
                             s.pending, p.urgent, c.general, (), None, None, 3, 3),
            "T4": add_ticket(session, 4, "Refund for a double charge",
                             "We were charged twice this year.", s.resolved, p.medium, c.billing,
                             ("sso",), g1, me.id, 4, 7),
            "T5": add_ticket(session, 5, "Export button broken", "The export does nothing.",
                             s.closed, p.medium, c.bug_report, (), None, None, 5, 6),
            "T6": add_ticket(session, 6, "Dark mode please", "Would love a darker theme.",
                             s.open, p.medium, c.feature_request, ("export",), g2, None, 6, 5),
            "T7": add_ticket(session, 7, "Webhook retries", "Webhooks fail with a timeout.",
                             s.open, p.low, c.technical, (), None, None, 7, 4),
        }  # fmt: skip
        add_reply(session, rows["T6"], "Any news on the zebracorn theme?")
        add_reply(session, rows["T7"], "Customer is on the quokka cluster.", me.id, internal=True)
        ids = {label: t.id for label, t in rows.items()}
    with db.write("km") as session:
        km_group = AgentGroup(name="Billing")
        session.add(km_group)
        session.flush()
        k1 = add_ticket(session, 1, "Invoice zebracorn quokka",
                        "The statement arrived after the password reset: a double charge.",
                        TicketStatus.open, TicketPriority.low, TicketCategory.billing,
                        ("vip", "sso"), km_group.id, km_agent.id, 1, 20)  # fmt: skip
        add_reply(session, k1, "Any news on the zebracorn refund?")
        ids["K1"], km_group_id = k1.id, km_group.id
    return Desk(db, me, other, km_agent, g1, g2, km_group_id, ids)


ACTIVE = ["T1", "T2", "T6", "T7", "T3"]  # by updated_at, newest first


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, ACTIVE),
        ({"status": "active"}, ACTIVE),
        ({"status": "all"}, ["T1", "T2", "T4", "T5", "T6", "T7", "T3"]),
        ({"status": "open"}, ["T1", "T6", "T7"]),
        ({"status": "in_progress"}, ["T2"]),
        ({"status": "pending"}, ["T3"]),
        ({"status": "resolved"}, ["T4"]),
        ({"status": "closed"}, ["T5"]),
        ({"priority": "low"}, ["T2", "T7"]),
        ({"priority": "urgent"}, ["T3"]),
        ({"priority": "medium", "status": "all"}, ["T4", "T5", "T6"]),
        ({"category": "billing"}, ["T1"]),
        ({"category": "billing", "status": "all"}, ["T1", "T4"]),
        ({"category": "technical"}, ["T2", "T7"]),
        ({"tag": "vip"}, ["T1", "T2"]),
        ({"tag": " VIP "}, ["T1", "T2"]),
        ({"tag": "sso", "status": "all"}, ["T2", "T4"]),
        ({"tag": "nothing"}, []),
        ({"group": "{g1}"}, ["T1"]),
        ({"group": "{g1}", "status": "all"}, ["T1", "T4"]),
        ({"group": "{g2}"}, ["T2", "T6"]),
        ({"group": "{km_group}", "status": "all"}, []),
        ({"assignee": "mine"}, ["T1"]),
        ({"assignee": "mine", "status": "all"}, ["T1", "T4"]),
        ({"assignee": "unassigned"}, ["T6", "T7", "T3"]),
        ({"assignee": "unassigned", "status": "all"}, ["T5", "T6", "T7", "T3"]),
        ({"assignee": "{other}"}, ["T2"]),
        ({"assignee": "{km_agent}", "status": "all"}, []),
        ({"priority": "low", "assignee": "unassigned"}, ["T7"]),
        ({"status": "all", "category": "billing", "tag": "sso"}, ["T4"]),
        ({"q": "invoice"}, ["T1"]),  # subject
        ({"q": "statement"}, ["T1"]),  # description only
        ({"q": "zebracorn"}, ["T6"]),  # the customer's reply
        ({"q": "quokka"}, ["T7"]),  # an internal note
        ({"q": "zebra"}, ["T6"]),  # words match by prefix
        ({"q": "ZEBRACORN!"}, ["T6"]),  # case and punctuation do not matter
        ({"q": "password reset"}, ["T2"]),  # every word
        ({"q": "dark zebracorn"}, ["T6"]),  # in the subject and in a reply of one ticket
        ({"q": "dark _"}, ["T6"]),  # a "word" of no letter or digit is no condition
        ({"q": "invoice zebracorn"}, []),  # the words are in two tickets
        ({"q": "refund"}, []),  # T4 is resolved
        ({"q": "refund", "status": "all"}, ["T4"]),
        ({"q": "!!!"}, ACTIVE),  # no words: no condition
    ],
)
def test_each_filter_selects_exactly_its_tickets(
    desk: Desk, args: dict[str, str], expected: list[str]
) -> None:
    names = {"g1": desk.g1, "g2": desk.g2, "km_group": desk.km_group, "other": desk.other.id,
             "km_agent": desk.km_agent.id}  # fmt: skip
    resolved = {key: value.format(**names) for key, value in args.items()}
    assert desk.labels(**resolved) == expected


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("updated", "desc", ["T1", "T2", "T6", "T7", "T3"]),
        ("updated", "asc", ["T3", "T7", "T6", "T2", "T1"]),
        ("created", "desc", ["T7", "T6", "T3", "T2", "T1"]),
        ("created", "asc", ["T1", "T2", "T3", "T6", "T7"]),
        # urgent, high, medium, low; ties (T2 and T7 are low) by id, in the same direction
        ("priority", "desc", ["T3", "T1", "T6", "T7", "T2"]),
        ("priority", "asc", ["T2", "T7", "T6", "T1", "T3"]),
    ],
)
def test_sorts(desk: Desk, sort: str, order: str, expected: list[str]) -> None:
    assert desk.labels(sort=sort, order=order) == expected


def test_counts_per_status_follow_every_filter_but_the_status(desk: Desk) -> None:
    everything = {"open": 3, "in_progress": 1, "pending": 1, "resolved": 1, "closed": 1,
                  "active": 5, "all": 7, "missed": 0, "soon": 0}  # fmt: skip
    assert desk.page().counts == everything
    assert desk.page(status="closed").counts == everything
    medium = {"open": 1, "in_progress": 0, "pending": 0, "resolved": 1, "closed": 1,
              "active": 1, "all": 3, "missed": 0, "soon": 0}  # fmt: skip
    assert desk.page(priority="medium").counts == medium
    page = desk.page(priority="medium", status="closed")
    assert page.counts == medium
    assert [t.id for t in page.tickets] == [desk.ids["T5"]]
    assert desk.page(q="zebracorn").counts["all"] == 1
    assert desk.page(tag="sso").counts == {**dict.fromkeys(everything, 0), "in_progress": 1,
                                           "resolved": 1, "active": 1, "all": 2}  # fmt: skip


def test_a_tenant_never_sees_another_tenants_tickets(desk: Desk) -> None:
    km_words = ("invoice", "zebracorn", "quokka", "statement", "double charge", "refund")
    for words in km_words:
        page = desk.page(q=words, status="all")
        assert desk.ids["K1"] not in [t.id for t in page.tickets]
        assert page.counts["all"] == len(page.tickets)
    assert desk.page(status="all").counts["all"] == 7
    assert desk.labels(tag="vip", status="all") == ["T1", "T2"]
    km = desk.page("km", agent=desk.km_agent, status="all")
    assert [t.id for t in km.tickets] == [desk.ids["K1"]]
    assert km.counts["all"] == 1
    assert desk.labels("km", q="webhook", status="all") == []  # eur's T7 stays in eur


def _many(
    db: Database, count: int, first: int = 100, tags: tuple[str, ...] = (), replies: int = 0
) -> None:
    """Add `count` open tickets to eur, all updated at the same moment (ties on the sort)."""
    with db.write("eur") as session:
        for n in range(first, first + count):
            ticket = add_ticket(session, n, f"Ticket number {n}", tags=tags, updated=30)
            for r in range(replies):
                add_reply(session, ticket, f"Reply {r} about the gizmo.")


def test_pages_split_the_queue_without_gaps_or_overlaps(app: Flask) -> None:
    db = state(app).db
    me = make_agent(db, "eur", "Me Agent")
    _many(db, PAGE_SIZE + 5)
    with db.read("eur") as session:
        first = queue_page(session, parse_filter({}), me)
        second = queue_page(session, parse_filter({"page": "2"}), me)
        third = queue_page(session, parse_filter({"page": "3"}), me)
    assert (len(first.tickets), first.has_next) == (PAGE_SIZE, True)
    assert (len(second.tickets), second.has_next) == (5, False)
    assert (third.tickets, third.has_next) == ([], False)
    ids = [t.id for t in first.tickets + second.tickets]
    assert len(set(ids)) == PAGE_SIZE + 5
    assert ids == sorted(ids, reverse=True)  # equal times: by id, newest first
    assert first.counts["open"] == PAGE_SIZE + 5


@pytest.mark.parametrize(("count", "has_next"), [(PAGE_SIZE, False), (PAGE_SIZE + 1, True)])
def test_has_next_only_when_another_ticket_follows(app: Flask, count: int, has_next: bool) -> None:
    db = state(app).db
    me = make_agent(db, "eur", "Me Agent")
    _many(db, count)
    with db.read("eur") as session:
        page = queue_page(session, parse_filter({}), me)
    assert (len(page.tickets), page.has_next) == (PAGE_SIZE, has_next)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("status", "bogus"),
        ("status", "Open"),
        ("priority", "bogus"),
        ("category", "nope"),
        ("sort", "subject"),
        ("order", "up"),
        ("page", "0"),
        ("page", "-1"),
        ("page", "1.5"),
        ("page", "x"),
        ("page", "١"),  # an Arabic-Indic digit one: a digit to Python, not to us
        ("page", "²"),
        ("page", "100001"),
        ("assignee", "x"),
        ("assignee", "١"),
        ("assignee", "me"),
        ("group", "x"),
        ("group", "٣"),
        ("tag", "x" * 41),
        ("q", "x" * 201),
    ],
)
def test_a_bad_parameter_is_refused_by_name(key: str, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_filter({key: value})
    assert caught.value.field == key
    assert caught.value.message.startswith(f"{key}: ")


def test_blank_parameters_mean_the_defaults_and_a_view_survives_its_url() -> None:
    assert parse_filter({"status": " ", "page": "", "sort": "", "q": "  "}) == QueueFilter()
    view = parse_filter({"status": "all", "tag": "vip", "assignee": "mine", "q": "a b",
                         "sort": "priority", "order": "asc", "page": "3"})  # fmt: skip
    assert parse_filter(dict(parse_qsl(view.query_string()))) == view
    assert QueueFilter().query_string() == ""


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements an engine runs (transaction control left out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _show_queue(db: Database, agent: Agent, args: dict[str, str]) -> int:
    """Build a queue page and read all its rows show; return how many tickets it had."""
    with db.read("eur") as session:
        page = queue_page(session, parse_filter(args), agent)
        rows = [  # what desk/queue_rows.html reads of each row
            (t.reference, t.subject, t.tag_names, t.customer_name, t.status, t.priority,
             t.assigned_agent_id, t.updated_at) for t in page.tickets
        ]  # fmt: skip
        return len(rows)


@pytest.mark.parametrize("args", [{}, {"q": "gizmo"}, {"tag": "vip"}, {"status": "all"}])
def test_a_queue_page_costs_the_same_few_statements_for_1_or_50_tickets(
    app: Flask, args: dict[str, str]
) -> None:
    db = state(app).db
    me = make_agent(db, "eur", "Me Agent")
    _many(db, 1, 1, tags=("vip", "sso"), replies=2)
    with statements(db.engine) as one:
        assert _show_queue(db, me, args) == 1
    _many(db, 2 * PAGE_SIZE, 2, tags=("vip", "sso"), replies=2)
    with statements(db.engine) as full:
        assert _show_queue(db, me, args) == PAGE_SIZE
    # The tenant's targets (for what is due soon), the page, its tags, the counts.
    assert len(full) == len(one) <= 4, full


def _ticket_with_thread(db: Database, agent: Agent, number: int, messages: int) -> str:
    """Add a ticket with `messages` replies and notes, files, tags, events and a citation."""
    with db.write("eur") as session:
        ticket = add_ticket(session, number, "A long story", tags=("vip", "sso"))
        for n in range(messages):
            by = agent.id if n % 2 else None
            reply = add_reply(session, ticket, f"Message {n}", by, by is not None and n % 4 == 3)
            session.add(TicketEvent(ticket_id=ticket.id, kind=TicketEventKind.replied,
                                    actor=reply.author_type, detail=""))  # fmt: skip
            session.add(TicketAttachment(
                ticket_id=ticket.id, response_id=reply.id, original_name=f"shot{n}.png",
                stored_name=f"{number:08d}-{n:08d}", content_type="image/png", size=10,
                sha256="0" * 64))  # fmt: skip
        article = session.scalars(select(KnowledgeBaseArticle.id).limit(1)).first()
        if article is not None:
            session.add(TicketCitation(ticket_id=ticket.id, article_id=article))
        add_ticket(session, number + 1000, "An older one")  # the same customer's
        return ticket.reference


def _show_ticket(db: Database, reference: str) -> tuple[int, int]:
    """Load a ticket's page and read what desk/ticket.html shows; return (messages, events)."""
    with db.read("eur") as session:
        ticket = ticket_by_reference(session, reference)
        extras = page_extras(session, ticket)
        thread = [(r.body, r.is_internal, r.author_type, r.agent_id, r.created_at)
                  for r in ticket.responses]  # fmt: skip
        files = [(a.original_name, a.response_id, a.size, a.content_type)
                 for a in ticket.attachments]  # fmt: skip
        trail = [(e.kind, e.agent_id, e.detail, e.created_at) for e in extras.events]
        others = [(o.reference, o.subject, o.status) for o in extras.others]
        assert ticket.tag_names == ["sso", "vip"]
        assert all(a.title for a in extras.cited)
        assert len(files) == len(thread) == len(trail)
        return len(thread), len(others)


def test_a_ticket_page_costs_the_same_statements_whatever_its_thread(app: Flask) -> None:
    db = state(app).db
    me = make_agent(db, "eur", "Me Agent")
    short, long = _ticket_with_thread(db, me, 1, 1), _ticket_with_thread(db, me, 2, 12)
    with statements(db.engine) as one:
        assert _show_ticket(db, short) == (1, 3)  # the other three tickets of Ada
    with statements(db.engine) as many:
        assert _show_ticket(db, long) == (12, 3)
    # ticket, thread, files, tags, events, other tickets, cited articles, satisfaction answers,
    # whether the customer's address bounces
    assert len(many) == len(one) <= 9, many
