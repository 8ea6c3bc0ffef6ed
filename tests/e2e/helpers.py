"""What the browser tests of the service share: serving the app, accounts, signing in to the
desk, tickets through the API, console errors and waiting for a page's event stream."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from playwright.sync_api import Page, Response, expect
from werkzeug.serving import make_server

from intake import create_app
from intake.agents.accounts import NewAgent, create_agent
from intake.extensions import limiter
from intake.models import AgentRole
from intake.state import state
from intake.web import sse

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@dataclass(frozen=True)
class Service:
    """The intake app and the address it is served at."""

    app: Flask
    url: str


# Open event streams beat this often here (15 s in service), so a stream whose tab has closed
# finds out at once and the app can close after it: a stream outliving its app would open a
# database connection that nobody closes.
HEARTBEAT = 0.5  # seconds


class RequestThreads:
    """WSGI middleware that keeps the threads answering requests, to wait for them at the end.

    (Threads, not the response's close(): the development server skips that call when the
    client has reset the connection.)
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(threading.current_thread())
        return self.app(environ, start_response)

    def wait(self, timeout: float) -> list[str]:
        """Wait for every request to be answered; return the names of threads still busy."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in threads if t.is_alive()]


@contextlib.contextmanager
def serve_intake(database_url: str, kb_root: Path, uploads: Path) -> Iterator[Service]:
    """Serve the service (and the built sample site) on a free loopback port, threaded.

    Close the browser contexts before leaving: the app closes once its streams have ended.
    """
    app = create_app(
        {
            "HELPCENTER_ROOT": str(kb_root),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "e2e-secret-key-0123456789",
            "UPLOAD_DIR": str(uploads),
            # Every request comes from 127.0.0.1: the default would refuse the sixth ticket.
            "TICKET_RATE_LIMIT": "1000 per minute",
        }
    )
    limiter.reset()  # the limiter's memory is shared by the apps of one process
    requests = RequestThreads(app)
    server = make_server("127.0.0.1", 0, requests, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sse, "HEARTBEAT", HEARTBEAT)
        thread.start()
        try:
            yield Service(app, f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            busy = requests.wait(timeout=10 * HEARTBEAT)
            server.server_close()
            state(app).close()
    assert not busy, f"requests still answered by {busy}: close the browser contexts first"


PASSWORD = "correct horse battery staple"


def make_agent(
    app: Flask, email: str, name: str, role: AgentRole = AgentRole.agent, tenant: str = "eur"
) -> int:
    """Create an account with PASSWORD; return its id."""
    with state(app).db.write(tenant) as session:
        return create_agent(session, NewAgent(email, name, PASSWORD, role)).id


def sign_in(page: Page, base_url: str, email: str, tenant: str = "eur") -> None:
    """Sign in to the desk through its form (the account has no second factor)."""
    page.goto(f"{base_url}/desk/{tenant}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")


@dataclass(frozen=True)
class Created:
    """A ticket created through the API: its reference and the customer's private page."""

    reference: str
    token: str
    url: str


def api_ticket(base_url: str, subject: str, tenant: str = "eur", **fields: str) -> Created:
    """Create a ticket as a customer's app would, through the JSON API."""
    body = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "subject": subject,
        "description": "The export button spins forever since Monday.",
        "category": "billing",
        "priority": "high",
        **fields,
    }
    request = urllib.request.Request(
        f"{base_url}/api/v1/{tenant}/tickets",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201
        made = json.load(answer)
    reference, token = made["ticket"]["reference"], made["token"]
    return Created(reference, token, f"{base_url}/{tenant}/tickets/{reference}/{token}")


def console_errors(page: Page) -> list[str]:
    """Collect the page's console errors (a script error, anything the CSP blocked)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def is_event_stream(response: Response) -> bool:
    """Say whether a response is a server-sent event stream (its headers came: it listens)."""
    return response.headers.get("content-type", "").startswith("text/event-stream")


def open_live(page: Page, url: str, presence: bool = False) -> None:
    """Open a page and wait until its event stream listens (and, if asked, its presence is told).

    An event published before the stream subscribes never reaches the page.
    """
    with contextlib.ExitStack() as waits:
        waits.enter_context(page.expect_response(is_event_stream))
        if presence:
            waits.enter_context(page.expect_response(lambda r: r.url.endswith("/presence")))
        page.goto(url)
