"""Domain errors become HTTP answers in one place: the API's JSON shape, or the site's look."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from intake.errors import (
    Conflict,
    IntakeError,
    InvalidInput,
    NotFound,
    TooMany,
    Unauthorized,
)
from intake.extensions import limiter
from intake.web.error_handlers import status_of

CASES = [
    (InvalidInput("subject: too short.", "subject"), 400, "subject"),
    (Unauthorized("Send the token.", "Authorization"), 401, "Authorization"),
    (NotFound(), 404, None),
    (Conflict("This ticket is closed.", "body"), 409, "body"),
    (TooMany("Wait a minute.", retry_after=60), 429, None),
]


@pytest.fixture
def raising_app(app: Flask) -> Flask:
    """Add routes that raise each domain error, in the API and on a tenant page."""
    for index, (error, _status, _field) in enumerate(CASES):

        def raise_it(exc: IntakeError = error, **_kw: str) -> str:
            raise exc

        app.add_url_rule(f"/api/v1/raise/{index}", f"api_raise_{index}", raise_it)
        app.add_url_rule(f"/raise/{index}", f"page_raise_{index}", raise_it)
    return app


@pytest.mark.parametrize(("index", "case"), list(enumerate(CASES)))
def test_each_domain_error_has_its_status_and_shape(
    raising_app: Flask, index: int, case: tuple[IntakeError, int, str | None]
) -> None:
    error, status, field = case
    assert status_of(error) == status
    client = raising_app.test_client()
    api = client.get(f"/api/v1/raise/{index}")
    assert api.status_code == status
    assert api.get_json() == {"error": {"message": error.message, "field": field}}
    page = client.get(f"/raise/{index}")
    assert page.status_code == status and "text/html" in page.content_type
    # A page in the help center's look, even where the path names no tenant; a missing page
    # says so in the help center's words.
    said = "We couldn't find that page" if status == 404 else error.message.replace("'", "&#39;")
    assert said in page.get_data(as_text=True)
    assert 'class="site-header"' in page.get_data(as_text=True)
    if isinstance(error, TooMany):
        assert api.headers["Retry-After"] == "60" == page.headers["Retry-After"]


def test_an_error_of_no_known_kind_is_a_500_that_hides_its_detail(raising_app: Flask) -> None:
    def broken() -> str:
        raise IntakeError("internal detail")

    raising_app.add_url_rule("/api/v1/raise/base", "base", broken)
    answer = raising_app.test_client().get("/api/v1/raise/base")
    assert answer.status_code == 500 and "internal detail" not in answer.get_data(as_text=True)


def test_a_database_out_of_reach_is_a_503_to_retry_and_one_line_in_the_log(
    raising_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    def unreachable() -> str:  # what psycopg raises while PostgreSQL restarts
        raise OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))

    def locked() -> str:  # SQLite's writer busy past its timeout
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    def missing() -> str:  # a fault, not an outage: no retry will help
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    def deadlock() -> str:  # a fault of PostgreSQL's (an OperationalError too)
        raise OperationalError("UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock"))

    for name, view in (("unreachable", unreachable), ("locked", locked), ("missing", missing),
                       ("deadlock", deadlock)):  # fmt: skip
        raising_app.add_url_rule(f"/api/v1/raise/{name}", name, view)
    # On a call with a rate limit too, whose limiter writes its own window into Retry-After.
    raising_app.add_url_rule("/api/v1/raise/limited", "limited",
                             limiter.limit("120 per minute")(unreachable))  # fmt: skip
    client = raising_app.test_client()
    for name in ("unreachable", "locked", "limited"):
        answer = client.get(f"/api/v1/raise/{name}")
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "30", name
        assert "cannot reach its database" in answer.get_json()["error"]["message"]
    assert [r.exc_info for r in caplog.records if "database unavailable" in r.getMessage()] == [
        None, None, None]  # fmt: skip
    assert client.get("/api/v1/raise/missing").status_code == 500
    assert client.get("/api/v1/raise/deadlock").status_code == 500
