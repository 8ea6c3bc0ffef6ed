"""The dashboard's figures, each checked against a small data set computed by hand, on the
page, in its CSV and for an agent's own view; searches that found nothing are counted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.models import (
    Agent,
    ArticleFeedback,
    AuthorType,
    ChatMessage,
    ChatSession,
    DeflectionEvent,
    Faq,
    KbCategory,
    KnowledgeBaseArticle,
    SatisfactionRating,
    SearchMiss,
    SearchOpen,
    SupportTicket,
    TicketCategory,
    TicketCitation,
    TicketPriority,
    TicketStatus,
)
from intake.reports.figures import Scope, dashboard
from intake.reports.period import Period
from intake.reports.tables import Cell
from intake.settings import TenantSettings
from intake.state import state
from tests.intake.desk import make_agent, sign_in
from tests.intake.test_desk_work import text

PARIS = ZoneInfo("Europe/Paris")  # UTC+1 in November: a UTC day is not a Paris day
PERIOD = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 3), PARIS)
NOW = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def _ticket(number: int, created: dt.datetime, status: TicketStatus, priority: TicketPriority,
            agent: int | None, **times: dt.datetime | None) -> SupportTicket:  # fmt: skip
    return SupportTicket(
        number=number, reference=f"EUR-{number}", token_hash=f"{number}".ljust(64, "0"),
        customer_name="Ada", customer_email="ada@example.com", subject="Subject",
        description="Description", category=TicketCategory.general, priority=priority,
        status=status, assigned_agent_id=agent, created_at=created, updated_at=created, **times,
    )  # fmt: skip


@pytest.fixture
def figures(app: Flask) -> dict[str, int]:
    """Write the hand-counted data set into tenant eur; return the agents' ids."""
    ann, bob = make_agent(app, "ann@example.com", "Ann"), make_agent(app, "bob@example.com", "Bob")
    with state(app).db.write("eur") as s:
        TenantSettings(s).set("time_zone", "Europe/Paris")
        # Created on Paris's 1 Nov at 00:30; answered after 2 h (1 h late), resolved after 6 h.
        t1 = _ticket(
            1,
            utc(31, 23, 30, month=10),
            TicketStatus.resolved,
            TicketPriority.high,
            ann,
            first_response_at=utc(1, 1, 30),
            resolved_at=utc(1, 5, 30),
            first_response_due_at=utc(1, 0, 30),
            resolution_due_at=utc(1, 23, 30),
        )
        # Paris's 1 Nov at 23:45; answered after 4 h; never resolved, and due since 2 Nov.
        t2 = _ticket(
            2,
            utc(1, 22, 45),
            TicketStatus.open,
            TicketPriority.medium,
            bob,
            first_response_at=utc(2, 2, 45),
            first_response_due_at=utc(2, 6, 45),
            resolution_due_at=utc(2, 0),
        )
        # Paris's 3 Nov at 00:10; answered after 1 h, closed after 10 h (2 h late).
        t3 = _ticket(
            3,
            utc(2, 23, 10),
            TicketStatus.closed,
            TicketPriority.urgent,
            ann,
            first_response_at=utc(3, 0, 10),
            resolved_at=utc(3, 9, 10),
            resolution_due_at=utc(3, 7, 10),
        )
        # Outside the period (Paris's 31 Oct and 4 Nov), still open: counted only as open.
        t4 = _ticket(
            4,
            utc(31, 22, 30, month=10),
            TicketStatus.in_progress,
            TicketPriority.high,
            bob,
            first_response_at=utc(1, 8),
        )
        t5 = _ticket(5, utc(4, 0, 30), TicketStatus.pending, TicketPriority.low, None)
        s.add_all([t1, t2, t3, t4, t5])
        s.flush()
        s.add_all(
            [
                SatisfactionRating(
                    ticket_id=t1.id,
                    resolved_at=utc(1, 5, 30),
                    satisfied=True,
                    agent_id=ann,
                    created_at=utc(1, 10),
                ),
                SatisfactionRating(
                    ticket_id=t3.id,
                    resolved_at=utc(3, 9, 10),
                    satisfied=False,
                    agent_id=ann,
                    created_at=utc(3, 12),
                ),
                SatisfactionRating(
                    ticket_id=t4.id,
                    resolved_at=utc(20, 1, month=10),
                    satisfied=True,
                    agent_id=bob,
                    created_at=utc(20, 2, month=10),
                ),  # before
            ]
        )
        answered = ChatSession(customer_name="Ada", agent_id=ann, created_at=utc(1, 8))
        unanswered = ChatSession(customer_name="Bea", created_at=utc(2, 9))
        old = ChatSession(customer_name="Cy", agent_id=bob, created_at=utc(30, 9, month=10))
        s.add_all([answered, unanswered, old])
        s.flush()
        s.add_all(
            [
                ChatMessage(
                    session_id=answered.id,
                    author_type=AuthorType.customer,
                    body="Hi",
                    created_at=utc(1, 8),
                ),
                ChatMessage(
                    session_id=answered.id,
                    author_type=AuthorType.agent,
                    agent_id=ann,
                    body="Hello",
                    created_at=utc(1, 8, 3),
                ),  # waited 3 minutes
                ChatMessage(
                    session_id=answered.id,
                    author_type=AuthorType.agent,
                    agent_id=ann,
                    body="Done",
                    created_at=utc(1, 8, 10),
                ),
                ChatMessage(
                    session_id=old.id,
                    author_type=AuthorType.agent,
                    agent_id=bob,
                    body="Hi",
                    created_at=utc(30, 10, month=10),
                ),
            ]
        )
        kb: dict[str, Any] = {"category": KbCategory.billing, "content_hash": "0" * 64}
        a1 = KnowledgeBaseArticle(slug="export", title="Export invoices", url="/a/export", **kb)
        a2 = KnowledgeBaseArticle(slug="reset", title="Reset a password", url="/a/reset", **kb)
        f1 = Faq(slug="refunds", question="Do you refund?", url="/f/refunds", **kb)
        s.add_all([a1, a2, f1])
        s.flush()
        s.add_all([
            DeflectionEvent(visit_id="v1", article_id=a1.id, ticket_id=t1.id,
                            created_at=utc(1, 0)),
            DeflectionEvent(visit_id="v2", article_id=a1.id, created_at=utc(2, 12)),
            DeflectionEvent(visit_id="v2", faq_id=f1.id, created_at=utc(2, 12)),
            DeflectionEvent(visit_id="v0", article_id=a2.id, created_at=utc(5, 12)),  # after
            ArticleFeedback(article_id=a1.id, helpful=True, created_at=utc(2, 13)),
            ArticleFeedback(article_id=a1.id, helpful=False, created_at=utc(3, 13)),
            ArticleFeedback(article_id=a2.id, helpful=True, created_at=utc(5, 13)),  # after
            TicketCitation(ticket_id=t1.id, article_id=a1.id, agent_id=ann, created_at=utc(1, 2)),
            SearchMiss(day=dt.date(2026, 11, 2), query="dark mode", count=3),
            SearchMiss(day=dt.date(2026, 11, 3), query="dark mode", count=2),
            SearchMiss(day=dt.date(2026, 11, 3), query="=cmd|'/c calc'!A1", count=1),
            SearchMiss(day=dt.date(2026, 10, 31), query="before", count=9),
            SearchOpen(day=dt.date(2026, 11, 1), query="invoice", page="/eur/a/", count=1),
            SearchOpen(day=dt.date(2026, 11, 3), query="invoice", page="/eur/a/", count=2),
            SearchOpen(day=dt.date(2026, 11, 3), query="refund", page="/eur/b/", count=4),
            SearchOpen(day=dt.date(2026, 11, 6), query="late", page="/eur/c/", count=9),
        ])  # fmt: skip
    with state(app).db.write("km") as s:  # another tenant's ticket, in the period: not counted
        s.add(_ticket(9, utc(1, 12), TicketStatus.open, TicketPriority.medium, None))
    return {"ann": ann, "bob": bob}


def _figures(app: Flask, agent: int | None = None) -> dict[str, list[tuple[Cell, ...]]]:
    with state(app).db.read("eur") as session:
        tables = dashboard(session, Scope(PERIOD, agent, NOW))
    return {key: table.rows for key, table in tables.items()}


def test_a_ticket_finished_without_an_answer_missed_its_first_answer_only_if_it_waited(
    app: Flask,
) -> None:
    """The first answer's clock stops at the answer, or at the ticket's resolution: a customer
    who resolved it themselves before the target waited for nothing past it."""
    with state(app).db.write("eur") as s:
        s.add_all([
            _ticket(1, utc(1, 8), TicketStatus.resolved, TicketPriority.high, None,
                    resolved_at=utc(1, 9), first_response_due_at=utc(1, 12)),  # in time
            _ticket(2, utc(1, 8), TicketStatus.closed, TicketPriority.high, None,
                    resolved_at=utc(1, 14), first_response_due_at=utc(1, 12)),  # waited past
            _ticket(3, utc(1, 8), TicketStatus.open, TicketPriority.high, None,
                    first_response_due_at=utc(1, 12)),  # still waiting, past it
        ])  # fmt: skip
    assert _figures(app)["breaches"][0] == ("first answer", 3, 2, 66.7)


@pytest.mark.usefixtures("figures")
def test_every_figure_matches_the_hand_count(app: Flask) -> None:
    got = _figures(app)
    # Days are Paris's: ticket 1 came at 23:30 UTC on 31 Oct, which is 1 Nov there.
    assert got["daily"] == [("2026-11-01", 2, 1, 1), ("2026-11-02", 0, 0, 1),
                            ("2026-11-03", 1, 1, 0)]  # fmt: skip
    assert got["open"] == [("open", 0, 1, 0, 0, 1), ("in progress", 0, 0, 1, 0, 1),
                           ("pending", 1, 0, 0, 0, 1)]  # fmt: skip
    # First answers 1, 2, 4 h: median 2, 90th percentile 4; resolutions 6 and 10 h.
    assert got["times"] == [("first answer", 3, 2.0, 4.0), ("resolution", 2, 6.0, 10.0)]
    assert got["breaches"] == [("first answer", 2, 1, 50.0), ("resolution", 3, 2, 66.7)]
    assert got["satisfaction"] == [("solved", 1), ("not solved", 1)]
    assert got["chats"] == [("chats", 2), ("answered by an agent", 1), ("never answered", 1),
                            ("median wait (minutes)", 3.0),
                            ("90th percentile wait (minutes)", 3.0)]  # fmt: skip
    assert got["agents"] == [("Ann", 2, 1.0, 2, 50.0), ("Bob", 0, 4.0, 0, None)]
    assert got["articles"] == [("Export invoices", "article", 2, 1, 1, 1, 1),
                               ("Do you refund?", "faq", 1, 1, 0, 0, 0)]  # fmt: skip
    assert got["searches"] == [("dark mode", 5), ("=cmd|'/c calc'!A1", 1)]
    assert got["opened"] == [("refund", "/eur/b/", 4), ("invoice", "/eur/a/", 3)]


def test_an_agent_sees_their_own_figures(app: Flask, figures: dict[str, int]) -> None:
    got = _figures(app, figures["ann"])
    assert got["daily"] == [("2026-11-01", 1, 1, 1), ("2026-11-02", 0, 0, 0),
                            ("2026-11-03", 1, 1, 0)]  # fmt: skip
    assert got["times"] == [("first answer", 2, 1.0, 2.0), ("resolution", 2, 6.0, 10.0)]
    assert got["satisfaction"] == [("solved", 1), ("not solved", 1)]
    assert got["chats"][:3] == [("chats", 1), ("answered by an agent", 1), ("never answered", 0)]
    assert "agents" not in got  # nobody else's line
    bob = _figures(app, figures["bob"])
    assert bob["open"][0][-1] == 1 and bob["satisfaction"] == [("solved", 0), ("not solved", 0)]


def _signed(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    return client


def test_the_page_and_its_csv_show_the_period_asked_for(
    app: Flask, figures: dict[str, int]
) -> None:
    with state(app).db.write("eur") as session:
        admin = session.get(Agent, figures["ann"])
        assert admin is not None
        admin.role = type(admin.role)("admin")
    ann = _signed(app, "ann@example.com")
    period = "from=2026-11-01&to=2026-11-03"
    page = ann.get(f"/desk/eur/dashboard?{period}")
    assert page.status_code == 200
    html = text(page)
    assert html.count('<svg class="chart"') == 4 and "<table>" in html
    assert "Bar chart of 3 days; created: 3 in all, resolved: 2 in all." in html
    assert f"/desk/eur/dashboard/daily.csv?{period}" in html.replace("&amp;", "&")
    daily = ann.get(f"/desk/eur/dashboard/daily.csv?{period}")
    assert daily.status_code == 200 and daily.mimetype == "text/csv"
    assert "eur-daily-2026-11-01-2026-11-03.csv" in daily.headers["Content-Disposition"]
    assert daily.data.startswith(b"\xef\xbb\xbf")  # the mark that tells Excel it is UTF-8
    assert list(csv.reader(io.StringIO(daily.data.decode("utf-8-sig")))) == [
        ["day", "created", "resolved", "chats"], ["2026-11-01", "2", "1", "1"],
        ["2026-11-02", "0", "0", "1"], ["2026-11-03", "1", "1", "0"]]  # fmt: skip
    searches = ann.get(f"/desk/eur/dashboard/searches.csv?{period}").get_data(as_text=True)
    assert "'=cmd" in searches  # a spreadsheet shows it, and runs nothing
    assert ann.get(f"/desk/eur/dashboard/nothing.csv?{period}").status_code == 404
    bad = ann.get("/desk/eur/dashboard?from=2026-11-05&to=2026-11-01")
    assert bad.status_code == 400 and "to: the period ends before it starts." in text(bad)
    assert ann.get("/desk/eur/dashboard?from=yesterday").status_code == 400
    both = text(ann.get("/desk/eur/dashboard?from=x&to=y"))  # both named, from first
    assert "from: use a date like 2026-12-01. to: use a date like 2026-12-01." in both
    assert ann.get("/desk/eur/dashboard/daily.csv?days=9999").status_code == 400
    for far in ("from=9999-12-31&to=9999-12-31", "to=0001-01-05", "from=0001-01-01"):
        for page_or_csv in ("", "/daily.csv"):  # the calendar's ends: a 400, not a crash
            answer = ann.get(f"/desk/eur/dashboard{page_or_csv}?{far}")
            assert answer.status_code == 400, far
            assert "use a date from 1970-01-01 to 9998-12-31" in text(answer), far

    bob = _signed(app, "bob@example.com")  # an agent: their own figures, nobody else's
    own = text(bob.get(f"/desk/eur/dashboard?{period}"))
    assert "your figures" in own and "Per agent" not in own and "Ann" not in own
    assert app.test_client().get("/desk/eur/dashboard").status_code in (302, 303)


def test_a_search_that_finds_nothing_is_counted_by_its_words(
    app: Flask, client: FlaskClient
) -> None:
    for words in ("Quokka  ZEBRA", "quokka zebra", "password"):
        assert client.get(f"/api/v1/eur/kb/search?q={words}").status_code == 200
    time.sleep(1.1)  # searches are limited to 5 a second
    for words in ("%00", "quokka%E2%80%AEzebra"):  # a NUL; a bidi override between words
        assert client.get(f"/api/v1/eur/kb/search?q={words}").status_code == 200

    def misses() -> dict[str, int]:
        with state(app).db.read("eur") as session:
            return {m.query: m.count for m in session.scalars(select(SearchMiss))}

    deadline = time.monotonic() + 10  # the process's counts are written each second
    while misses().get("quokka zebra", 0) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    found = client.get("/api/v1/eur/kb/search?q=password").get_json()["results"]
    # A NUL is no word to show; the override stands for a space between words.
    assert misses().get("quokka zebra") == 3 and set(misses()) == {"quokka zebra"}
    assert found and "password" not in misses()  # counted only when nothing was found


def test_searches_without_a_built_index_are_not_counted(
    make_app: Callable[..., Flask], kb_root: Path, tmp_path: Path
) -> None:
    """Without the index every search finds nothing: counted, they would ask writers for
    articles that exist."""
    root = tmp_path / "project"
    shutil.copytree(kb_root / "content", root / "content")
    shutil.copytree(kb_root / "build", root / "build", ignore=shutil.ignore_patterns("index"))
    app = make_app(HELPCENTER_ROOT=str(root))
    client = app.test_client()
    assert client.get("/api/v1/eur/kb/search?q=refund").get_json()["results"] == []
    assert client.get("/eur/tickets/search?q=refund").status_code == 200
    state(app).search_counts.flush()
    with state(app).db.read("eur") as session:
        assert list(session.scalars(select(SearchMiss))) == []


def test_days_follow_the_zone_across_a_daylight_saving_change(app: Flask) -> None:
    # Paris leaves summer time at 01:00 UTC on 25 October 2026: 22:30 UTC is the next day's
    # 00:30 before the change (UTC+2) and the same day's 23:30 after it (UTC+1).
    period = Period(dt.date(2026, 10, 24), dt.date(2026, 10, 26), PARIS)
    assert [offset for _at, offset in period.offsets()] == [7200, 3600]
    with state(app).db.write("eur") as s:
        for number, at in enumerate(
            (
                utc(23, 22, 30, month=10),
                utc(24, 22, 30, month=10),
                utc(25, 22, 30, month=10),
                utc(25, 23, 30, month=10),
            )
        ):
            s.add(_ticket(number + 1, at, TicketStatus.open, TicketPriority.low, None))
    with state(app).db.read("eur") as session:
        daily = dashboard(session, Scope(period, None, NOW))["daily"].rows
    assert [(day, created) for day, created, *_rest in daily] == [
        ("2026-10-24", 1), ("2026-10-25", 2), ("2026-10-26", 1)]  # fmt: skip
