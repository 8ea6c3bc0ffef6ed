"""Desk benchmark: the agents' queue and a ticket's page on a seeded database.

    .venv/bin/python -m bench.desk                        # SQLite, 100,000 tickets per tenant
    .venv/bin/python -m bench.desk --db postgresql --tickets 20000 --repeat 30
    .venv/bin/python -m bench.desk --sql try.sql --analyze   # an index to try; SQLite stats

Seeds two tenants (eur, km) with N tickets each, created over a year: replies and internal
notes, audit events, tags, files, 20 agents and 5 groups per tenant, statuses that follow
age. Then, on the same database and engine, it times the bare SELECT of one page of tickets,
queue pages (intake.tickets.queue.queue_page: page, tags and counts per status) for the common
filters and sorts, a ticket's page (thread, files, events, tags, the customer's other
tickets), and the admin dashboard (intake.reports.figures.dashboard) over the last 90 days up to
the newest ticket's day (Europe/Paris), as the whole team's and as one agent's own view. Each
figure is p50/p95 over --repeat runs (each figure stops after --seconds), with its ratio to the
bare SELECT, and each of its statements timed alone; queue pages are checked against the 50 ms
target, the dashboard against 200 ms. Last, the plan (EXPLAIN QUERY PLAN, or EXPLAIN ANALYZE) of
the slowest statement and of the slowest statement of every queue page and dashboard over its
target.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, func, insert, select, text

from bench.corpus import VOCABULARY, sentence, title
from bench.measure import percentile
from intake.agents.accounts import active_agents, groups
from intake.db import Database, TenantSession
from intake.models import (
    Agent,
    AgentGroup,
    AuthorType,
    Base,
    CannedResponse,
    GroupMember,
    SupportTicket,
    TicketAttachment,
    TicketCategory,
    TicketCounter,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketResponse,
    TicketStatus,
    TicketTag,
    as_utc,
    utcnow,
)
from intake.models.tickets import PRIORITY_RANK
from intake.reports.figures import Scope, dashboard
from intake.reports.period import Period
from intake.tickets.loading import page_extras, ticket_by_reference
from intake.tickets.queue import ACTIVE, parse_filter, queue_page
from scripts.pgserver import PgServer

TENANTS = {"eur": "EUR", "km": "KM"}
AGENTS = 20
GROUPS = ("billing", "platform", "onboarding", "enterprise", "mobile")
TAGS = ("vip", "refund", "outage", "sso", "export", "mobile", "churn-risk", "feedback")
TAG_WEIGHTS = (4, 6, 3, 5, 4, 3, 1, 2)
STATUSES = tuple(TicketStatus)  # open, in_progress, pending, resolved, closed
BY_AGE = (  # status weights by the ticket's age: under a week, under a month, older
    (7, (45, 25, 15, 10, 5)),
    (30, (10, 10, 10, 30, 40)),
    (10_000, (1, 0.5, 0.5, 10, 88)),
)
PRIORITY_WEIGHTS = (25, 45, 22, 8)  # low, medium, high, urgent
CATEGORY_WEIGHTS = (35, 25, 20, 8, 12)  # technical, billing, general, feature, bug
BATCH = 2000  # tickets per tenant in one seeding transaction
TARGET_MS = 50.0
DASHBOARD_TARGET_MS = 200.0
DASHBOARD_DAYS = 90
ZONE = ZoneInfo("Europe/Paris")
BARE = "SELECT * FROM support_tickets WHERE tenant_id = :tenant ORDER BY id DESC LIMIT 50"


@dataclass
class Seeded:
    """What seeding made: rows per table, and the ids the measurements pick from."""

    tickets: int = 0  # per tenant
    rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    agents: dict[str, list[int]] = field(default_factory=dict)
    groups: dict[str, list[int]] = field(default_factory=dict)
    sample: list[str] = field(default_factory=list)  # eur references for the ticket page


def seed_staff(db: Database, seeded: Seeded) -> None:
    """Add each tenant's agents, groups, memberships, ticket counter and canned replies."""
    with db.all_tenants(write=True) as session:
        for tenant in TENANTS:
            agents = [Agent(tenant_id=tenant, email=f"agent{i}@{tenant}.example",
                            name=f"Agent {i:02d}", active=True) for i in range(AGENTS)]  # fmt: skip
            groups = [AgentGroup(tenant_id=tenant, name=name) for name in GROUPS]
            session.add_all([*agents, *groups])
            session.flush()
            for i, agent in enumerate(agents):
                group = groups[i % len(groups)]
                session.add(GroupMember(tenant_id=tenant, group_id=group.id, agent_id=agent.id))
            session.add(TicketCounter(tenant_id=tenant, last_number=0))
            session.add_all(
                CannedResponse(
                    tenant_id=tenant, title=f"Canned reply {i}", body="Hello {customer_name}, ..."
                )
                for i in range(8)
            )
            seeded.agents[tenant] = [a.id for a in agents]
            seeded.groups[tenant] = [g.id for g in groups]


def _status(rng: random.Random, age_days: int) -> TicketStatus:
    weights = next(w for limit, w in BY_AGE if age_days < limit)
    return rng.choices(STATUSES, weights=weights)[0]


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(low, high)))


def ticket_rows(
    rng: random.Random, tenant: str, ticket_id: int, number: int, created: dt.datetime,
    now: dt.datetime, seeded: Seeded,
) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Return one ticket's rows by table: the ticket, its thread, events, tags and files."""
    status = _status(rng, (now - created).days)
    active = status in ACTIVE
    updated = created + min(now - created, dt.timedelta(days=14)) * rng.random()
    assignee = rng.choice(seeded.agents[tenant]) if rng.random() < (0.75 if active else 0.95) \
        else None  # fmt: skip
    common = {"tenant_id": tenant, "ticket_id": ticket_id}
    rows: dict[str, list[dict[str, Any]]] = {"responses": [], "events": [], "tags": [],
                                             "files": []}  # fmt: skip
    rows["events"].append({**common, "kind": TicketEventKind.created, "actor": AuthorType.customer,
                           "agent_id": None, "detail": "", "created_at": created,
                           "updated_at": created})  # fmt: skip
    first_response = None
    count = rng.randint(2, 4)
    for k in range(count):
        at = created + (updated - created) * (k + 1) / (count + 1)
        agent = (assignee or rng.choice(seeded.agents[tenant])) if k % 2 == 0 else None
        internal = agent is not None and rng.random() < 0.2
        if agent is not None and not internal and first_response is None:
            first_response = at
        rows["responses"].append({**common, "author_type": AuthorType.agent if agent
                                  else AuthorType.customer, "agent_id": agent,
                                  "body": _text(rng, 1, 3), "is_internal": internal,
                                  "created_at": at, "updated_at": at})  # fmt: skip
        kind = TicketEventKind.note_added if internal else TicketEventKind.replied
        rows["events"].append({**common, "kind": kind, "actor": AuthorType.agent if agent
                               else AuthorType.customer, "agent_id": agent, "detail": "",
                               "created_at": at, "updated_at": at})  # fmt: skip
    tags = sorted(set(rng.choices(TAGS, TAG_WEIGHTS, k=rng.choice((0, 0, 0, 0, 1, 1, 1, 2)))))
    for tag in tags:
        rows["tags"].append({**common, "tag": tag, "created_at": updated, "updated_at": updated})
    if rng.random() < 0.1:
        rows["files"].append({**common, "response_id": None, "original_name": "screenshot.png",
                              "stored_name": f"{tenant}-{ticket_id:012d}.png",
                              "content_type": "image/png", "size": 48_213, "sha256": "0" * 64,
                              "created_at": created, "updated_at": created})  # fmt: skip
    priority = rng.choices(tuple(TicketPriority), PRIORITY_WEIGHTS)[0]
    rows["tickets"] = [{
        "id": ticket_id, "tenant_id": tenant, "number": number,
        "reference": f"{TENANTS[tenant]}-{number}",
        "token_hash": hashlib.sha256(f"{tenant}:{ticket_id}".encode()).hexdigest(),
        "customer_name": f"Customer {number}",
        # Skewed: a few customers (large accounts) have hundreds of tickets.
        "customer_email": f"customer{int(seeded.tickets * rng.random() ** 2 / 4)}@example.com",
        "subject": title(rng), "description": _text(rng, 2, 5),
        "category": rng.choices(tuple(TicketCategory), CATEGORY_WEIGHTS)[0],
        "priority": priority, "priority_rank": PRIORITY_RANK[priority], "status": status,
        "assigned_agent_id": assignee, "cited_article_id": None,
        "resolved_at": None if active else updated,
        "group_id": rng.choice(seeded.groups[tenant]) if rng.random() < 0.85 else None,
        "merged_into_id": None, "follow_up_of_id": None, "notify_customer": True,
        "first_response_at": first_response, "version": 1,
        "created_at": created, "updated_at": updated,
    }]  # fmt: skip
    return rows


TABLES: dict[str, type[Base]] = {
    "tickets": SupportTicket,
    "responses": TicketResponse,
    "events": TicketEvent,
    "tags": TicketTag,
    "files": TicketAttachment,
}


def seed(db: Database, tickets: int, budget: float, rng: random.Random) -> Seeded:
    """Seed `tickets` tickets per tenant (fewer if `budget` seconds run out); time it."""
    started = time.perf_counter()
    seeded = Seeded(tickets=tickets)
    seed_staff(db, seeded)
    now = utcnow().replace(microsecond=0)
    start = now - dt.timedelta(days=365)
    step = 0
    while step < tickets and time.perf_counter() - started < budget:
        batch: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for n in range(step, min(step + BATCH, tickets)):
            created = start + (now - start) * ((n + rng.random()) / tickets)
            for offset, tenant in enumerate(TENANTS):  # tenants' ids interleave, as in life
                ticket_id = 2 * n + offset + 1
                for name, rows in ticket_rows(rng, tenant, ticket_id, n + 1, created, now,
                                              seeded).items():  # fmt: skip
                    batch[name].extend(rows)
                if tenant == "eur" and rng.random() < 200 / tickets:
                    seeded.sample.append(f"{TENANTS[tenant]}-{n + 1}")
        with db.engine.begin() as conn:
            for name, table in TABLES.items():
                if batch[name]:
                    conn.execute(insert(table), batch[name])
                    seeded.rows[name] += len(batch[name])
        step = min(step + BATCH, tickets)
        if step % (BATCH * 10) == 0:
            print(f"  seeded {step} tickets per tenant, {time.perf_counter() - started:.0f} s",
                  flush=True)  # fmt: skip
    seeded.tickets = step
    finish_seeding(db, step)
    seeded.seconds = time.perf_counter() - started
    return seeded


def finish_seeding(db: Database, tickets: int) -> None:
    """Set the counters and sequences, and gather the planner's statistics."""
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE ticket_counters SET last_number = :n"), {"n": tickets})
        if db.dialect == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('support_tickets', 'id'),"
                              " (SELECT max(id) FROM support_tickets))"))  # fmt: skip
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # PostgreSQL's autovacuum would analyze a table this size soon after the load;
        # SQLite's statistics exist only where someone runs ANALYZE (--analyze).
        if db.dialect == "postgresql":
            conn.execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


class Statements:
    """Records the SQL an engine runs while a label is set: for counts, re-timing and plans."""

    def __init__(self, engine: Engine) -> None:
        self.label: str | None = None
        self.runs: dict[str, list[tuple[str, Any]]] = {}
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.label is not None and not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.runs.setdefault(self.label, []).append((statement, parameters))

    @contextlib.contextmanager
    def recording(self, label: str) -> Iterator[None]:
        """Record the statements of one run under `label` (replacing the previous run's)."""
        self.runs[label] = []
        self.label = label
        try:
            yield
        finally:
            self.label = None


@dataclass
class Figure:
    """One measured operation: its latencies, statements per run and slowest statement."""

    label: str
    seconds: list[float]
    statements: int
    parts: list[float] = field(default_factory=list)  # each statement alone, in ms
    slowest_ms: float = 0.0
    slowest: tuple[str, Any] = ("", None)

    def ms(self, share: float) -> float:
        """Return a percentile of the latencies in milliseconds."""
        return percentile(self.seconds, share) * 1000


def measure(label: str, run: Callable[[int], object], repeat: int, seconds: float,
            recorder: Statements) -> Figure:  # fmt: skip
    """Time `run(i)` up to `repeat` times (stopping after `seconds`), after one warm-up."""
    run(0)
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    for i in range(repeat):
        with recorder.recording(label):
            started = time.perf_counter()
            run(i)
            times.append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return Figure(label, times, len(recorder.runs.get(label, [])))


def time_statements(engine: Engine, figure: Figure, statements: list[tuple[str, Any]]) -> None:
    """Re-run each statement of a figure's last run alone (3 times) and keep the slowest."""
    for sql, parameters in statements:
        times = []
        for _ in range(3):
            with engine.connect() as conn:
                started = time.perf_counter()
                conn.exec_driver_sql(sql, parameters).fetchall()
                times.append(time.perf_counter() - started)
        ms = statistics.median(times) * 1000
        figure.parts.append(ms)
        if ms > figure.slowest_ms:
            figure.slowest_ms, figure.slowest = ms, (sql, parameters)


def plan(engine: Engine, sql: str, parameters: Any) -> list[str]:
    """Return the database's plan of a statement, one line per step."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, parameters)
            return [row[0] for row in rows]
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)
        depth: dict[int, int] = {0: 0}
        lines = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * depth[node] + detail)
        return lines


def ticket_page(session: TenantSession, reference: str) -> dict[str, Any]:
    """Load what the desk's ticket page reads (intake.desk.tickets._page, less the forms)."""
    ticket = ticket_by_reference(session, reference)
    return {
        "ticket": ticket, "extras": page_extras(session, ticket),
        "team": {a.id: a for a in active_agents(session)}, "groups": groups(session),
        "canned": list(session.scalars(select(CannedResponse).order_by(CannedResponse.title))),
    }  # fmt: skip


def queue_views(seeded: Seeded, rare: str) -> list[tuple[str, dict[str, str]]]:
    """Return the queue views to time: the common filters and sorts of a desk."""
    return [
        ("queue default (active, updated)", {}),
        ("queue status=open sort=priority", {"status": "open", "sort": "priority"}),
        ("queue assignee=mine", {"assignee": "mine"}),
        ("queue assignee=unassigned", {"assignee": "unassigned"}),
        ("queue tag=sso", {"tag": "sso"}),
        ("queue group=G", {"group": str(seeded.groups["eur"][1])}),
        ("queue category=billing", {"category": "billing"}),
        ("queue priority=urgent", {"priority": "urgent"}),
        ("queue q=invoice", {"q": "invoice"}),
        (f"queue q={rare} (rare)", {"q": rare}),
        ("queue status=all page=20", {"status": "all", "page": "20"}),
        ("queue sort=created order=asc", {"sort": "created", "order": "asc"}),
    ]


def dashboard_period(db: Database, agent_id: int) -> Period:
    """Return the last DASHBOARD_DAYS days up to eur's newest ticket's day; print its tickets."""
    with db.read("eur") as session:
        newest = session.scalar(select(func.max(SupportTicket.created_at)))
        last = as_utc(newest).astimezone(ZONE).date() if newest else utcnow().date()
        period = Period(last - dt.timedelta(days=DASHBOARD_DAYS - 1), last, ZONE)
        within = (
            select(func.count())
            .select_from(SupportTicket)
            .where(SupportTicket.created_at >= period.start, SupportTicket.created_at < period.end)
        )
        created = session.scalar(within) or 0
        own = session.scalar(within.where(SupportTicket.assigned_agent_id == agent_id)) or 0
    print(
        f"dashboard period {period.first} to {period.last} ({DASHBOARD_DAYS} days, {ZONE}): "
        f"{created} eur tickets created in it, {own} of them assigned to agent #{agent_id}"
    )
    return period


def run_figures(db: Database, seeded: Seeded, repeat: int, seconds: float) -> list[Figure]:
    """Measure the bare SELECT, the queue views, the ticket page and the dashboard (the team's
    and one agent's); return the figures."""
    recorder = Statements(db.engine)
    with db.read("eur") as session:
        me = session.get_one(Agent, seeded.agents["eur"][3])

    def bare(_i: int) -> object:
        with db.engine.connect() as conn:
            return conn.execute(text(BARE), {"tenant": "eur"}).all()

    figures = [measure("bare SELECT of 50 tickets", bare, repeat, seconds, recorder)]
    rare = VOCABULARY[3000]
    for label, args in queue_views(seeded, rare):
        view = parse_filter(args)

        def page(_i: int, view: Any = view) -> object:
            with db.read("eur") as session:
                shown = queue_page(session, view, me)
                return [t.tag_names for t in shown.tickets]

        figures.append(measure(label, page, repeat, seconds, recorder))
    sample = seeded.sample or ["EUR-1"]

    def one_ticket(i: int) -> object:
        with db.read("eur") as session:
            return ticket_page(session, sample[i % len(sample)])

    figures.append(measure("ticket page", one_ticket, repeat, seconds, recorder))
    period = dashboard_period(db, me.id)
    for label, scope in (
        (f"dashboard {DASHBOARD_DAYS} days, team", Scope(period)),
        (f"dashboard {DASHBOARD_DAYS} days, agent #{me.id}", Scope(period, agent_id=me.id)),
    ):

        def figures_of(_i: int, scope: Scope = scope) -> object:
            with db.read("eur") as session:
                return dashboard(session, scope)

        figures.append(measure(label, figures_of, repeat, seconds, recorder))
    for figure in figures:
        time_statements(db.engine, figure, recorder.runs.get(figure.label, []))
    return figures


def target_ms(figure: Figure) -> float | None:
    """Return the p95 target a figure is checked against, if any."""
    if figure.label.startswith("queue"):
        return TARGET_MS
    if figure.label.startswith("dashboard"):
        return DASHBOARD_TARGET_MS
    return None


def report(db: Database, figures: list[Figure]) -> None:
    """Print each figure with its ratio to the bare SELECT, then the plans worth reading."""
    bare = figures[0]
    print(f"{'':36} {'p50 ms':>8} {'p95 ms':>8} {'x bare p50':>10} {'x bare p95':>10} "
          f"{'target':>8}  statements alone, ms")  # fmt: skip
    for figure in figures:
        p50, p95 = figure.ms(0.5), figure.ms(0.95)
        target = target_ms(figure)
        verdict = "" if target is None else "ok" if p95 < target else "MISSED"
        parts = " + ".join(f"{ms:.1f}" for ms in figure.parts)
        print(f"{figure.label:36} {p50:8.2f} {p95:8.2f} {p50 / bare.ms(0.5):10.1f} "
              f"{p95 / bare.ms(0.95):10.1f} {verdict:>8}  {figure.statements}: "
              f"{parts}")  # fmt: skip
    worst = max(figures[1:], key=lambda f: f.slowest_ms)
    missed = [f for f in figures if (t := target_ms(f)) is not None and f.ms(0.95) >= t]
    queues = [f for f in missed if f.label.startswith("queue")]
    dashboards = [f for f in missed if f.label.startswith("dashboard")]
    shown: set[str] = set()
    for figure in [*[worst, *queues][:5], *dashboards]:
        sql, parameters = figure.slowest
        if sql in shown:
            continue
        shown.add(sql)
        print(f"\nslowest statement of {figure.label!r} ({figure.slowest_ms:.2f} ms alone):")
        print("  " + " ".join(sql.split())[:1500])
        print(f"  parameters: {parameters}")
        print("\n".join("  " + line for line in plan(db.engine, sql, parameters)))


def prepare(db: Database, sql: Path | None, analyze: bool) -> None:
    """Run the statements of `sql` (an index to try), then ANALYZE on SQLite if asked."""
    statements = [s.strip() for s in sql.read_text().split(";")] if sql else []
    if analyze and db.dialect == "sqlite":
        statements.append("ANALYZE")
    with db.engine.begin() as conn:
        for statement in filter(None, statements):
            conn.exec_driver_sql(statement)
            print(f"ran: {statement}")


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """Yield the URL of a fresh, migrated database of `kind` (a throw-away server for pg)."""
    from intake.cli.database import upgrade

    server = PgServer(fast=True) if kind == "postgresql" else None
    try:
        url = server.start() if server else f"sqlite:///{tmp / 'desk.sqlite3'}"
        upgrade(url)
        yield url
    finally:
        if server:
            server.stop()


def main() -> None:
    """Seed, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000, help="per tenant")
    parser.add_argument("--repeat", type=int, default=50, help="runs per figure")
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit per figure")
    parser.add_argument("--seed-seconds", type=float, default=1200.0, help="seeding limit")
    parser.add_argument("--analyze", action="store_true", help="SQLite: run ANALYZE first")
    parser.add_argument("--sql", type=Path, help="statements to run after seeding (try an index)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="intake-desk-") as tmp, \
            database(args.db, Path(tmp)) as url:  # fmt: skip
        db = Database(url)
        try:
            print(f"seeding {args.tickets} tickets per tenant ({', '.join(TENANTS)}) on {args.db}")
            seeded = seed(db, args.tickets, args.seed_seconds, random.Random(1))
            rows = ", ".join(f"{n} {name}" for name, n in seeded.rows.items())
            cut = "" if seeded.tickets == args.tickets else " (stopped by --seed-seconds)"
            print(f"seeded {seeded.tickets} tickets per tenant{cut} in {seeded.seconds:.1f} s: "
                  f"{rows}")  # fmt: skip
            prepare(db, args.sql, args.analyze)
            figures = run_figures(db, seeded, args.repeat, args.seconds)
            print(f"\n{args.db}, {seeded.tickets} tickets per tenant, {args.repeat} runs per"
                  f" figure, eur's queue as agent #{seeded.agents['eur'][3]}")  # fmt: skip
            report(db, figures)
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
