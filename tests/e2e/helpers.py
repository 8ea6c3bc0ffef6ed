"""What the browser tests of the service share: serving the app, accounts, signing in to the
desk, tickets through the API or the form, console errors, waiting for a page's event stream,
and a real PNG."""

from __future__ import annotations

import contextlib
import json
import struct
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from playwright.sync_api import Page, Response, expect

from intake import create_app
from intake.agents.accounts import NewAgent, create_agent
from intake.extensions import limiter
from intake.models import AgentRole
from intake.state import state
from tests.live_server import serving

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Service:
    """The intake app and the address it is served at."""

    app: Flask
    url: str


@contextlib.contextmanager
def serve_intake(
    database_url: str, kb_root: Path, uploads: Path, **extra: str
) -> Iterator[Service]:
    """Serve the service (and the built sample site) on a free loopback port, threaded
    (`extra`: more environment variables).

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
            "REPLY_RATE_LIMIT": "1000 per minute",
            **extra,
        }
    )
    limiter.reset()  # the limiter's memory is shared by the apps of one process
    state(app).presence.watch(tuple(t.id for t in state(app).site.tenants))  # as serving does
    try:
        with serving(app) as url:
            yield Service(app, url)
    finally:
        state(app).close()


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


def api_reply(base_url: str, reference: str, token: str, body: str, tenant: str = "eur") -> None:
    """Add the customer's reply through the JSON API, as their app would."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/{tenant}/tickets/{reference}/replies",
        data=json.dumps({"body": body}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201


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


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Return a real PNG of one colour (the browser decodes it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))  # fmt: skip


def fill_ticket(page: Page, email_address: str, subject: str = "Invoices are missing") -> None:
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email").fill(email_address)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Describe the problem").fill("The November invoice is not in the list.")
    page.get_by_label("Category").select_option("billing")
