"""New tickets are written in groups: one transaction, one disk flush for many customers.

Request threads prepare their rows and hand them to this process's writer thread, then wait.
The writer takes whatever has queued up (up to MAX_BATCH), reserves the ticket numbers, inserts
all rows with multi-row INSERTs and commits once; only then does each request answer. So an
acknowledged ticket is always committed, and under load the cost of a commit (and of
SQLite's one-writer-at-a-time lock) is shared by the whole group. If a group fails, its
tickets are retried one by one, so one bad ticket never takes the others down.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, insert, select, update

from intake.errors import InvalidInput
from intake.models import (
    Base,
    DeflectionEvent,
    OutboxMessage,
    SupportTicket,
    TenantSetting,
    TicketAttachment,
    TicketEvent,
)
from intake.tickets.numbers import reserve
from intake.tickets.targets import Policy, policy_from

log = logging.getLogger(__name__)
MAX_BATCH = 100
WRITERS_PG = 4
WAIT_SECONDS = 30.0
# Stands for the reference in the mail's text until the number is known. Customer text
# cannot contain it: control characters are refused in every field.
REFERENCE = "\x00reference\x00"
# And the token of the link the mail carries, derived from the ticket's id (access.link_token).
LINK_TOKEN = "\x00link\x00"


@dataclass
class Draft:
    """One ticket's rows, complete but for its number, reference and ids."""

    tenant_id: str
    prefix: str
    ticket: dict[str, Any]
    event: dict[str, Any]
    mail: dict[str, Any]
    attachments: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    visit_id: str = ""
    # The confirmation mail's headers, and its link's token, known once the ticket has its id.
    mail_headers: Callable[[int], dict[str, str]] | None = None
    mail_link_token: Callable[[int], str] | None = None
    # Rows of other tables committed with the ticket, each given its ticket_id (the record
    # of the mail that opened it: a ticket and its record exist together or not at all).
    linked: list[tuple[type[Base], dict[str, Any]]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    result: tuple[int, int, str] | None = None
    error: BaseException | None = None
    # Whoever comes first decides: a writer that claims the draft will write it, a request
    # that gave up waiting abandons it (and deletes its files), never both.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _claimed: bool = False
    _abandoned: bool = False

    def claim(self) -> bool:
        """Take the draft for writing; False when its request has already given up on it."""
        with self._lock:
            if self._abandoned:
                return False
            self._claimed = True
            return True

    def abandon(self) -> bool:
        """Give up on the draft unless a writer has claimed it; return whether it was dropped."""
        with self._lock:
            if self._claimed:
                return False
            self._abandoned = True
            return True


class TicketWriter:
    """This process's ticket writers: a queue and threads that drain it in groups.

    SQLite takes one writer at a time anyway, so it gets one thread. PostgreSQL commits groups
    side by side, so it gets several, and `counter_engine` (autocommit) hands out the numbers
    at once instead of holding the counter row locked until the group commits.
    """

    def __init__(
        self, engine: Engine, threads: int = 1, counter_engine: Engine | None = None
    ) -> None:
        self.engine = engine
        # Told of each committed group (to publish "ticket.created"); its errors are logged.
        self.on_commit: Callable[[list[Draft]], None] = lambda _batch: None
        self.counter_engine = counter_engine
        self.queue: queue.SimpleQueue[Draft | None] = queue.SimpleQueue()
        self.size = threads
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    def submit(self, draft: Draft) -> tuple[int, int, str]:
        """Queue a draft and wait until it is committed; return (id, number, reference)."""
        self._ensure_thread()
        self.queue.put(draft)
        if not draft.done.wait(WAIT_SECONDS):
            if draft.abandon():
                raise TimeoutError("the ticket writer did not answer in time")
            # A writer is committing it: the ticket will exist, so wait for its answer.
            draft.done.wait()
        if draft.error is not None:
            raise draft.error
        assert draft.result is not None
        return draft.result

    def _ensure_thread(self) -> None:
        # Started on first use, so that each gunicorn worker (forked) gets its own.
        if len(self._threads) == self.size and all(t.is_alive() for t in self._threads):
            return
        with self._start_lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.size:
                thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _run(self) -> None:
        while True:
            first = self.queue.get()
            if first is None:
                return  # close() asked this thread to stop
            batch = [first] if first.claim() else []
            while len(batch) < MAX_BATCH:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self.queue.put(None)  # for the next thread; finish this group first
                    break
                if item.claim():
                    batch.append(item)
            if batch:
                self._write_or_split(batch)

    def close(self) -> None:
        """Stop the threads once the queue is drained, and close the numbers' connections."""
        with self._start_lock:
            for _ in self._threads:
                self.queue.put(None)
            for thread in self._threads:
                thread.join(10)
            self._threads = []
        if self.counter_engine is not None:
            self.counter_engine.dispose()

    def _write_or_split(self, batch: list[Draft]) -> None:
        try:
            self._write(batch)
        except Exception as exc:  # noqa: BLE001 (each ticket gets its own answer below)
            if len(batch) == 1:
                batch[0].error = exc
            else:
                log.warning("group of %d tickets failed (%s); writing one by one", len(batch), exc)
                for draft in batch:
                    self._write_or_split([draft])
                return
        for draft in batch:
            draft.done.set()
        committed = [d for d in batch if d.error is None and d.result is not None]
        if committed:
            try:
                self.on_commit(committed)
            except Exception:  # noqa: BLE001 (the tickets are saved; a lost notice is not fatal)
                log.exception("announcing %d new tickets failed", len(committed))

    def _connect(self) -> Connection:
        conn = self.engine.connect()
        if conn.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        return conn

    def _write(self, batch: list[Draft]) -> None:
        by_tenant: dict[str, list[Draft]] = defaultdict(list)
        for draft in batch:
            by_tenant[draft.tenant_id].append(draft)
        if self.counter_engine is not None:
            with self.counter_engine.connect() as counters:
                self._number(counters, by_tenant)
        with self._connect() as conn, conn.begin():
            if self.counter_engine is None:
                self._number(conn, by_tenant)
            self._due_times(conn, by_tenant)
            rows = [d.ticket for d in batch]
            returning = insert(SupportTicket).returning(
                SupportTicket.id, sort_by_parameter_order=True
            )
            ids = list(conn.execute(returning, rows).scalars())
            for draft, ticket_id in zip(batch, ids, strict=True):
                draft.result = (ticket_id, draft.ticket["number"], draft.ticket["reference"])
            self._children(conn, batch)

    @staticmethod
    def _number(conn: Connection, by_tenant: dict[str, list[Draft]]) -> None:
        # Sorted, so two writers lock the tenants' counters in the same order.
        for tenant_id in sorted(by_tenant):
            drafts = by_tenant[tenant_id]
            first = reserve(conn, tenant_id, len(drafts))
            for offset, draft in enumerate(drafts):
                number = first + offset
                draft.ticket.update(number=number, reference=f"{draft.prefix}-{number}")

    @staticmethod
    def _due_times(conn: Connection, by_tenant: dict[str, list[Draft]]) -> None:
        """Give each new ticket its due times under its tenant's targets, read here."""
        for tenant_id, drafts in by_tenant.items():
            rows = conn.execute(select(TenantSetting.key, TenantSetting.value)
                                .where(TenantSetting.tenant_id == tenant_id))  # fmt: skip
            try:
                policy = policy_from({key: value for key, value in rows})
            except InvalidInput:  # stored values are checked; never lose a ticket over one
                log.exception("the service targets of %s do not read; none applied", tenant_id)
                policy = Policy()
            for draft in drafts:
                first, resolved = policy.due_times(draft.ticket["created_at"],
                                                   draft.ticket["priority"])  # fmt: skip
                draft.ticket.update(first_response_due_at=first, resolution_due_at=resolved)

    @staticmethod
    def _children(conn: Connection, batch: list[Draft]) -> None:
        events, mails, files = [], [], []
        for draft in batch:
            assert draft.result is not None
            ticket_id, _, reference = draft.result
            events.append({**draft.event, "ticket_id": ticket_id})
            if draft.mail:  # none when the customer is not to be answered
                mail = dict(draft.mail)
                mail["headers"] = draft.mail_headers(ticket_id) if draft.mail_headers else {}
                mail["subject"] = mail["subject"].replace(REFERENCE, reference)
                mail["body"] = mail["body"].replace(REFERENCE, reference)
                if draft.mail_link_token:
                    token = draft.mail_link_token(ticket_id)
                    mail["body"] = mail["body"].replace(LINK_TOKEN, token)
                mails.append(mail)
            for model, row in draft.linked:
                conn.execute(insert(model), {**row, "ticket_id": ticket_id})
            for row, event in draft.attachments:
                files.append({**row, "ticket_id": ticket_id})
                events.append({**event, "ticket_id": ticket_id})
        conn.execute(insert(TicketEvent), events)
        if mails:
            conn.execute(insert(OutboxMessage), mails)
        if files:
            conn.execute(insert(TicketAttachment), files)
        for draft in batch:
            if draft.visit_id and draft.result:
                conn.execute(
                    update(DeflectionEvent)
                    .where(DeflectionEvent.tenant_id == draft.tenant_id)
                    .where(DeflectionEvent.visit_id == draft.visit_id)
                    .where(DeflectionEvent.ticket_id.is_(None))
                    .values(ticket_id=draft.result[0], updated_at=draft.ticket["updated_at"])
                )


def make_writer(engine: Engine) -> TicketWriter:
    """Return the writer that suits the engine's database."""
    if engine.dialect.name != "postgresql":
        return TicketWriter(engine)
    # Numbers are committed without waiting for the disk: the group's own commit waits, and
    # PostgreSQL flushes its log in order, so a ticket that survives a crash has its number
    # bump too. A group that fails leaves a gap in the numbers, never a duplicate.
    counters = create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=WRITERS_PG,
        connect_args={"options": "-c synchronous_commit=off"},
    )
    return TicketWriter(engine, threads=WRITERS_PG, counter_engine=counters)
