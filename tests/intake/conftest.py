"""Fixtures for the intake service: an app on a fresh database, a client, a mail server."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits.errors import StorageError

from intake import create_app
from intake.extensions import limiter
from intake.state import state
from scripts.imapserver import ImapServer
from scripts.pgserver import free_port
from scripts.redisserver import RedisServer
from tests.intake.fixtures import DatabaseFactory

SECRET = "test-secret-key-0123456789"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def make_env(kb_root: Path, database_url: str, uploads: Path, **extra: str) -> dict[str, str]:
    """Return the environment variables of a test app."""
    env = {
        "HELPCENTER_ROOT": str(kb_root),
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "UPLOAD_DIR": str(uploads),
        "PUBLIC_URL": "http://desk.test",
        "TICKET_RATE_LIMIT": "1000 per minute",
        "REPLY_RATE_LIMIT": "1000 per minute",
        "MAIL_FROM": "support@desk.test",
        "MAX_ATTACHMENT_KB": "64",
        "MAX_ATTACHMENTS": "3",
    }
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with argon2-cffi's profile for tests (the same algorithm, a fraction of the cost).

    The service keeps RFC 9106's parameters; tests sign in hundreds of times.
    """
    from argon2 import PasswordHasher, profiles

    from intake.agents import passwords

    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    dummy = cheap.hash("not a password of anyone")
    monkeypatch.setattr(passwords, "_dummy", lambda: dummy)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """Return the URL of a throw-away Redis server on loopback (shared rate-limit counters)."""
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.stop()


MAILBOXES = {"support@eur.example.com": "eur-mail-pass", "support@km.example.com": "km-mail-pass"}


@pytest.fixture(scope="session")
def imap_server() -> Iterator[tuple[str, int]]:
    """Return host and port of a throw-away Dovecot on loopback with the MAILBOXES."""
    server = ImapServer(MAILBOXES)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def make_app(
    intake_db: DatabaseFactory, kb_root: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Flask]]:
    """Return a factory of apps on one fresh database (keyword arguments are env overrides)."""
    url = intake_db.new(request.node.name)
    apps: list[Flask] = []

    def make(**extra: str) -> Flask:
        app = create_app(make_env(kb_root, url, tmp_path / "uploads", **extra))
        app.config["TESTING"] = True
        with contextlib.suppress(StorageError):  # a storage that is down holds no counts
            limiter.reset()  # the limiter's memory is shared by the apps of one process
        apps.append(app)
        return app

    yield make
    for app in apps:
        state(app).close()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """Return the service on a fresh database with the sample help center synced."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of the app."""
    return app.test_client()


def form_fields(html: str) -> dict[str, str]:
    """Return the hidden fields (CSRF token, visit id) of the first form on a page."""
    return dict(
        re.findall(
            r'<input id="(csrf_token|visit_id)" name="\1" type="hidden" value="([^"]*)"', html
        )
    )


def ticket_form(**overrides: Any) -> dict[str, Any]:
    """Return a valid ticket form submission with `overrides`."""
    data: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "subject": "Cannot export my invoices",
        "description": "The export button spins forever since Monday.",
        "category": "billing",
        "priority": "high",
    }
    data.update(overrides)
    return data


def post_ticket(client: FlaskClient, tenant: str = "eur", **overrides: Any) -> Any:
    """Open the form like a browser, then send it; return the response (not followed)."""
    page = client.get(f"/{tenant}/tickets/new")
    fields = form_fields(page.get_data(as_text=True))
    return client.post(
        f"/{tenant}/tickets/new",
        data={**fields, **ticket_form(**overrides)},
        content_type="multipart/form-data",
    )


def api_ticket(client: FlaskClient, tenant: str = "eur", **overrides: Any) -> dict[str, Any]:
    """Create a ticket through the API and return its JSON answer."""
    body = ticket_form(**overrides)
    response = client.post(f"/api/v1/{tenant}/tickets", json=body)
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def json_of(response: Any) -> dict[str, Any]:
    """Return a response's JSON body (an object)."""
    body = response.get_json()
    assert isinstance(body, dict), response.get_data(as_text=True)
    return body


@dataclass
class Mailbox:
    """What the test SMTP server received."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.box.messages.append(message_from_bytes(envelope.content))
        self.box.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    """Run an SMTP server (aiosmtpd) on a free loopback port for one test."""
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())
    controller = Controller(_Handler(box), hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()
