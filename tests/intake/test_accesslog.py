"""gunicorn's access log never holds a ticket's private token."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from gunicorn.config import Config  # type: ignore[import-untyped]

from intake.serving import gunicorn_command
from intake.web.accesslog import RedactingLogger, redact

TOKEN = "k3Q9zT0pXr5-Wm2_bVd8sLf4Hn1Jc6Ye7Ua0Ri9Oq3E"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/eur/tickets/EUR-10001/{TOKEN}", "/eur/tickets/EUR-10001/[token]"),
        (f"/eur/tickets/EUR-10001/{TOKEN}/replies", "/eur/tickets/EUR-10001/[token]/replies"),
        (f"/eur/tickets/EUR-1/{TOKEN}?created=1", "/eur/tickets/EUR-1/[token]?created=1"),
        (f"/eur/tickets%2FEUR-1%2F{TOKEN}", "/eur/tickets/EUR-1/[token]"),
        ("/eur/tickets/new", "/eur/tickets/new"),
        ("/eur/tickets/suggestions/opened", "/eur/tickets/suggestions/opened"),
        ("/api/v1/eur/tickets/EUR-1", "/api/v1/eur/tickets/EUR-1"),
        ("/api/v1/eur/tickets/EUR-1/replies", "/api/v1/eur/tickets/EUR-1/replies"),
        ("/desk/eur/tickets/EUR-1/stream", "/desk/eur/tickets/EUR-1/stream"),
        (f"GET /eur/tickets/EUR-1/{TOKEN} HTTP/1.1", "GET /eur/tickets/EUR-1/[token] HTTP/1.1"),
        (
            f"https://help.example/eur/tickets/EUR-1/{TOKEN}",
            "https://help.example/eur/tickets/EUR-1/[token]",
        ),
        # What a customer typed, often their name or address, outlives no erasure in a log.
        ("/eur/tickets/search?q=%C3%89mile+Zola", "/eur/tickets/search?q=[words]"),
        (
            "/api/v1/eur/kb/search?limit=5&q=ada@example.com",
            "/api/v1/eur/kb/search?limit=5&q=[words]",
        ),
        (
            "GET /desk/eur/?status=open&q=ada%40example.com&page=2 HTTP/1.1",
            "GET /desk/eur/?status=open&q=[words]&page=2 HTTP/1.1",
        ),
        # An apostrophe is not encoded by browsers; a name's letters may be.
        (
            "/eur/tickets/suggestions?q=Can't%20log%20in%20as%20o'brien%40example.com",
            "/eur/tickets/suggestions?q=[words]",
        ),
        ("/eur/tickets/search?%71=jane%40example.com", "/eur/tickets/search?q=[words]"),
        ("/desk/eur/tickets/EUR-1?kbq=ada%40example.com", "/desk/eur/tickets/EUR-1?kbq=[words]"),
        (f"GET //eur/tickets//EUR-1/{TOKEN} HTTP/1.1", "GET //eur/tickets//EUR-1/[token] HTTP/1.1"),
        # A token a client put in the query string, where none belongs, is no less a secret.
        (f"/api/v1/eur/tickets/EUR-1?token={TOKEN}", "/api/v1/eur/tickets/EUR-1?token=[token]"),
        (f"/chat/eur/sessions/3?x=1&Access_Token={TOKEN}&y=2",
         "/chat/eur/sessions/3?x=1&Access_Token=[token]&y=2"),
    ],
)  # fmt: skip
def test_tokens_in_paths_are_redacted(path: str, logged: str) -> None:
    assert redact(path) == logged


def test_the_access_log_line_has_no_token(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set(
        "access_log_format",
        '%(h)s "%(r)s" %(s)s %(U)s "%(f)s" %({raw_uri}e)s %({authorization}i)s',
    )
    logger = RedactingLogger(cfg)
    path = f"/eur/tickets/EUR-10001/{TOKEN}/attachments/3"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_REFERER": f"http://desk.test/eur/tickets/EUR-10001/{TOKEN}",
    }
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {TOKEN}")])
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    monkeypatch.setattr(logger.access_log, "propagate", True)  # so that caplog sees it
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logger.access(response, request, environ, dt.timedelta(milliseconds=5))
    (line,) = [r.getMessage() for r in caplog.records if r.name == "gunicorn.access"]
    assert TOKEN not in line
    assert "/eur/tickets/EUR-10001/[token]/attachments/3" in line and "[redacted]" in line


def test_serve_runs_gunicorn_with_the_redacting_logger() -> None:
    command = gunicorn_command("127.0.0.1", 8000, 2, 4)
    assert command[command.index("--logger-class") + 1] == "intake.web.accesslog.RedactingLogger"
