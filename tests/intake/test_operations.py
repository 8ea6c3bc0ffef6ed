"""What operators watch: readiness naming what is missing, and Prometheus metrics that count
every request, open connection, mail backlog and waiting chat, summed over the processes of
`intake serve`, to holders of the metrics token only."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from intake.cli.serving import metrics_folder
from intake.errors import ConfigError
from intake.state import state
from scripts.pgserver import free_port
from tests.intake.chat import Customer
from tests.intake.conftest import api_ticket, ticket_form
from tests.intake.test_chat_processes import process, serve_env

TOKEN = "metrics-token-for-tests-0123456789"


def value(text: str, name: str, **labels: str) -> float:
    """Return one sample of Prometheus's text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, number = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', head))
        if head.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(number)
    return 0.0


def test_ready_when_the_database_the_indexes_and_the_files_are(
    make_app: Callable[..., Flask],
) -> None:
    answer = make_app().test_client().get("/readyz")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.get_json() == {"status": "ready", "checks": {
        "database": "ok", "search_index": "ok", "file_storage": "ok",
        "rate_limits": "ok"}}  # fmt: skip


def test_not_ready_names_what_is_missing(
    make_app: Callable[..., Flask], kb_root: Path, tmp_path: Path
) -> None:
    build = tmp_path / "build"
    shutil.copytree(kb_root / "build", build)
    shutil.rmtree(build / "km" / "index")
    app = make_app(KB_BUILD_DIR=str(build), UPLOAD_DIR="/dev/null/uploads",
                   KB_SYNC_ON_START="0")  # fmt: skip
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    checks = answer.get_json()["checks"]
    assert checks["search_index"] == "no search index for km: run kbgen build"
    assert checks["file_storage"] == "UPLOAD_DIR cannot hold files: Not a directory"
    assert "/dev/null" not in answer.get_data(as_text=True)
    assert checks["database"] == "ok" and answer.get_json()["status"] == "not ready"


def test_metrics_only_for_the_token(make_app: Callable[..., Flask]) -> None:
    closed = make_app().test_client()
    assert closed.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_metrics_count_requests_backlogs_and_waiting_chats(make_app: Callable[..., Flask]) -> None:
    app = make_app(METRICS_TOKEN=TOKEN)
    client = app.test_client()

    def scrape() -> str:
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.mimetype == "text/plain"
        return answer.get_data(as_text=True)

    before = scrape()
    created = api_ticket(client)
    Customer(app.test_client())  # opens a chat nobody has joined
    client.get(f"/eur/tickets/{created['ticket']['reference']}/wrong-token")
    after = scrape()
    made = {"method": "POST", "endpoint": "api.create", "status": "201"}
    assert value(after, "intake_http_requests_total", **made) == value(
        before, "intake_http_requests_total", **made) + 1  # fmt: skip
    shown = {"method": "GET", "endpoint": "portal.show", "status": "404"}
    assert value(after, "intake_http_requests_total", **shown) >= 1
    assert "wrong-token" not in after  # routes, never paths: they hold tokens
    assert value(after, "intake_http_request_duration_seconds_count", method="POST",
                 endpoint="api.create") >= 1  # fmt: skip
    assert value(after, "intake_outbox_messages", status="pending") >= 1  # the confirmation
    assert value(after, "intake_chats_waiting") == 1
    stream = client.get(f"/eur/tickets/{created['ticket']['reference']}/{created['token']}"
                        "/events", buffered=False)  # fmt: skip
    assert value(scrape(), "intake_open_connections") == value(after, "intake_open_connections") + 1
    stream.close()
    assert value(scrape(), "intake_open_connections") == value(after, "intake_open_connections")


def test_metrics_sum_the_processes_of_intake_serve(
    make_app: Callable[..., Flask], kb_root: Path, tmp_path: Path, redis_url: str
) -> None:
    config = state(make_app()).config
    workers = "1" if config.is_sqlite else "2"  # SQLite serves from one process
    env = serve_env(kb_root, config.database_url, tmp_path, METRICS_TOKEN=TOKEN,
                    RATELIMIT_STORAGE_URI=redis_url)  # fmt: skip
    port = free_port()
    with process(env, port, "--workers", workers):
        base = f"http://127.0.0.1:{port}"
        for _ in range(30):  # each on a new connection, as the kernel hands them out
            with urllib.request.urlopen(f"{base}/healthz", timeout=10) as answer:
                assert answer.status == 200
        request = urllib.request.Request(f"{base}/metrics",
                                         headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read().decode()
    healthz = {"method": "GET", "endpoint": "ops.healthz", "status": "200"}
    assert value(text, "intake_http_requests_total", **healthz) == 30


def test_requests_refused_by_a_limit_are_counted(make_app: Callable[..., Flask]) -> None:
    client = make_app(METRICS_TOKEN=TOKEN, TICKET_RATE_LIMIT="1 per minute").test_client()

    def refused() -> float:  # the counters are this process's: other tests' count too
        text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(True)
        limited = {"method": "POST", "endpoint": "api.create", "status": "429"}
        return value(text, "intake_http_requests_total", **limited)

    before = refused()
    codes = [client.post("/api/v1/eur/tickets", json=ticket_form()).status_code for _ in range(2)]
    assert codes == [201, 429]
    assert refused() == before + 1


def test_links_use_the_address_intake_serve_listens_on(
    make_app: Callable[..., Flask], kb_root: Path, tmp_path: Path
) -> None:
    config = state(make_app()).config
    env = serve_env(kb_root, config.database_url, tmp_path)
    del env["PUBLIC_URL"]
    port = free_port()
    with process(env, port):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/eur/tickets", method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps(ticket_form()).encode())  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:
            created = json.load(answer)
    assert created["url"].startswith(f"http://127.0.0.1:{port}/eur/tickets/")


def test_made_up_methods_add_no_series_to_the_metrics(make_app: Callable[..., Flask]) -> None:
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    for n in range(20):
        client.open("/healthz", method=f"ZZ{n}X")
    text = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).get_data(True)
    assert "ZZ" not in text and value(text, "intake_http_requests_total", method="other") >= 20


def test_the_metrics_folder_is_refused_when_it_holds_other_files(
    make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = state(make_app()).config
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "gauge_livesum_1.db").write_bytes(b"old")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    assert metrics_folder(config) == folder and not list(folder.iterdir())  # stale files go
    (folder / "notes.txt").write_text("an operator's file")
    with pytest.raises(ConfigError, match="holds other files"):
        metrics_folder(config)
    assert (folder / "notes.txt").read_text() == "an operator's file"


def _readiness(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return int(answer.status), json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_a_process_started_without_the_services_hooks_is_not_ready(
    make_app: Callable[..., Flask], kb_root: Path, tmp_path: Path
) -> None:
    """gunicorn run on the app alone serves pages but starts no background work (no mail would
    ever leave): its readiness says so and how to start it; `intake serve`'s is ready."""
    env = serve_env(kb_root, state(make_app()).config.database_url, tmp_path)
    port = free_port()
    with process(env, port):
        status, body = _readiness(port)
    assert status == 200 and body["checks"]["background"] == "ok"
    port = free_port()
    bare = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "intake:create_app()"]
    server = subprocess.Popen(bare, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _readiness(port)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn died"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(20)
    assert status == 503 and body["status"] == "not ready"
    assert body["checks"]["background"] == (
        "not started: run intake serve, or gunicorn with -c python:intake.serving"
    )
