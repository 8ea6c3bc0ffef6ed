"""Live-chat benchmark: N customers on the widget's WebSocket, each with an agent's live stream,
messages at a steady rate; the same messages through a bare WebSocket echo as the reference.

    .venv/bin/python -m bench.chat                                 # 500 chats, one process, SQLite
    .venv/bin/python -m bench.chat --db postgresql --workers 2     # two processes, PostgreSQL

Builds the sample help center into a temporary project and starts the service as `intake serve`
does (gunicorn gthread, bench.load.served), then in one run:

1. reference: a bare WebSocket echo (a Flask app with flask-sock that sends every frame back,
   under the same gunicorn settings) takes N sockets; each sends --messages frames, one every
   --interval seconds, staggered so the total rate is steady (N / interval frames per second);
   latency is send -> the echo's arrival. Its memory per open socket is taken too.
2. N chats are opened (POST /chat/eur/sessions), each with the customer's socket (hello,
   after 0) and the agent's server-sent-event stream of that chat (GET /desk/eur/chats/<id>/
   stream; one signed-in agent holds all N). The service's memory before and after they open
   gives the memory per open connection.
3. customer -> both sides: each customer sends the same messages at the same rate as in 1.
   Latency is send -> (a) the stored message back on the sender's own socket and (b) its
   `chat.<id>.message` event on the agent's stream. On PostgreSQL with two processes a chat's
   socket and its stream are often on different processes: the event crosses LISTEN/NOTIFY.
4. agent -> customer: the agent posts --agent-messages messages (one per chat by default, the
   first joins the chat) at --agent-rate per second through the desk's HTTP call; latency is
   the POST's start -> the message on the customer's socket.
5. every chat's stored messages (GET /chat/eur/sessions/<id>/messages) are the ground truth:
   each socket must have received each of them exactly once, in increasing id order, and each
   stream each customer's and agent's message once, in order, within --timeout of the last
   send; a message sent and never stored (or refused) is lost too.

Prints p50/p99 of each path, the ratio of the chat's p99 to the echo's (target: within 2x),
the lost, duplicated and out-of-order messages (must be 0: exit status 1 otherwise), memory
per open connection of the service and of the echo, and how the connections spread over the
processes. The client is one asyncio loop on the same cores as the server, as in any loopback
test. Every wait is bounded by --timeout, every loop in count and time.

Threads: an open socket or stream holds one of a process's threads (a socket's reader is one
more, outside the pool). The kernel does not split connections evenly between processes and a
gthread process queues, unserved, a connection it accepted beyond its threads, so each process
gets room for all of them (2N + 100 by default); the pool starts threads only as they are used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookiejar
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Origin

from bench.load import REPO, Phase, Served, answering, kill, read_response, served
from bench.measure import _tree_rss_kb, percentile
from scripts.pgserver import free_port

TENANT = "eur"
AGENT_EMAIL = "chat-bench@example.com"
AGENT_PASSWORD = "bench chat password 0123"
WAVE = 100  # connections opened at once, as pages open over time
POOL = 16  # keep-alive HTTP connections for opening chats, agent posts and reading chats back
MAX_FRAMES = 100_000  # per connection: a reader stops after this many
RATE, PER = 20, 10.0  # intake.live.socket: frames a customer may send in PER seconds
ECHO_FRAMES, ECHO_LIFETIME = 100_000, 900.0  # the echo's bounds per socket
SOCK_OPTIONS = {"ping_interval": 25, "max_message_size": 64 * 1024}  # as intake.live sets
TEXT = "Hello, my March invoice shows the wrong VAT number; could someone correct it please?"


def text_of(cid: str) -> str:
    """Return a message's text: it carries its client id, so any copy of it names its sender."""
    return f"bench {cid} {TEXT}"


def cid_of(text: object) -> str | None:
    """Return the client id a benchmark message's text carries (None for any other text)."""
    if not isinstance(text, str) or not text.startswith("bench "):
        return None
    return text.split(" ", 2)[1]


# --- the reference: a bare WebSocket echo -------------------------------------------------


def echo_app() -> Flask:
    """Return the reference app: one WebSocket route that sends every frame back, nothing else.

    gunicorn loads it as `bench.chat:echo_app()`, with the service's worker settings.
    """
    from flask_sock import Sock

    app = Flask(__name__)
    app.config["SOCK_SERVER_OPTIONS"] = SOCK_OPTIONS
    sock = Sock(app)

    @sock.route("/echo")  # type: ignore[untyped-decorator]  # flask-sock ships no types
    def echo(ws: Any) -> None:
        deadline = time.monotonic() + ECHO_LIFETIME
        for _ in range(ECHO_FRAMES):
            left = deadline - time.monotonic()
            data = ws.receive(timeout=left) if left > 0 else None
            if data is None:
                return
            ws.send(data)

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


def start_echo(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    """Start the echo under gunicorn as the service runs (bench.load.start_server), without
    the service's hooks (job runner, event listener) or access log; wait until it answers."""
    from intake.serving import gunicorn_command

    cmd: list[str] = []
    parts = iter(gunicorn_command("127.0.0.1", port, workers, threads))
    for part in parts:
        if part in ("--config", "--access-logfile", "--logger-class"):
            next(parts)  # and its value
        else:
            cmd.append("bench.chat:echo_app()" if part == "intake:create_app()" else part)
    server = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stderr=subprocess.DEVNULL)
    return answering(server, port, "the echo's gunicorn")


# --- what the clients received, and the checks --------------------------------------------


@dataclass
class Seen:
    """What one connection received: keys (message ids) in order, and when each came first."""

    order: list[int] = field(default_factory=list)
    first: dict[int, float] = field(default_factory=dict)

    def add(self, key: int, at: float) -> None:
        self.order.append(key)
        self.first.setdefault(key, at)


@dataclass
class Faults:
    """Lost, duplicated and out-of-order messages, summed over connections."""

    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0

    def check(self, seen: Seen, expected: Iterable[int]) -> None:
        """Count what `seen` lacks of `expected`, what it got twice, and what came late."""
        self.lost += len(set(expected) - set(seen.first))
        self.duplicated += len(seen.order) - len(seen.first)
        top, done = -1, set()
        for key in seen.order:
            if key not in done:
                done.add(key)
                self.out_of_order += key < top
                top = max(top, key)

    @property
    def total(self) -> int:
        return self.lost + self.duplicated + self.out_of_order

    def __str__(self) -> str:
        return f"{self.lost} lost, {self.duplicated} duplicated, {self.out_of_order} out of order"


class Socket:
    """A WebSocket client: opened in a wave, then read by its own task until the end."""

    def __init__(self) -> None:
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.ended = ""  # why reading stopped early, if it did
        self.sent: dict[str, float] = {}  # client id -> when it was sent
        self.got: dict[str, float] = {}  # client id -> when it came back first

    async def open(self, url: str, origin: str, hello: str | None, timeout: float) -> bool:
        """Connect (and say hello); False if refused."""
        try:
            self.ws = await connect(url, origin=Origin(origin), proxy=None, open_timeout=timeout,
                                    ping_interval=None, close_timeout=2)  # fmt: skip
            if hello is not None:
                await self.ws.send(hello)
                answer = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
                if answer.get("type") != "session":
                    self.ended = f"hello answered {answer}"
                    return False
        except (OSError, TimeoutError, WebSocketException, ValueError) as exc:
            self.ended = f"open failed: {exc!r}"
            return False
        self.task = asyncio.get_running_loop().create_task(self._read(timeout * 20))
        return True

    async def _read(self, seconds: float) -> None:
        assert self.ws is not None
        try:
            async with asyncio.timeout(seconds):
                for _ in range(MAX_FRAMES):
                    raw = await self.ws.recv()
                    self.frame(json.loads(raw), time.perf_counter())
        except TimeoutError:
            self.ended = "still open at the reader's time limit"
        except WebSocketException as exc:
            self.ended = f"closed: {exc}"
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            self.ended = f"unreadable frame: {exc!r}"

    def frame(self, frame: dict[str, Any], at: float) -> None:
        """Take one received frame in."""
        raise NotImplementedError

    async def send(self, cid: str) -> None:
        """Send one message frame, as the widget does; note when."""
        frame = json.dumps({"type": "message", "text": text_of(cid), "client_id": cid})
        if self.ws is None:
            return
        self.sent[cid] = time.perf_counter()
        try:
            await self.ws.send(frame)
        except WebSocketException as exc:
            self.ended = f"send failed: {exc}"

    async def close(self) -> None:
        """Stop reading and close the connection."""
        if self.task is not None:
            self.task.cancel()
        if self.ws is not None:
            with contextlib.suppress(OSError, TimeoutError, WebSocketException):
                await asyncio.wait_for(self.ws.close(), 3)


class EchoSocket(Socket):
    """A socket of the bare echo: a frame comes back as it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = Seen()  # keys: the message's number on this socket

    def frame(self, frame: dict[str, Any], at: float) -> None:
        cid = str(frame.get("client_id"))
        self.got.setdefault(cid, at)
        self.seen.add(int(cid.rsplit("-", 1)[1]), at)


class Customer(Socket):
    """A customer's chat: its token, its widget's socket and what that socket received."""

    def __init__(self, chat_id: int, token: str) -> None:
        super().__init__()
        self.chat_id, self.token = chat_id, token
        self.seen = Seen()  # message ids
        self.errors: list[str] = []
        self.agent_sent: dict[str, float] = {}  # the agent's messages: client id -> POST start

    def frame(self, frame: dict[str, Any], at: float) -> None:
        if frame.get("type") == "message":
            message = frame["message"]
            self.seen.add(int(message["id"]), at)
            cid = cid_of(message.get("text"))
            if cid is not None:
                self.got.setdefault(cid, at)
        elif frame.get("type") == "error":
            self.errors.append(str(frame.get("message")))


class Stream:
    """The agent's live stream of one chat (server-sent events): the message ids it hears of."""

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None
        self.seen = Seen()
        self.ended = ""

    async def open(self, port: int, cookie: str, timeout: float) -> bool:
        """Send the request and read the answer's head; False if refused."""
        try:
            reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
            self.writer.write(
                f"GET /desk/{TENANT}/chats/{self.chat_id}/stream HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                f"Cookie: {cookie}\r\n\r\n".encode()
            )
            status = await asyncio.wait_for(reader.readline(), timeout)
            if b" 200 " not in status:
                self.ended = f"answered {status!r}"
                return False
            chunked = False
            for _ in range(100):
                line = await asyncio.wait_for(reader.readline(), timeout)
                if line in (b"\r\n", b""):
                    break
                chunked |= line.lower().startswith(b"transfer-encoding: chunked")
        except (OSError, TimeoutError) as exc:
            self.ended = f"open failed: {exc!r}"
            return False
        self.task = asyncio.get_running_loop().create_task(
            self._read(reader, chunked, timeout * 20)
        )
        return True

    async def _read(self, reader: asyncio.StreamReader, chunked: bool, seconds: float) -> None:
        buffer = b""
        try:
            async with asyncio.timeout(seconds):
                for _ in range(MAX_FRAMES):
                    if chunked:
                        size = int((await reader.readline()).split(b";")[0] or b"0", 16)
                        data = await reader.readexactly(size + 2) if size else b""
                        data = data[:-2]
                    else:
                        data = await reader.read(65536)
                    if not data:
                        self.ended = "the stream ended"
                        return
                    *frames, buffer = (buffer + data).split(b"\n\n")
                    at = time.perf_counter()
                    for frame in frames:
                        self._event(frame.decode(), at)
        except TimeoutError:
            self.ended = "still open at the reader's time limit"
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            self.ended = f"closed: {exc!r}"

    def _event(self, frame: str, at: float) -> None:
        fields = dict(line.split(": ", 1) for line in frame.split("\n") if ": " in line)
        if fields.get("event") != f"chat.{self.chat_id}.message":
            return
        message_id = json.loads(fields.get("data", "{}")).get("message_id")
        if isinstance(message_id, int):
            self.seen.add(message_id, at)

    def close(self) -> None:
        """Stop reading and drop the connection."""
        if self.task is not None:
            self.task.cancel()
        if self.writer is not None:
            self.writer.close()


# --- helpers ------------------------------------------------------------------------------


class Http:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, method: str, path: str, headers: dict[str, str],
                   body: bytes = b"") -> tuple[int, bytes]:  # fmt: skip
        """Send one request; return the status and body (status 0: the connection failed)."""
        try:
            if self.reader is None or self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            start = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{head}"
            self.writer.write(f"{start}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status, keep, answer = await asyncio.wait_for(read_response(self.reader), self.timeout)
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError):
            self.close()
            return 0, b""
        if not keep:
            self.close()
        return status, answer

    def close(self) -> None:
        """Drop the connection."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def pooled(jobs: list[Callable[[Http], Awaitable[None]]], port: int, timeout: float) -> None:
    """Run the jobs in order on POOL connections, each connection one job at a time."""
    pool = [Http(port, timeout) for _ in range(POOL)]

    async def worker(http: Http, mine: list[Callable[[Http], Awaitable[None]]]) -> None:
        for job in mine:
            await job(http)
        http.close()

    await asyncio.gather(*(worker(http, jobs[n::POOL]) for n, http in enumerate(pool)))


async def in_waves(openers: list[Callable[[], Awaitable[bool]]]) -> int:
    """Open connections WAVE at a time; return how many opened."""
    opened = 0
    for start in range(0, len(openers), WAVE):
        opened += sum(await asyncio.gather(*(o() for o in openers[start : start + WAVE])))
    return opened


async def wait_until(done: Callable[[], bool], timeout: float) -> float:
    """Wait until `done()` (polled every 20 ms) or `timeout`; return the seconds waited."""
    start = time.perf_counter()
    for _ in range(math.ceil(timeout / 0.02) + 1):
        if done() or time.perf_counter() - start > timeout:
            break
        await asyncio.sleep(0.02)
    return time.perf_counter() - start


async def steady(sockets: list[Socket], prefix: list[str], messages: int, interval: float) -> float:
    """Each socket sends `messages` frames, one every `interval` s; socket i starts i/N of an
    interval after the first, so the total rate is steady. Return the seconds it took."""
    start = time.perf_counter() + 0.2
    count = len(sockets)

    async def one(i: int, socket: Socket) -> None:
        for k in range(messages):
            await asyncio.sleep(max(0.0, start + (i / count + k) * interval - time.perf_counter()))
            await socket.send(f"{prefix[i]}-{k}")

    await asyncio.gather(*(one(i, s) for i, s in enumerate(sockets)))
    return time.perf_counter() - start


def rss_mb(pid: int) -> float:
    """Return the resident memory of a process and its descendants, in MB."""
    return _tree_rss_kb(pid)[0] / 1024


def cpu_seconds(root: int) -> float:
    """Return the CPU time (user and system) a process and its descendants have used so far."""
    ticks: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime + stime
    total, stack = 0, [root]
    for _ in range(len(ticks) + 1):
        if not stack:
            break
        pid = stack.pop()
        total += ticks.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def connections_per_process(master: int, port: int) -> list[int]:
    """Return, for each process under the gunicorn master, its open connections on `port`."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                cols = row.split()
                if cols[1].endswith(f":{port:04X}") and cols[3] == "01":  # ESTABLISHED
                    inodes.add(cols[9])
    counts = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) != master:
                continue
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue
        counts.append(sum(link[8:-1] in inodes for link in links if link.startswith("socket:")))
    return sorted(counts, reverse=True)


def line(phase: Phase) -> str:
    """Return one path's figures."""
    worst = max(phase.latencies, default=math.nan) * 1000
    errors = f"  errors {phase.errors}" if phase.errors else ""
    return (f"{phase.name:<28} {phase.ok:>6}  p50 {phase.percentile(50):7.1f} ms  "
            f"p99 {phase.percentile(99):7.1f} ms  max {worst:7.1f} ms{errors}")  # fmt: skip


def latencies(phase: Phase, sent: dict[str, float], got: dict[str, float]) -> None:
    """Add send -> arrival of every message that arrived."""
    phase.latencies.extend(got[cid] - at for cid, at in sent.items() if cid in got)


# --- the reference run --------------------------------------------------------------------


@dataclass
class EchoResult:
    phase: Phase
    faults: Faults
    opened: int
    mb_before: float
    mb_after: float
    spread: list[int]
    cpu: float  # the server's CPU seconds while the messages went through


async def echo_scenario(port: int, pid: int, args: argparse.Namespace) -> EchoResult:
    """Open N echo sockets and send the chat's messages through them at the chat's rate."""
    origin, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/echo"
    sockets = [EchoSocket() for _ in range(args.sessions)]
    before = rss_mb(pid)
    opened = await in_waves([partial(s.open, url, origin, None, args.timeout) for s in sockets])
    await asyncio.sleep(1)
    after, spread = rss_mb(pid), connections_per_process(pid, port)
    live: list[Socket] = [s for s in sockets if s.task is not None]
    cpu = cpu_seconds(pid)
    await steady(live, [f"e{i}" for i in range(len(live))], args.messages, args.interval)
    await wait_until(lambda: all(s.got.keys() >= s.sent.keys() for s in live), args.timeout)
    cpu = cpu_seconds(pid) - cpu
    phase, faults = Phase("bare WebSocket echo"), Faults()
    for socket in sockets:
        latencies(phase, socket.sent, socket.got)
        faults.check(socket.seen, range(len(socket.sent)))
    await asyncio.gather(*(s.close() for s in sockets))
    return EchoResult(phase, faults, opened, before, after, spread, cpu)


def run_echo(args: argparse.Namespace, threads: int) -> EchoResult:
    """Start the echo, run the reference, stop it."""
    port = free_port()
    server = start_echo(port, args.workers, threads)
    try:
        return asyncio.run(echo_scenario(port, server.pid, args))
    finally:
        kill(server)


# --- the chat -----------------------------------------------------------------------------


@dataclass
class Agent:
    """The signed-in agent: the cookies of its session and the desk's CSRF token."""

    cookie: str
    csrf: str


def sign_in_agent(service: Served) -> Agent:
    """Create an agent account in the database, sign in through the desk's form."""
    from intake.agents.accounts import NewAgent, create_agent
    from intake.db import Database

    db = Database(service.url)
    try:
        with db.write(TENANT) as session:
            create_agent(session, NewAgent(AGENT_EMAIL, "Bench Agent", AGENT_PASSWORD))
    finally:
        db.dispose()

    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
            return None  # the 303 of a sign-in is read, not followed

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Keep())
    base = f"http://127.0.0.1:{service.port}/desk/{TENANT}"

    def page(path: str, pattern: str) -> str:
        with opener.open(base + path, timeout=30) as answer:
            found = re.search(pattern, answer.read().decode())
        if not found:
            raise RuntimeError(f"no {pattern!r} on {path}")
        return found.group(1)

    form = {"csrf_token": page("/login", r'name="csrf_token" type="hidden" value="([^"]+)"'),
            "email": AGENT_EMAIL, "password": AGENT_PASSWORD, "next": ""}  # fmt: skip
    try:
        opener.open(base + "/login", data=urllib.parse.urlencode(form).encode(), timeout=30)
        raise RuntimeError("signing in did not answer 303")
    except urllib.error.HTTPError as answer:
        if answer.code != 303:
            raise RuntimeError(f"signing in answered {answer.code}") from None
    csrf = page("/chats", r'name="csrf-token" content="([^"]+)"')
    return Agent("; ".join(f"{c.name}={c.value}" for c in jar), csrf)


@dataclass
class ChatResult:
    customers: list[Customer]
    streams: list[Stream]
    opened: tuple[int, int, int]  # chats, sockets, streams
    open_seconds: float
    mb_before: float
    mb_after: float
    spread: list[int]
    posts: Phase
    stored: dict[int, list[dict[str, Any]]]
    drained: tuple[float, float]
    cpu: tuple[float, float]  # the service's CPU seconds in each direction's phase


async def open_chats(port: int, args: argparse.Namespace) -> list[Customer]:
    """Open N chats through the widget's call; return those opened."""
    customers: list[Customer] = []
    headers = {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json"}

    def job(i: int) -> Callable[[Http], Awaitable[None]]:
        async def run(http: Http) -> None:
            body = json.dumps({"name": f"Bench customer {i}", "email": f"bench{i}@example.com"})
            status, answer = await http.call("POST", f"/chat/{TENANT}/sessions", headers,
                                             body.encode())  # fmt: skip
            if status == 201:
                opened = json.loads(answer)
                customers.append(Customer(int(opened["session"]["id"]), str(opened["token"])))

        return run

    await pooled([job(i) for i in range(args.sessions)], port, args.timeout)
    return sorted(customers, key=lambda c: c.chat_id)


async def agent_posts(port: int, agent: Agent, customers: list[Customer],
                      args: argparse.Namespace) -> Phase:  # fmt: skip
    """The agent posts to chat after chat at a steady rate; return the POSTs' answer times."""
    phase = Phase("agent POST answered")
    headers = {"Cookie": agent.cookie, "X-CSRFToken": agent.csrf, "X-Requested-With": "fetch",
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    start = time.perf_counter() + 0.2

    def job(j: int) -> Callable[[Http], Awaitable[None]]:
        async def run(http: Http) -> None:
            customer = customers[j % len(customers)]
            cid = f"a{customer.chat_id}-{j}"
            await asyncio.sleep(max(0.0, start + j / args.agent_rate - time.perf_counter()))
            body = urllib.parse.urlencode({"text": text_of(cid)}).encode()
            customer.agent_sent[cid] = sent = time.perf_counter()
            status, _ = await http.call("POST", f"/desk/{TENANT}/chats/{customer.chat_id}/messages",
                                        headers, body)  # fmt: skip
            if status == 201:
                phase.latencies.append(time.perf_counter() - sent)
            else:
                phase.errors[status] = phase.errors.get(status, 0) + 1

        return run

    await pooled([job(j) for j in range(args.agent_messages)], port, args.timeout)
    phase.seconds = time.perf_counter() - start
    return phase


async def read_back(port: int, customers: list[Customer],
                    args: argparse.Namespace) -> dict[int, list[dict[str, Any]]]:  # fmt: skip
    """Return every chat's stored messages, as the widget reads them (the ground truth)."""
    stored: dict[int, list[dict[str, Any]]] = {}

    def job(customer: Customer) -> Callable[[Http], Awaitable[None]]:
        async def run(http: Http) -> None:
            headers = {"Origin": f"http://127.0.0.1:{port}",
                       "Authorization": f"Bearer {customer.token}"}  # fmt: skip
            found: list[dict[str, Any]] = []
            for _ in range(100):  # pages of 500
                after = found[-1]["id"] if found else 0
                status, answer = await http.call(
                    "GET", f"/chat/{TENANT}/sessions/{customer.chat_id}/messages?after={after}",
                    headers)  # fmt: skip
                if status != 200:
                    raise RuntimeError(f"reading chat {customer.chat_id} back answered {status}")
                page = json.loads(answer)
                found.extend(page["messages"])
                if not page["more"]:
                    break
            stored[customer.chat_id] = found

        return run

    await pooled([job(c) for c in customers], port, args.timeout)
    return stored


async def chat_scenario(service: Served, agent: Agent, args: argparse.Namespace) -> ChatResult:
    """Open the chats, their sockets and streams; run both directions; read the chats back."""
    port, pid = service.port, service.server.pid
    origin, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/chat/{TENANT}/socket"
    customers = await open_chats(port, args)
    if not customers:
        raise RuntimeError("no chat could be opened")
    await asyncio.sleep(1)
    before = rss_mb(pid)
    started = time.perf_counter()

    def hello(c: Customer) -> str:
        return json.dumps({"type": "hello", "session": c.chat_id, "token": c.token, "after": 0})

    streams = [Stream(c.chat_id) for c in customers]
    sockets = await in_waves([partial(c.open, url, origin, hello(c), args.timeout)
                              for c in customers])  # fmt: skip
    held = await in_waves([partial(s.open, port, agent.cookie, args.timeout) for s in streams])
    open_seconds = time.perf_counter() - started
    await asyncio.sleep(1)
    after, spread = rss_mb(pid), connections_per_process(pid, port)
    live: list[Socket] = [c for c in customers if c.task is not None]
    cpu = [cpu_seconds(pid)]
    await steady(live, [f"c{c.chat_id}" for c in customers if c.task is not None],
                 args.messages, args.interval)  # fmt: skip

    def heard_all(extra: Callable[[Customer], int]) -> Callable[[], bool]:
        def done() -> bool:
            return all(c.got.keys() >= c.sent.keys() | c.agent_sent.keys()
                       and len(s.seen.first) >= len(c.sent) + extra(c)
                       for c, s in zip(customers, streams, strict=True))  # fmt: skip

        return done

    first_drain = await wait_until(heard_all(lambda _c: 0), args.timeout)
    cpu.append(cpu_seconds(pid))
    posts = await agent_posts(port, agent, customers, args) if args.agent_messages else Phase("")
    second_drain = await wait_until(heard_all(lambda c: len(c.agent_sent)), args.timeout)
    cpu.append(cpu_seconds(pid))
    stored = await read_back(port, customers, args)
    for stream in streams:
        stream.close()
    await asyncio.gather(*(c.close() for c in customers))
    return ChatResult(customers, streams, (len(customers), sockets, held), open_seconds, before,
                      after, spread, posts, stored, (first_drain, second_drain),
                      (cpu[1] - cpu[0], cpu[2] - cpu[1]))  # fmt: skip


# --- the report ---------------------------------------------------------------------------


@dataclass
class Tally:
    """The chat's paths, checks and timeline, from what the clients received and the database."""

    own: Phase = field(default_factory=lambda: Phase("customer -> own socket"))
    to_agent: Phase = field(default_factory=lambda: Phase("customer -> agent stream"))
    to_customer: Phase = field(default_factory=lambda: Phase("agent -> customer socket"))
    sockets: Faults = field(default_factory=Faults)
    streams: Faults = field(default_factory=Faults)
    unstored: int = 0  # sent but never stored (refused ones too)
    errors: int = 0  # error frames on the customers' sockets
    ended: list[str] = field(default_factory=list)  # connections that ended early: why
    by_second: dict[int, list[float]] = field(default_factory=dict)  # customer -> agent stream


def tally(chat: ChatResult) -> Tally:
    """Compare what every socket and stream received with the stored chats."""
    found = Tally()
    start = min((t for c in chat.customers for t in c.sent.values()), default=0.0)
    for customer, stream in zip(chat.customers, chat.streams, strict=True):
        messages = chat.stored.get(customer.chat_id, [])
        ids = {cid: m["id"] for m in messages if (cid := cid_of(m["text"])) is not None}
        found.unstored += len((customer.sent.keys() | customer.agent_sent.keys()) - ids.keys())
        latencies(found.own, customer.sent, customer.got)
        latencies(found.to_customer, customer.agent_sent, customer.got)
        heard = {cid: stream.seen.first[i] for cid, i in ids.items() if i in stream.seen.first}
        latencies(found.to_agent, customer.sent, heard)
        for cid, at in customer.sent.items():
            if cid in heard:
                found.by_second.setdefault(int(at - start), []).append(heard[cid] - at)
        found.sockets.check(customer.seen, [m["id"] for m in messages])
        found.streams.check(stream.seen, [m["id"] for m in messages if m["author"] != "system"])
        found.errors += len(customer.errors)
        found.ended += [e for e in (customer.ended, stream.ended) if e]
    found.sockets.lost += found.unstored
    return found


def report(args: argparse.Namespace, threads: int, echo: EchoResult, chat: ChatResult) -> int:
    """Print the figures; return how many things went wrong (lost, duplicated, out of order,
    connections not opened or ended early)."""
    n: int = args.sessions
    found = tally(chat)
    print(f"intake chat benchmark: {args.db}, {n} chats, {args.messages} messages per customer"
          f" every {args.interval:g} s ({n / args.interval:.0f} msg/s), gunicorn gthread"
          f" {args.workers}x{threads}, {os.cpu_count()} cores")  # fmt: skip
    chats, sockets, held = chat.opened
    print(f"opened: echo sockets {echo.opened}/{n}; chats {chats}/{n}, customer sockets"
          f" {sockets}/{n}, agent streams {held}/{n} in {chat.open_seconds:.1f} s")  # fmt: skip
    for phase in (echo.phase, found.own, found.to_agent):
        print(line(phase))
    if args.agent_messages:
        print(line(found.to_customer))
        print(line(chat.posts))
    base = echo.phase.percentile(99)
    ratios = [found.own.percentile(99) / base, found.to_agent.percentile(99) / base]
    verdict = "met" if max(ratios) <= 2 else "MISSED"
    also = f"; agent -> customer {found.to_customer.percentile(99) / base:.2f}x"
    print(f"p99 / echo p99: own socket {ratios[0]:.2f}x, agent stream {ratios[1]:.2f}x"
          f" (target 2x: {verdict}){also if args.agent_messages else ''}")  # fmt: skip
    seconds = [percentile(found.by_second[s], 0.99) * 1000 for s in sorted(found.by_second)]
    print("customer -> agent stream p99 by second of sending, ms: "
          + " ".join(f"{ms:.0f}" for ms in seconds))  # fmt: skip
    unstored = f" ({found.unstored} sent, never stored)" if found.unstored else ""
    print(f"customer sockets: {found.sockets}{unstored}")
    print(f"agent streams:    {found.streams}")
    print(f"echo sockets:     {echo.faults}")
    why = f": {found.ended[0]}" if found.ended else ""
    print(f"all delivered within {chat.drained[0]:.1f} s / {chat.drained[1]:.1f} s of the last"
          f" send (limit {args.timeout:g} s); error frames {found.errors}; connections that"
          f" ended early {len(found.ended)}{why}")  # fmt: skip
    sent = sum(len(c.sent) for c in chat.customers)
    posted = max(1, chat.posts.ok)
    print(f"server CPU per message: echo {echo.cpu / max(1, echo.phase.ok) * 1000:.2f} ms,"
          f" chat {chat.cpu[0] / max(1, sent) * 1000:.2f} ms per customer message,"
          f" {chat.cpu[1] / posted * 1000:.2f} ms per agent post")  # fmt: skip
    grown = (chat.mb_after - chat.mb_before) * 1024
    print(f"service memory: {chat.mb_before:.0f} MB -> {chat.mb_after:.0f} MB with the sockets"
          f" and streams open: {grown / max(1, min(sockets, held)):.0f} KB per chat (socket"
          f" + stream), {grown / max(1, sockets + held):.0f} KB per connection")  # fmt: skip
    echo_grown = (echo.mb_after - echo.mb_before) * 1024
    print(f"echo memory:    {echo.mb_before:.0f} MB -> {echo.mb_after:.0f} MB with the sockets"
          f" open: {echo_grown / max(1, echo.opened):.0f} KB per socket")  # fmt: skip
    print(f"connections per process: service {chat.spread}, echo {echo.spread}")
    faults = found.sockets.total + found.streams.total
    missing = 3 * n - chats - sockets - held + len(found.ended)
    print("result: " + ("OK, no message lost, duplicated or out of order" if not faults else
                        f"FAILED, {faults} messages lost, duplicated or out of order")
          + (f"; {missing} connections not opened or ended early" if missing else ""))  # fmt: skip
    return faults + missing


def main() -> None:
    """Run the reference and the chat on one service; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sessions", type=int, default=500, help="chats open at once")
    parser.add_argument("--messages", type=int, default=5, help="per customer")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="seconds between one customer's messages")  # fmt: skip
    parser.add_argument("--agent-messages", type=int, default=None,
                        help="the agent's posts (default: one per chat; 0: none)")  # fmt: skip
    parser.add_argument("--agent-rate", type=float, default=50.0, help="agent posts per second")
    parser.add_argument("--workers", type=int, default=1, help="as `intake serve`")
    parser.add_argument("--threads", type=int, default=None,
                        help="per process (default: 2 x sessions + 100)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds any one wait may take (opening, delivery)")  # fmt: skip
    args = parser.parse_args()
    if args.db == "sqlite" and args.workers != 1:
        parser.error("SQLite serves from one process (events do not cross processes)")
    if min(args.messages, math.floor(PER / args.interval) + 1) > RATE - 2:
        parser.error(f"a customer may send {RATE} frames per {PER:g} s: slow --interval down")
    if args.sessions < 1 or args.messages < 1 or args.agent_rate <= 0:
        parser.error("--sessions, --messages and --agent-rate must be positive")
    if args.agent_messages is None:
        args.agent_messages = args.sessions
    threads = args.threads or 2 * args.sessions + 100
    with served(args.db, args.workers, threads) as service:
        echo = run_echo(args, threads)
        agent = sign_in_agent(service)
        chat = asyncio.run(chat_scenario(service, agent, args))
    faults = report(args, threads, echo, chat)
    sys.exit(1 if faults else 0)


if __name__ == "__main__":
    main()
