"""The production layout as docs/deployment.md gives it: `intake serve` behind nginx with the
shipped deploy/nginx-intake.conf. Clients trickling their requests a byte at a time hold
nginx's connections, not the service's threads; chat sockets and event streams pass through."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from websockets.sync.client import connect
from websockets.typing import Origin

from intake.state import state
from scripts.nginxfront import fronted
from scripts.pgserver import free_port
from tests.intake.chat import SITE
from tests.intake.test_chat_processes import customer_open, process, serve_env

THREADS = 20  # the service's threads in these tests (`process` serves with --threads 20)
TRICKLERS = 2 * THREADS
TRICKLE_SECONDS = 6.0  # under nginx's client_header_timeout (10 s)
METRICS_TOKEN = "metrics-token-for-front-tests-0123456789"


@contextmanager
def tricklers(port: int, count: int) -> Iterator[None]:
    """Hold `count` connections that send a request's head one byte every 0.2 s."""
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 200
    stop = threading.Event()
    opened: list[socket.socket] = []

    def trickle() -> None:
        deadline = time.monotonic() + TRICKLE_SECONDS
        for index in range(len(head)):
            if stop.is_set() or time.monotonic() > deadline:
                return
            for conn in opened:
                try:
                    conn.send(head[index : index + 1])
                except OSError:
                    continue
            stop.wait(0.2)

    for _ in range(count):
        opened.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(1.0)  # every connection has started its request
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        for conn in opened:
            conn.close()


def healthy(port: int, timeout: float) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as answer:
        return int(answer.status)


@pytest.fixture
def served(make_app: Callable[..., Flask], kb_root: Path, tmp_path: Path) -> Iterator[int]:
    """`intake serve` (one process, THREADS threads) on a fresh database; yield its port."""
    config = state(make_app()).config
    env = serve_env(
        kb_root,
        config.database_url,
        tmp_path,
        TRUSTED_PROXIES="1",
        CHAT_ORIGINS=SITE,
        METRICS_TOKEN=METRICS_TOKEN,
    )
    port = free_port()
    with process(env, port):
        yield port


def test_slow_clients_hold_nginx_not_the_service(served: int, tmp_path: Path) -> None:
    with fronted(served, tmp_path / "nginx") as front:
        with tricklers(front, TRICKLERS):
            answers = [healthy(front, timeout=5) for _ in range(5)]
        assert answers == [200] * 5
        # Without the front, the same clients take every thread of the service.
        with tricklers(served, TRICKLERS), pytest.raises(TimeoutError):
            healthy(served, timeout=2)


def ticket_through(base: str, subject: str, description: str) -> dict[str, Any]:
    """Open a ticket through the API at `base`; return its JSON answer."""
    body = {"name": "Ada", "email": "ada@example.com", "subject": subject,
            "description": description, "category": "general"}  # fmt: skip
    request = urllib.request.Request(f"{base}/api/v1/eur/tickets", method="POST",
                                     headers={"Content-Type": "application/json"},
                                     data=json.dumps(body).encode())  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        created: dict[str, Any] = json.loads(answer.read())
    return created


def test_chat_sockets_and_event_streams_pass_through(served: int, tmp_path: Path) -> None:
    with fronted(served, tmp_path / "nginx") as front:
        base = f"http://127.0.0.1:{front}"
        chat_id, token = customer_open(base)
        url = f"ws://127.0.0.1:{front}/chat/eur/socket"
        with connect(url, origin=Origin(SITE), proxy=None, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "session": chat_id, "token": token, "after": 0}))
            assert json.loads(ws.recv(timeout=10))["type"] == "session"
            ws.send(json.dumps({"type": "message", "text": "Through the proxy", "client_id": "p1"}))
            for _ in range(10):
                frame = json.loads(ws.recv(timeout=10))
                if frame["type"] == "message":
                    break
            assert frame["message"]["text"] == "Through the proxy"
        created = ticket_through(base, "Via nginx", "Sent through the reverse proxy.")
        ticket = created["ticket"]["reference"]
        events = f"{base}/eur/tickets/{ticket}/{created['token']}/events"
        started = time.monotonic()
        with urllib.request.urlopen(events, timeout=10) as stream:  # first frame, unbuffered
            assert stream.readline().startswith(b"retry:")
        assert time.monotonic() - started < 5


def search_from(front: int, address: str, path: str) -> tuple[int, str | None, bytes]:
    """GET `path` through nginx from a loopback `address` of its own; return the status, the
    Retry-After header and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", front, timeout=10,
                                      source_address=(address, 0))  # fmt: skip
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.getheader("Retry-After"), answer.read()
    finally:
        conn.close()


def served_searches(port: int) -> dict[str, int]:
    """Return the service's own count of knowledge-base searches by status, from /metrics."""
    token = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=token)
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
    pattern = (r'intake_http_requests_total\{endpoint="api\.search_kb",method="GET",'
               r'status="(\d+)"\} (\S+)')  # fmt: skip
    return {status: int(float(count)) for status, count in re.findall(pattern, text)}


def test_nginx_paces_an_address_searching_back_to_back(served: int, tmp_path: Path) -> None:
    search = "/api/v1/eur/kb/search?q=refund"
    suggest = "/eur/tickets/suggestions?q=refund"
    with fronted(served, tmp_path / "nginx") as front:
        waited: list[float] = []

        def elsewhere() -> None:  # another address, while the first is held back
            time.sleep(0.6)
            started = time.monotonic()
            assert search_from(front, "127.0.0.3", search)[0] == 200
            waited.append(time.monotonic() - started)

        other = threading.Thread(target=elsewhere)
        other.start()
        started = time.monotonic()
        # The API's searches and the form's suggestions share the address's 4 a second.
        answers = [search_from(front, "127.0.0.2", (search, suggest)[n % 2]) for n in range(9)]
        took = time.monotonic() - started
        other.join()
    # Nothing was refused, by nginx or by the service: each search waited its turn, one every
    # 250 ms after the first (a refusal would let the client send its next search at once).
    assert [status for status, _, _ in answers] == [200] * 9
    assert took >= 8 * 0.25 - 0.05, took
    assert waited and waited[0] < 1.0, waited  # not queued behind the first (2 s of turns)
    assert served_searches(served) == {"200": 5 + 1}  # the API's 5 and the other address's


def test_nginx_refuses_searches_sent_at_once_beyond_the_limit(served: int,
                                                              tmp_path: Path) -> None:  # fmt: skip
    search = "/api/v1/eur/kb/search?q=refund"
    with fronted(served, tmp_path / "nginx") as front:
        gate = threading.Barrier(12)
        answers: list[tuple[int, str | None, bytes]] = []

        def send() -> None:
            gate.wait()
            answers.append(search_from(front, "127.0.0.4", search))

        threads = [threading.Thread(target=send) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = [status for status, _, _ in answers]
    passed = statuses.count(200)
    assert 4 <= passed <= 5, statuses  # one, 3 waiting, at most one more let in meanwhile
    assert set(statuses) == {200, 429}, statuses
    for status, retry_after, body in answers:
        if status == 429:
            assert retry_after == "1"
            assert json.loads(body)["error"]["message"].startswith("Too many requests")
    # The refusals were nginx's: the service saw only what nginx let through.
    assert served_searches(served) == {"200": passed}


def test_nginx_logs_no_ticket_token_and_no_typed_words(served: int, tmp_path: Path) -> None:
    with fronted(served, tmp_path / "nginx") as front:
        base = f"http://127.0.0.1:{front}"
        created = ticket_through(base, "Logged?", "What does the proxy write down?")
        ticket, token = created["ticket"]["reference"], created["token"]
        for path in (f"/eur/tickets/{ticket}/{token}", f"/eur/tickets/{ticket}/{token}/events",
                     f"/eur/tickets%2F{ticket}%2F{token}", f"//eur/tickets/{ticket}/{token}",
                     "/api/v1/eur/kb/search?q=ada%40example.com"):  # fmt: skip
            with urllib.request.urlopen(f"{base}{path}", timeout=10) as answer:
                assert answer.status == 200
                if path.endswith("/events"):
                    answer.readline()
                else:
                    answer.read()
    logged = (tmp_path / "nginx" / "access.log").read_text()  # written when nginx stops
    assert f"GET /eur/tickets/{ticket}/[token] HTTP/1.1" in logged
    assert f"GET /eur/tickets/{ticket}/[token]/events HTTP/1.1" in logged
    assert "GET /api/v1/eur/kb/search HTTP/1.1" in logged
    assert token not in logged and "ada" not in logged
