"""Abuse benchmark: healthy customers' latency while other clients send expensive searches.

    .venv/bin/python -m bench.abuse                          # 3,000 generated articles, SQLite
    .venv/bin/python -m bench.abuse --articles 0             # the sample help center

Builds a help center into a temporary project and starts the service as `intake serve` does
(gunicorn gthread, one process, rate limits off: every client here is 127.0.0.1), then in one
run, on the same server:

1. quiet: healthy clients search the knowledge base as the ticket form's suggestions do
   (GET /api/v1/eur/kb/search with ordinary words and typos), each at a steady pace;
2. abused: the same healthy clients, beside --abusers clients that each send, back to back,
   queries of twelve long made-up words (a new set each time: nothing is cached), the most
   expensive text a query may hold.

Prints p50/p99 of the healthy searches in each phase, the ratio of the abused p99 to the quiet
p99 (target: within 2x), and what the abusers got through. Every phase is bounded in time and
in count.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import string
import sys
import time
import urllib.parse

from bench.load import Phase, read_response, served

HEALTHY_QUERIES = ["reset password", "invoice", "pasword", "refund plan", "export data",
                   "two factor", "cancel subscription", "webhok"]  # fmt: skip
MAX_REQUESTS = 50_000  # per client and phase


def search_request(query: str) -> bytes:
    path = "/api/v1/eur/kb/search?" + urllib.parse.urlencode({"q": query})
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def made_up(rng: random.Random) -> str:
    """Twelve long words no index holds: each costs a look for near spellings."""
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=14)) for _ in range(12))


async def one_client(port: int, phase: Phase, deadline: float, pace: float,
                     queries: list[str] | None, seed: int) -> None:  # fmt: skip
    """Search on one keep-alive connection until the deadline: every `pace` seconds from the
    list (healthy), or back to back with made-up words (abusive: `queries` is None)."""
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for n in range(MAX_REQUESTS):
            if time.perf_counter() >= deadline:
                break
            query = queries[n % len(queries)] if queries else made_up(rng)
            start = time.perf_counter()
            writer.write(search_request(query))
            status, keep, _body = await read_response(reader)
            if status == 200:
                phase.latencies.append(time.perf_counter() - start)
            else:
                phase.errors[status] = phase.errors.get(status, 0) + 1
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if pace:
                await asyncio.sleep(max(0.0, start + pace - time.perf_counter()))
    finally:
        writer.close()


async def run(port: int, args: argparse.Namespace) -> tuple[Phase, Phase, Phase]:
    """The quiet phase, then the abused one; return quiet, abused and the abusers' phases."""
    pace = args.healthy / args.rate  # each healthy client's interval

    async def healthy(name: str) -> Phase:
        phase, deadline = Phase(name), time.perf_counter() + args.seconds
        await asyncio.gather(*(one_client(port, phase, deadline, pace, HEALTHY_QUERIES[i:]
                                          + HEALTHY_QUERIES[:i], i)
                               for i in range(args.healthy)))  # fmt: skip
        phase.seconds = args.seconds
        return phase

    await healthy("warm-up")
    quiet = await healthy("quiet")
    abusers = Phase("abusers")
    deadline = time.perf_counter() + args.seconds + 1
    abuse = [one_client(port, abusers, deadline, 0.0, None, 1000 + i) for i in range(args.abusers)]
    watched = asyncio.ensure_future(healthy("beside abuse"))
    await asyncio.gather(watched, *abuse)
    abused = watched.result()
    abusers.seconds = args.seconds
    return quiet, abused, abusers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000,
                        help="generated articles (0: the sample help center)")  # fmt: skip
    parser.add_argument("--healthy", type=int, default=4, help="healthy clients")
    parser.add_argument("--rate", type=float, default=40.0, help="healthy searches per second")
    parser.add_argument("--abusers", type=int, default=5, help="clients sending costly queries")
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase")
    parser.add_argument("--threads", type=int, default=32, help="per process, as `intake serve`")
    args = parser.parse_args()
    if min(args.healthy, args.abusers) < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--healthy, --abusers, --rate and --seconds must be positive")
    with served("sqlite", 1, args.threads, args.articles) as service:
        quiet, abused, abusers = asyncio.run(run(service.port, args))
    size = f"{args.articles} generated articles" if args.articles else "the sample help center"
    print(f"intake abuse benchmark: {size}, {args.healthy} healthy clients at {args.rate:g}"
          f" searches/s in all, {args.abusers} abusers, gthread 1x{args.threads}")  # fmt: skip
    for phase in (quiet, abused, abusers):
        print(phase.line())
    ratio = abused.percentile(99) / quiet.percentile(99)
    verdict = "met" if ratio <= 2 else "MISSED"
    print(f"healthy p99 beside abuse / quiet p99: {ratio:.2f}x (target 2x: {verdict})")
    lost = sum(abused.errors.values()) + sum(quiet.errors.values())
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
