"""Abuse benchmark: healthy customers' latency while other clients send expensive searches.

    .venv/bin/python -m bench.abuse                          # 3,000 generated articles, SQLite
    .venv/bin/python -m bench.abuse --articles 0             # the sample help center
    .venv/bin/python -m bench.abuse --front                  # behind nginx, as deployed

Builds a help center into a temporary project and starts the service as `intake serve` does
(gunicorn gthread, one process; rate limits off, or with --limits on as behind a proxy with
each client an address of its own, or with --front behind nginx with the shipped
deploy/nginx-intake.conf, its limits and the service's on, each client connecting from a
loopback address of its own), then in one run, on the same server:

1. quiet: healthy clients search the knowledge base as the ticket form's suggestions do
   (GET /api/v1/eur/kb/search with ordinary words and typos), each at a steady pace;
2. beside costly queries: the same healthy clients, beside --abusers clients that each send,
   back to back, queries of twelve long made-up words (a new set each time: nothing is
   cached), the most expensive text a query may hold;
3. beside ordinary queries: the same, the clients sending one ordinary word instead: the
   reference for what their volume alone costs.

Prints p50/p99 of the healthy searches in each phase and of what the other clients got
through (a 429 when limited), the ratio of each loaded p99 to the quiet p99 (target: within 2x
beside costly queries) and of costly to ordinary. The other clients run in a process of their
own, as they would on machines of their own: their replies never wait behind the healthy
clients' in one event loop, and at the lowest CPU priority (--abusers-nice): on machines of
their own, generating their requests would cost the server nothing, while here it shares its
two cores. What the server spends on them (nginx's refusals, the service's answers) keeps its
priority. The CPU seconds their process used are printed. Every phase is bounded in time and
in count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import resource
import string
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.load import Phase, read_response, served
from scripts.nginxfront import fronted

HEALTHY_QUERIES = ["reset password", "invoice", "pasword", "refund plan", "export data",
                   "two factor", "cancel subscription", "webhok"]  # fmt: skip
MAX_REQUESTS = 1_000_000  # per client and phase: the deadline ends a phase first
NGINX_TURN = 0.25  # seconds between two searches of one address paced by the shipped nginx


def search_request(query: str, seed: int, front: bool) -> bytes:
    """A search from client `seed`: through nginx, which names the address the client
    connected from; without it, as a trusted proxy would (--limits) name client `seed`."""
    path = "/api/v1/eur/kb/search?" + urllib.parse.urlencode({"q": query})
    forwarded = "" if front else f"X-Forwarded-For: 10.0.{seed // 250}.{seed % 250 + 1}\r\n"
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{forwarded}\r\n".encode()


def loopback(seed: int) -> str:
    """The loopback address client `seed` connects from, so nginx tells the clients apart."""
    return f"127.1.{seed // 250}.{seed % 250 + 1}"


def rotated(queries: list[str], n: int) -> list[str]:
    """Return the list starting at its n-th item (modulo its length): each client its order."""
    n %= len(queries)
    return queries[n:] + queries[:n]


def made_up(rng: random.Random) -> str:
    """Twelve long words no index holds: each costs a look for near spellings."""
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=14)) for _ in range(12))


async def one_client(port: int, front: bool, phase: Phase, deadline: float, pace: float,
                     queries: list[str] | None, seed: int, offset: float = 0) -> None:  # fmt: skip
    """Search on one keep-alive connection until the deadline: every `pace` seconds from the
    list, the first after `offset` seconds (healthy), or back to back with made-up words
    (abusive: `queries` is None)."""
    rng = random.Random(seed)
    source = (loopback(seed), 0) if front else None
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=source)
    await asyncio.sleep(offset)
    try:
        for n in range(MAX_REQUESTS):
            if time.perf_counter() >= deadline:
                break
            query = queries[n % len(queries)] if queries else made_up(rng)
            start = time.perf_counter()
            writer.write(search_request(query, seed, front))
            status, keep, _body = await read_response(reader)
            if status == 200:
                phase.latencies.append(time.perf_counter() - start)
            else:
                phase.errors[status] = phase.errors.get(status, 0) + 1
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                               local_addr=source)  # fmt: skip
            if pace:
                await asyncio.sleep(max(0.0, start + pace - time.perf_counter()))
    finally:
        writer.close()


def others(port: int, front: bool, count: int, seconds: float, queries: list[str] | None,
           seeds: int) -> tuple[Phase, float]:  # fmt: skip
    """Run `count` clients sending back to back for `seconds` (in a process of their own);
    return what they got and the CPU seconds their process spent."""
    phase = Phase(f"  its {count} clients", seconds=seconds)
    before = resource.getrusage(resource.RUSAGE_SELF)

    async def clients() -> None:
        deadline = time.perf_counter() + seconds
        # Independent clients do not send in step: started together, their searches would
        # reach the service in bursts of `count` at each of nginx's paced turns.
        await asyncio.gather(*(one_client(port, front, phase, deadline, 0.0, queries, seeds + i,
                                          NGINX_TURN * i / count)
                               for i in range(count)))  # fmt: skip

    asyncio.run(clients())
    after = resource.getrusage(resource.RUSAGE_SELF)
    return phase, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


async def run(port: int, args: argparse.Namespace, pool: ProcessPoolExecutor,
              spent: list[float]) -> list[Phase]:  # fmt: skip
    """Return the phases: quiet; beside costly queries and those abusers; beside the same
    clients sending one ordinary query (volume alone) and those clients. Append to `spent`
    the CPU seconds the other clients' process used in each of its two phases."""
    pace = args.healthy / args.rate  # each healthy client's interval
    loop = asyncio.get_running_loop()

    async def healthy(name: str) -> Phase:
        phase, deadline = Phase(name), time.perf_counter() + args.seconds
        # The clients' starts are spread over one interval, so the searches come at a steady
        # rate rather than all at once.
        await asyncio.gather(*(one_client(port, args.front, phase, deadline, pace,
                                          rotated(HEALTHY_QUERIES, i), i, pace * i / args.healthy)
                               for i in range(args.healthy)))  # fmt: skip
        phase.seconds = args.seconds
        return phase

    async def beside(name: str, queries: list[str] | None, seeds: int) -> list[Phase]:
        sending = loop.run_in_executor(pool, others, port, args.front, args.abusers,
                                       args.seconds + 1, queries, seeds)  # fmt: skip
        await asyncio.sleep(0.5)  # they are sending before the healthy clients start
        watched = await healthy(name)
        theirs, cpu = await sending
        spent.append(cpu)
        return [watched, theirs]

    await loop.run_in_executor(pool, time.sleep, 0)  # the other clients' process is ready
    await healthy("warm-up")
    quiet = await healthy("quiet")
    costly = await beside("beside costly", None, 1000)
    await asyncio.sleep(60 if args.limits or args.front else 1)  # the abusers' limits refill
    ordinary = await beside("beside ordinary", ["refund"], 2000)
    return [quiet, *costly, *ordinary]


@contextlib.contextmanager
def entry(service_port: int, front: bool) -> Iterator[int]:
    """Yield the port the clients connect to: nginx's before the service, or the service's."""
    if not front:
        yield service_port
        return
    with tempfile.TemporaryDirectory(prefix="bench-abuse-nginx-") as folder:
        with fronted(service_port, Path(folder)) as port:
            yield port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000,
                        help="generated articles (0: the sample help center)")  # fmt: skip
    parser.add_argument("--healthy", type=int, default=4, help="healthy clients")
    parser.add_argument("--rate", type=float, default=40.0, help="healthy searches per second")
    parser.add_argument("--abusers", type=int, default=5, help="clients sending costly queries")
    parser.add_argument("--abusers-nice", type=int, default=19,
                        help="the abusers' process niceness (0: as the server's)")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase")
    parser.add_argument("--threads", type=int, default=32, help="per process, as `intake serve`")
    parser.add_argument("--limits", action="store_true",
                        help="rate limits on; each client an address behind a proxy")  # fmt: skip
    parser.add_argument("--front", action="store_true",
                        help="behind nginx (deploy/nginx-intake.conf), rate limits on")  # fmt: skip
    args = parser.parse_args()
    if min(args.healthy, args.abusers) < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--healthy, --abusers, --rate and --seconds must be positive")
    if not 0 <= args.abusers_nice <= 19:
        parser.error("--abusers-nice must be from 0 to 19 (a lower one needs root)")
    # With --limits, the service runs as behind one proxy, with its rate limits on: each client
    # is an address of its own, as on a public deployment.
    limited = args.limits or args.front
    settings = {"RATELIMIT_ENABLED": "1", "TRUSTED_PROXIES": "1"} if limited else {}
    spawn = multiprocessing.get_context("spawn")
    spent: list[float] = []
    with (served("sqlite", 1, args.threads, args.articles, settings) as service,
          entry(service.port, args.front) as port,
          ProcessPoolExecutor(1, mp_context=spawn, initializer=os.nice,
                              initargs=(args.abusers_nice,)) as pool):  # fmt: skip
        phases = asyncio.run(run(port, args, pool, spent))
    size = f"{args.articles} generated articles" if args.articles else "the sample help center"
    limits = ("on, behind nginx" if args.front else "on") if limited else "off"
    print(f"intake abuse benchmark: {size}, {args.healthy} healthy clients at {args.rate:g}"
          f" searches/s in all, {args.abusers} abusers, gthread 1x{args.threads},"
          f" rate limits {limits}")  # fmt: skip
    for phase in phases:
        print(phase.line())
    print(f"the other clients' process used {spent[0]:.1f} CPU s beside the costly phase and"
          f" {spent[1]:.1f} beside the ordinary one ({args.seconds + 1:g} s each)")  # fmt: skip
    quiet, costly, ordinary = phases[0], phases[1], phases[3]
    ratio = costly.percentile(99) / quiet.percentile(99)
    volume = ordinary.percentile(99) / quiet.percentile(99)
    print(f"healthy p99 beside costly queries / quiet p99: {ratio:.2f}x (target 2x:"
          f" {'met' if ratio <= 2 else 'MISSED'}); beside as many ordinary queries: {volume:.2f}x;"
          f" costly / ordinary: {ratio / volume:.2f}x")  # fmt: skip
    lost = sum(sum(p.errors.values()) for p in (quiet, costly, ordinary))
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
