"""Serving-model benchmark: idle long-lived connections held by one process, and the latency
of ordinary requests beside them.

    .venv/bin/python -m bench.serving                   # 1,000 open streams, SQLite
    .venv/bin/python -m bench.serving --streams 2000 --db postgresql

Starts the service as `intake serve` does (gunicorn, one process, gthread), creates a ticket,
then in one run:

1. quiet: healthy clients request /healthz and the ticket's page back to back;
2. opens N server-sent-event streams on the ticket (its open pages, as customers leave them),
   counts those held, and repeats phase 1 beside them;
3. a reply is posted and the time until every stream has heard of it is measured (fan-out).

Prints p50/p99 of each phase, the ratio of loaded to quiet p99, the streams held and the
server's memory. Every phase is bounded in time and in count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.request
from typing import Any

from bench.load import Phase, read_response, served
from bench.measure import _tree_rss_kb


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


async def healthy(port: int, paths: list[str], phase: Phase, deadline: float, cap: int) -> None:
    """One client: its paths in turn on one keep-alive connection until time or count is up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        n = 0
        while time.perf_counter() < deadline and n < cap:
            start = time.perf_counter()
            writer.write(_request(paths[n % len(paths)]))
            status, keep, _body = await read_response(reader)
            n += 1
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if status == 200:
                phase.latencies.append(time.perf_counter() - start)
            else:
                phase.errors[status] = phase.errors.get(status, 0) + 1
    finally:
        writer.close()


async def run_healthy(
    name: str, port: int, paths: list[str], clients: int, seconds: float
) -> Phase:
    """Run `clients` healthy clients for `seconds` (at most 20,000 requests each)."""
    phase = Phase(name)
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(healthy(port, paths, phase, deadline, 20_000) for _ in range(clients)))
    phase.seconds = time.perf_counter() - start
    return phase


class Stream:
    """One open ticket page's event stream."""

    def __init__(self) -> None:
        self.writer: asyncio.StreamWriter | None = None
        self.heard = asyncio.Event()
        self.heard_at = 0.0

    async def open(self, port: int, path: str) -> bool:
        """Connect and read the headers and the first frame; False if refused."""
        try:
            reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
            self.writer.write(_request(path))
            status = await asyncio.wait_for(reader.readline(), 30)
            if b" 200 " not in status:
                return False
            while await reader.readline() not in (b"\r\n", b""):
                pass
            asyncio.get_running_loop().create_task(self._listen(reader))
            return True
        except (TimeoutError, OSError):
            return False

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            if b"ticket.updated" in line and not self.heard.is_set():
                self.heard_at = time.perf_counter()
                self.heard.set()

    def close(self) -> None:
        """Drop the connection."""
        if self.writer is not None:
            self.writer.close()


async def scenario(port: int, args: argparse.Namespace, ref: str, token: str) -> list[str]:
    """Run the phases; return the lines to print."""
    paths = ["/healthz", f"/eur/tickets/{ref}/{token}"]
    quiet = await run_healthy("quiet", port, paths, args.clients, args.seconds)
    streams = [Stream() for _ in range(args.streams)]
    opened = 0
    for start in range(0, len(streams), 100):  # in waves, as pages open over time
        batch = streams[start : start + 100]
        results = await asyncio.gather(*(s.open(port, paths[1] + "/events") for s in batch))
        opened += sum(results)
    rss = _tree_rss_kb(args.server_pid)[0] / 1024
    loaded = await run_healthy(f"beside {opened} open", port, paths, args.clients, args.seconds)
    sent = time.perf_counter()
    body = json.dumps({"body": "A reply every open page hears of."}).encode()
    reply = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/eur/tickets/{ref}/replies", data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    await asyncio.to_thread(urllib.request.urlopen, reply, timeout=30)
    held = [s for s in streams if s.writer is not None]
    await asyncio.wait_for(asyncio.gather(*(s.heard.wait() for s in held)), 60)
    fan_out = max(s.heard_at for s in held) - sent
    for stream in streams:
        stream.close()
    ratio = loaded.percentile(99) / quiet.percentile(99)
    return [
        quiet.line(),
        loaded.line(),
        f"streams held {opened}/{args.streams}; server memory {rss:.0f} MB with them open",
        f"p99 beside the open streams / quiet p99: {ratio:.2f}x",
        f"a reply reached all {len(held)} open pages in {fan_out * 1000:.0f} ms",
    ]


def create_ticket(port: int) -> dict[str, Any]:
    """Create the ticket whose page the streams keep open."""
    body = {"name": "Bench", "email": "bench@example.com", "subject": "Streams",
            "description": "A ticket whose page many customers keep open.",
            "category": "technical"}  # fmt: skip
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/eur/tickets", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        created: dict[str, Any] = json.loads(answer.read())
    return created


def main() -> None:
    """Start the service, run the scenario, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="healthy clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="per healthy phase")
    args = parser.parse_args()
    # One process; a thread per stream plus the healthy clients (intake serve --threads).
    with served(args.db, 1, args.streams + 100) as service:
        args.server_pid = service.server.pid
        created = create_ticket(service.port)
        ticket, token = created["ticket"]["reference"], created["token"]
        lines = asyncio.run(scenario(service.port, args, ticket, token))
    threads, cores = args.streams + 100, os.cpu_count()
    print(f"intake serving benchmark: {args.db}, one gunicorn gthread process with {threads}"
          f" threads, {args.clients} healthy clients, {cores} cores")  # fmt: skip
    for line in lines:
        print(line)
    sys.exit(0)


if __name__ == "__main__":
    main()
