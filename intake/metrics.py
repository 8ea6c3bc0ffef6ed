"""What the service counts for Prometheus, summed over gunicorn's worker processes.

`intake serve` points PROMETHEUS_MULTIPROC_DIR at a fresh folder before the workers start, so
every process writes its counters there and any process answers /metrics with the sum. Without
it (tests, `flask run`), the counters are this process's. The database's backlogs (mail
waiting or failed, chats waiting) are read when scraped, not counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from intake.db import Database
from intake.models import ChatSession, ChatStatus, OutboxMessage, OutboxStatus

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROCESS_DIR):  # the live gauge below opens its file there at once
    os.makedirs(os.environ[MULTIPROCESS_DIR], exist_ok=True)

REQUESTS = Counter("intake_http_requests", "Requests answered, by route and status.",
                   ["method", "endpoint", "status"])  # fmt: skip
LATENCY = Histogram("intake_http_request_duration_seconds", "Time to answer, by route.",
                    ["method", "endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))  # fmt: skip
OPEN_STREAMS = Gauge("intake_open_connections", "Live connections held open: event streams,"
                     " chat sockets and long polls.", multiprocess_mode="livesum")  # fmt: skip
JOB_RUNS = Counter("intake_job_runs", "Rounds of background jobs, by job and outcome.",
                   ["job", "outcome"])  # fmt: skip


class Backlogs(Collector):
    """Mail waiting and given up, chats waiting for an agent: read from the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        outbox = GaugeMetricFamily("intake_outbox_messages", "Mails by status (sent excluded).",
                                   labels=["status"])  # fmt: skip
        chats = GaugeMetricFamily("intake_chats_waiting", "Chats waiting for an agent.")
        with self.db.all_tenants() as session:
            counts = dict(session.execute(
                select(OutboxMessage.status, func.count()).where(
                    OutboxMessage.status != OutboxStatus.sent).group_by(OutboxMessage.status)
            ).all())  # fmt: skip
            unjoined = (ChatSession.status == ChatStatus.active, ChatSession.agent_id.is_(None))
            waiting = session.scalar(select(func.count()).select_from(ChatSession).where(*unjoined))
        for status in (OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed):
            outbox.add_metric([status.value], counts.get(status, 0))
        chats.add_metric([], waiting or 0)
        yield outbox
        yield chats


def exposition(db: Database) -> bytes:
    """Return every metric in Prometheus's text format."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:  # this process's own counters (not the interpreter's default ones)
        for collector in (REQUESTS, LATENCY, OPEN_STREAMS, JOB_RUNS):
            registry.register(collector)
    registry.register(Backlogs(db))
    return generate_latest(registry)
