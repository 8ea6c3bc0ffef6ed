"""Chat across processes: a customer on one gunicorn process, an agent on another, talking
through PostgreSQL; a process killed and restarted loses no message."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from intake.cli.serving import check_workers
from intake.errors import ConfigError
from intake.state import state
from scripts.pgserver import free_port
from tests.intake.chat import SITE
from tests.intake.conftest import make_env
from tests.intake.desk import PASSWORD, make_agent
from tests.intake.fixtures import DatabaseFactory

ENTRY = [sys.executable, "-c", "from intake.command import main; main()"]


def serve_env(kb_root: Path, database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return the environment of an `intake serve` of a test: its own uploads and metrics
    folders, the mirror already synced."""
    return {**make_env(kb_root, database_url, tmp_path / "uploads"), "PATH": os.environ["PATH"],
            "KB_SYNC_ON_START": "0", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            **extra}  # fmt: skip


@contextlib.contextmanager
def process(env: dict[str, str], port: int, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run `intake serve` on a port until it answers; stop it at the end."""
    command = [*ENTRY, "serve", "--port", str(port), "--threads", "20", *options]
    server = subprocess.Popen(command, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/chat/eur/status", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, "intake serve exited"
                assert time.monotonic() < deadline, "intake serve did not answer in 60 s"
                time.sleep(0.2)
        yield server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)


class Browser:
    """An agent's browser on one process: cookies, the page's CSRF token, JSON and forms."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect(),
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as answer:
            text: str = answer.read().decode()
            return text

    def post(self, path: str, form: dict[str, str] | None = None,
             body: dict[str, Any] | None = None, token: str = "") -> int:  # fmt: skip
        data = urllib.parse.urlencode(form).encode() if form is not None else json.dumps(
            body or {}).encode()  # fmt: skip
        kind = "application/x-www-form-urlencoded" if form is not None else "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers={
            "Content-Type": kind, "X-CSRFToken": token, "X-Requested-With": "fetch"})  # fmt: skip
        try:
            with self.opener.open(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as answer:
            return answer.code

    def sign_in(self, email: str) -> None:
        page = self.get("/desk/eur/login")
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert csrf
        form = {"csrf_token": csrf.group(1), "email": email, "password": PASSWORD, "next": ""}
        status = self.post("/desk/eur/login", form=form)
        assert status == 303

    def token(self, path: str) -> str:
        found = re.search(r'name="csrf-token" content="([^"]+)"', self.get(path))
        assert found
        return found.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # the test reads the 303 itself


def customer_open(base: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{base}/chat/eur/sessions", headers={
        "Content-Type": "application/json", "Origin": SITE},
        data=json.dumps({"name": "Ada", "email": "ada@example.com"}).encode())  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        opened = json.load(answer)
    return int(opened["session"]["id"]), str(opened["token"])


@contextlib.contextmanager
def socket_to(base: str, chat_id: int, token: str, after: int) -> Iterator[ClientConnection]:
    """Open the widget's socket on a process and say hello."""
    url = base.replace("http://", "ws://") + "/chat/eur/socket"
    with connect(url, origin=Origin(SITE), proxy=None, open_timeout=10, close_timeout=2) as ws:
        ws.send(json.dumps({"type": "hello", "session": chat_id, "token": token, "after": after}))
        assert json.loads(ws.recv(timeout=10))["type"] == "session"
        yield ws


def next_of(ws: ClientConnection, kind: str, timeout: float = 10) -> dict[str, Any]:
    """Return the next frame of a kind, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == kind:
            return frame


def test_a_customer_and_an_agent_on_two_processes_talk_through_postgresql(
    intake_db: DatabaseFactory, make_app: Any, kb_root: Path, tmp_path: Path
) -> None:
    app: Flask = make_app()
    config = state(app).config
    if intake_db.kind == "sqlite":
        # The embedded default serves from one process and refuses more.
        with pytest.raises(ConfigError, match="SQLite serves from one process"):
            check_workers(config, 2)
        return
    make_agent(app, "sam@example.com", name="Sam")
    env = serve_env(kb_root, config.database_url, tmp_path)
    port_a, port_b = free_port(), free_port()
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    with process(env, port_a) as first, process(env, port_b):
        agent = Browser(b)
        agent.sign_in("sam@example.com")
        page = "/desk/eur/chats"
        assert agent.post("/desk/eur/presence", body={"state": "online"},
                          token=agent.token(page)) == 204  # fmt: skip
        deadline = time.monotonic() + 10
        while json.load(urllib.request.urlopen(f"{a}/chat/eur/status", timeout=5)) != {
                "agents_online": True}:  # fmt: skip
            assert time.monotonic() < deadline, "process A never heard the agent is online"
            time.sleep(0.2)
        chat_id, token = customer_open(a)
        chat_page = f"/desk/eur/chats/{chat_id}"
        csrf = agent.token(chat_page)
        with socket_to(a, chat_id, token, 0) as ws:
            started = time.monotonic()
            assert agent.post(f"{chat_page}/messages", form={"text": "Hello from B"},
                              token=csrf) == 201  # fmt: skip
            assert next_of(ws, "message")["message"]["kind"] == "system"  # Sam joined
            said = next_of(ws, "message")["message"]
            assert said["text"] == "Hello from B" and time.monotonic() - started < 5
            assert agent.post(f"{chat_page}/typing", token=csrf) == 204
            assert next_of(ws, "typing")["name"] == "Sam"
            ws.send(json.dumps({"type": "message", "text": "Hello from A", "client_id": "a1"}))
            mine = next_of(ws, "message")["message"]
            seen = mine["id"]
        listed = json.loads(agent.get(f"{chat_page}/messages.json?after={said['id']}"))
        assert [m["text"] for m in listed["messages"]] == ["Hello from A"]
        with socket_to(a, chat_id, token, seen):
            # Process A (gunicorn's master and worker) dies with the customer's socket open.
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            for n in range(3):
                assert agent.post(f"{chat_page}/messages", form={
                    "text": f"While A was down {n}"}, token=csrf) == 201  # fmt: skip
        with process(env, port_a), socket_to(a, chat_id, token, seen) as again:
            caught_up = [next_of(again, "message")["message"]["text"] for _ in range(3)]
            assert caught_up == [f"While A was down {n}" for n in range(3)]
            assert agent.post(f"{chat_page}/messages", form={"text": "Back"}, token=csrf) == 201
            assert next_of(again, "message")["message"]["text"] == "Back"
