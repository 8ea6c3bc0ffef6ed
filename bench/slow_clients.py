"""Slow-client benchmark: healthy requests' latency while other clients trickle their
requests a byte at a time, against the service directly and through nginx.

    .venv/bin/python -m bench.slow_clients                  # 150 slow clients, 100 threads
    .venv/bin/python -m bench.slow_clients --slow 300 --threads 50

Starts the service as `intake serve` does (gunicorn gthread, one process, SQLite) and, when
nginx is installed, nginx before it with the shipped deploy/nginx-intake.conf. For each way
in (direct, nginx), in one run: healthy clients request /healthz at a steady pace alone
(quiet), then beside --slow connections that each send a request head one byte every
--byte-every seconds. A healthy request that takes over --timeout counts as failed.

Prints p50/p99 and failures of each phase, and the ratio of the p99 beside the slow clients
to the quiet p99 (target: within 2x through nginx). Every phase is bounded in time and count.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.load import Phase, served
from scripts.nginxfront import fronted

HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 2000 + b"\r\n\r\n"
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


async def one_request(port: int, timeout: float) -> float | None:
    """Send one healthy request on a new connection; return its seconds, None on failure."""
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(REQUEST)
            status = await reader.readline()
            await reader.read()
            writer.close()
    except (OSError, TimeoutError):
        return None
    return time.perf_counter() - start if b" 200 " in status else None


async def healthy(name: str, port: int, args: argparse.Namespace) -> Phase:
    """Healthy clients at --rate requests per second in all, for --seconds."""
    phase = Phase(name)
    start = time.perf_counter()
    count = int(args.rate * args.seconds)

    async def at(n: int) -> None:
        await asyncio.sleep(max(0.0, start + n / args.rate - time.perf_counter()))
        took = await one_request(port, args.timeout)
        if took is None:
            phase.errors[0] = phase.errors.get(0, 0) + 1
        else:
            phase.latencies.append(took)

    await asyncio.gather(*(at(n) for n in range(count)))
    phase.seconds = time.perf_counter() - start
    return phase


async def trickle(port: int, args: argparse.Namespace, stop: asyncio.Event) -> int:
    """Hold --slow connections, each sending HEAD one byte every --byte-every s; return how
    many opened."""
    writers = []
    for _ in range(args.slow):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writers.append(writer)
        except OSError:
            break
    for index in range(len(HEAD)):
        if stop.is_set():
            break
        for writer in writers:
            if not writer.is_closing():
                writer.write(HEAD[index : index + 1])
        try:
            await asyncio.wait_for(stop.wait(), args.byte_every)
        except TimeoutError:
            continue
    for writer in writers:
        writer.close()
    return len(writers)


async def beside_slow(port: int, args: argparse.Namespace) -> tuple[Phase, int]:
    stop = asyncio.Event()
    slow = asyncio.ensure_future(trickle(port, args, stop))
    await asyncio.sleep(2.0)  # every slow connection has begun its request
    phase = await healthy("beside slow", port, args)
    stop.set()
    return phase, await slow


def report(way: str, quiet: Phase, loaded: Phase, opened: int, target: bool) -> None:
    print(f"-- {way}: {opened} slow connections held")
    for phase in (quiet, loaded):
        failed = sum(phase.errors.values())
        p50, p99 = phase.percentile(50), phase.percentile(99)
        print(f"{phase.name:<12} {phase.ok:>6} ok {failed:>5} failed"
              f"  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")  # fmt: skip
    ratio = loaded.percentile(99) / quiet.percentile(99) if loaded.latencies else float("inf")
    verdict = f" (target 2x: {'met' if ratio <= 2 and not loaded.errors else 'MISSED'})"
    print(f"p99 beside slow clients / quiet p99: {ratio:.2f}x{verdict if target else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=int, default=150, help="slow connections")
    parser.add_argument("--byte-every", type=float, default=0.5, help="seconds between bytes")
    parser.add_argument("--threads", type=int, default=100, help="as `intake serve`")
    parser.add_argument("--rate", type=float, default=20.0, help="healthy requests per second")
    parser.add_argument("--seconds", type=float, default=8.0, help="per phase")
    parser.add_argument("--timeout", type=float, default=5.0, help="a healthy request's limit")
    args = parser.parse_args()
    if min(args.slow, args.threads) < 1 or min(args.rate, args.seconds, args.timeout) <= 0:
        parser.error("every figure must be positive")
    nginx = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")
    print(f"intake slow-client benchmark: gunicorn gthread 1x{args.threads}, {args.slow} slow"
          f" connections (a byte every {args.byte_every:g} s), healthy /healthz at"
          f" {args.rate:g}/s for {args.seconds:g} s per phase")  # fmt: skip
    failed = False
    with served("sqlite", 1, args.threads) as service:
        quiet = asyncio.run(healthy("quiet", service.port, args))
        loaded, opened = asyncio.run(beside_slow(service.port, args))
        report("direct to intake serve", quiet, loaded, opened, target=False)
        if not nginx:
            print("-- through nginx: not installed (apt-get install nginx)")
            sys.exit(1)
        with tempfile.TemporaryDirectory(prefix="intake-nginx-") as tmp:
            with fronted(service.port, Path(tmp)) as front:
                quiet = asyncio.run(healthy("quiet", front, args))
                loaded, opened = asyncio.run(beside_slow(front, args))
        report("through nginx (deploy/nginx-intake.conf)", quiet, loaded, opened, target=True)
        failed = bool(loaded.errors)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
