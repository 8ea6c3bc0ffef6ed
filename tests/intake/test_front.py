"""The production layout as docs/deployment.md gives it: `intake serve` behind nginx with the
shipped deploy/nginx-intake.conf. Clients trickling their requests a byte at a time hold
nginx's connections, not the service's threads; chat sockets and event streams pass through."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

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
    env = serve_env(kb_root, config.database_url, tmp_path, TRUSTED_PROXIES="1", CHAT_ORIGINS=SITE)
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
        created = json.loads(urllib.request.urlopen(urllib.request.Request(
            f"{base}/api/v1/eur/tickets", method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps({"name": "Ada", "email": "ada@example.com", "subject": "Via nginx",
                             "description": "Sent through the reverse proxy.",
                             "category": "general"}).encode()), timeout=10).read())  # fmt: skip
        ticket = created["ticket"]["reference"]
        events = f"{base}/eur/tickets/{ticket}/{created['token']}/events"
        started = time.monotonic()
        with urllib.request.urlopen(events, timeout=10) as stream:  # first frame, unbuffered
            assert stream.readline().startswith(b"retry:")
        assert time.monotonic() - started < 5
