"""For whoever runs the service: health, readiness and metrics.

/healthz answers as long as the process serves (no database: the bare endpoint the
benchmarks compare with); /readyz checks what a request needs (the database, each tenant's
search index, where files are stored) and names what is missing; /metrics gives Prometheus
the counters of every serving process, to holders of METRICS_TOKEN only.
"""

from __future__ import annotations

import hmac
import logging
import time

from flask import Blueprint, Flask, Response, g, jsonify, request
from sqlalchemy import text
from werkzeug.exceptions import NotFound as HttpNotFound

from intake.extensions import limiter
from intake.files import FolderStore
from intake.kb.search import searchable
from intake.metrics import LATENCY, REQUESTS, exposition
from intake.state import state

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    """Answer without touching the database: the bare endpoint the benchmark compares with."""
    return Response("ok\n", mimetype="text/plain")


def _database() -> str:
    try:
        with state().db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 (any failure means not ready; the log says why)
        log.warning("readiness: the database is unreachable", exc_info=True)
        return "unreachable"
    return "ok"


def _search_indexes() -> str:
    build = state().config.build_dir
    missing = [t.id for t in state().site.tenants if not searchable(t.id, build)]
    return f"no search index for {', '.join(missing)}: run kbgen build" if missing else "ok"


def _file_storage() -> str:
    files = state().files
    problem = files.unusable(max_age=10.0) if isinstance(files, FolderStore) else None
    if problem:  # the path in the log only: the probe's answer is public
        log.warning("readiness: UPLOAD_DIR %s cannot hold files: %s", state().config.upload_dir,
                    problem)  # fmt: skip
        return f"UPLOAD_DIR cannot hold files: {problem}"
    return "ok"


def _rate_limit_storage() -> str:
    try:
        reachable = bool(limiter.storage.check())
    except Exception:  # noqa: BLE001 (whatever the storage's client raises: it is down)
        reachable = False
    return "ok" if reachable else "unreachable: each process counts limits on its own"


def _background() -> str | None:
    """Whether this process runs its background work (mail, chats' presence, jobs): gunicorn
    started without intake.serving's hooks serves pages but never sends a mail. None where
    nothing starts it (Flask's development server, a test's client)."""
    if state().background.runner.running:
        return "ok"
    if request.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        return "not started: run intake serve, or gunicorn with -c python:intake.serving"
    return None


@bp.route("/readyz", methods=["GET"])
def readyz() -> tuple[Response, int]:
    """Say whether this process can serve requests now, naming each check; 503 if not."""
    checks = {"database": _database(), "search_index": _search_indexes(),
              "file_storage": _file_storage()}  # fmt: skip
    if (background := _background()) is not None:
        checks["background"] = background
    ready = all(result == "ok" for result in checks.values())
    # Said, but no reason to stop serving: without it, limits count in each process.
    checks["rate_limits"] = _rate_limit_storage()
    answer = jsonify({"status": "ready" if ready else "not ready", "checks": checks})
    answer.headers["Cache-Control"] = "no-store"
    return answer, 200 if ready else 503


@bp.route("/metrics", methods=["GET"])
def metrics() -> Response:
    """Prometheus's text format; without METRICS_TOKEN set, or with another token, 404."""
    expected = state().config.metrics_token
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    sent = sent.strip() if scheme.lower() == "bearer" else ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HttpNotFound()
    return Response(exposition(state().db), mimetype="text/plain; version=0.0.4")


def _started() -> None:
    g.metrics_started = time.perf_counter()


# Labels come from a fixed set: a client's made-up method must not add series without end.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _answered(response: Response) -> Response:
    endpoint = request.endpoint or "unmatched"  # never the path: it holds tokens
    method = request.method if request.method in METHODS else "other"
    started = g.pop("metrics_started", None)
    if started is not None:
        LATENCY.labels(method, endpoint).observe(time.perf_counter() - started)
    REQUESTS.labels(method, endpoint, str(response.status_code)).inc()
    return response


def init_app(app: Flask) -> None:
    """Count and time every request, those refused by a limit or CSRF too; add the routes."""
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_answered)
    app.register_blueprint(bp)
