"""Load benchmark of the intake service under gunicorn on loopback.

    .venv/bin/python -m bench.load --db sqlite        # or --db postgresql (a throw-away server)

Builds the sample help center into a temporary project, starts the service with gunicorn's
threaded workers on 127.0.0.1, then runs, in the same run and on the same server:

1. the bare endpoint (GET /healthz: no database, no templates) with N concurrent clients;
2. ticket creation (POST /api/v1/<tenant>/tickets) with the same clients.

Each phase is bounded in time (--seconds) and in count (--max-requests). Then the server is
killed with SIGKILL (no clean shutdown) and every acknowledged ticket (a 201 with its
reference) is looked up in the database: the count of missing ones must be 0.

The clients are one asyncio loop with keep-alive connections, so the load generator costs
little CPU; it still shares the machine's cores with the server, as in any loopback test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from scripts.pgserver import PgServer, free_port

REPO = Path(__file__).resolve().parent.parent
TENANTS = ("eur", "km")


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (tenant, reference)
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Return the p-th percentile latency in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def line(self) -> str:
        errors = sum(self.errors.values())
        return (
            f"{self.name:<16} {self.ok:>7} ok {errors:>5} errors  {self.rate:8.1f} req/s  "
            f"p50 {self.percentile(50):6.1f} ms  p99 {self.percentile(99):6.1f} ms  "
            f"mean {statistics.fmean(self.latencies) * 1000 if self.latencies else 0:6.1f} ms"
        )


def ticket_request(tenant: str, n: int) -> bytes:
    """Return one raw HTTP/1.1 request that creates a ticket."""
    body = json.dumps(
        {
            "name": f"Load client {n}",
            "email": f"load{n}@example.com",
            "subject": f"Benchmark ticket {n}",
            "description": "Created by bench/load.py to measure ticket creation under load.",
            "category": "technical",
            "priority": "medium",
        }
    ).encode()
    head = (
        f"POST /api/v1/{tenant}/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


BARE_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one response; return (status, keep-alive, body)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, keep = 0, True
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "connection" and value.strip().lower() == "close":
            keep = False
    body = await reader.readexactly(length) if length else b""
    return status, keep, body


async def client(
    index: int, port: int, phase: Phase, tickets: bool, deadline: float, budget: list[int]
) -> None:
    """Send requests back to back on one keep-alive connection until time or budget runs out."""
    tenant = TENANTS[index % len(TENANTS)]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            n += 1
            request = ticket_request(tenant, index * 1_000_000 + n) if tickets else BARE_REQUEST
            start = time.perf_counter()
            writer.write(request)
            try:
                status, keep, body = await read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                phase.errors[0] = phase.errors.get(0, 0) + 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            elapsed = time.perf_counter() - start
            if status in (200, 201):
                phase.latencies.append(elapsed)
                if tickets:
                    phase.acknowledged.append((tenant, json.loads(body)["ticket"]["reference"]))
            else:
                phase.errors[status] = phase.errors.get(status, 0) + 1
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def run_phase(
    name: str, port: int, clients: int, seconds: float, max_requests: int, tickets: bool
) -> Phase:
    """Run one phase with `clients` concurrent connections."""
    phase = Phase(name)
    budget = [max_requests]
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(client(i, port, phase, tickets, deadline, budget) for i in range(clients))
    )
    phase.seconds = time.perf_counter() - start
    return phase


def build_project(root: Path, articles: int = 0) -> None:
    """Copy the sample content (or generate `articles` articles) and build it (site, manifest,
    search index)."""
    if articles:
        from bench.corpus import generate

        generate(root, articles, articles // 10)
    else:
        shutil.copytree(REPO / "content", root / "content")
    subprocess.run(
        [sys.executable, "-m", "kbgen.cli", "--root", str(root), "-q", "build"], check=True
    )


def start_server(
    root: Path, url: str, port: int, workers: int, threads: int, settings: dict[str, str]
) -> subprocess.Popen[bytes]:
    """Start gunicorn with the app factory, as `intake serve` does, and wait until it answers."""
    from intake.serving import gunicorn_command

    env = {
        **os.environ,
        "HELPCENTER_ROOT": str(root),
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key-0123456789",
        "RATELIMIT_ENABLED": "0",  # one address sends everything here
        "KB_SYNC_ON_START": "1",
        **settings,
    }
    cmd = gunicorn_command("127.0.0.1", port, workers, threads)
    cmd = [c for c in cmd if c not in ("--access-logfile", "-")]
    server = subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    return answering(server, port, "gunicorn")


def answering(server: subprocess.Popen[bytes], port: int, what: str) -> subprocess.Popen[bytes]:
    """Wait (up to 20 s) until the server answers /healthz; kill it and fail if it does not."""
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    kill(server)
    raise RuntimeError(f"{what} did not start")


def adopt_orphans() -> None:
    """Become the reaper of our descendants (Linux), so killed workers leave no zombies."""
    try:
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill(server: subprocess.Popen[bytes]) -> None:
    """SIGKILL the master and its workers: nothing gets a chance to flush anything."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def missing(url: str, acknowledged: list[tuple[str, str]]) -> int:
    """Count acknowledged tickets that are not in the database."""
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT tenant_id, reference FROM support_tickets")).all())
    engine.dispose()
    return len({(t, r) for t, r in acknowledged} - {tuple(row) for row in stored})


@dataclass
class Served:
    """A running service on a built sample project: its port, database URL and server."""

    port: int
    url: str
    server: subprocess.Popen[bytes]


@contextlib.contextmanager
def served(
    db: str, workers: int, threads: int, articles: int = 0, settings: dict[str, str] | None = None
) -> Iterator[Served]:
    """Build the sample (or a generated help center of `articles` articles) into a temporary
    project, migrate the database, serve it (`settings`: more of the service's environment);
    clean up."""
    from intake.cli.database import upgrade

    adopt_orphans()
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        root = Path(tmp)
        build_project(root, articles)
        pg = PgServer(fast=False) if db == "postgresql" else None
        try:
            url = pg.start() if pg else f"sqlite:///{root / 'bench.sqlite3'}"
            upgrade(url)
            port = free_port()
            server = start_server(root, url, port, workers, threads, settings or {})
            try:
                yield Served(port, url, server)
            finally:
                kill(server)
        finally:
            if pg:
                pg.stop()


def main() -> None:
    """Run both phases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=200_000, help="per phase")
    parser.add_argument("--workers", type=int, default=1, help="as `intake serve`")
    parser.add_argument("--threads", type=int, default=100, help="as `intake serve`")
    args = parser.parse_args()

    with served(args.db, args.workers, args.threads) as service:
        run, port = asyncio.run, service.port
        bare = run(run_phase("bare /healthz", port, args.clients, args.seconds,
                             args.max_requests, tickets=False))  # fmt: skip
        made = run(run_phase("create ticket", port, args.clients, args.seconds,
                             args.max_requests, tickets=True))  # fmt: skip
        kill(service.server)  # SIGKILL before counting: only committed tickets remain
        lost = missing(service.url, made.acknowledged)
    print(
        f"intake load benchmark: {args.db}, {args.clients} clients, {args.seconds:g} s per phase,"
        f" gunicorn gthread {args.workers}x{args.threads}, {os.cpu_count()} cores"
    )
    print(bare.line())
    print(made.line())
    ratio = made.rate / bare.rate if bare.rate else 0.0
    print(f"tickets/s {made.rate:.1f}  ratio to bare {ratio:.1%}  "
          f"p50 {made.percentile(50):.1f} ms  p99 {made.percentile(99):.1f} ms")  # fmt: skip
    print(f"acknowledged {len(made.acknowledged)}  missing from the database after SIGKILL: {lost}")
    if made.errors or bare.errors:
        print(f"errors by status: bare {bare.errors}, tickets {made.errors}")
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
