"""How `intake serve` runs the app: gunicorn, and the hooks that own background work.

gunicorn loads this module as its configuration (`-c python:intake.serving`): each worker
process starts its job runner once it has loaded the app, and on the way out stops it, drains
the ticket writer and closes the event listener (those two start on first use), so only
serving processes ever run jobs.

Worker model: gunicorn's threaded worker, with enough threads for the long-lived connections
(server-sent events, WebSockets) a process holds beside its ordinary requests; every thread
blocks in C (socket reads, SQLite, PostgreSQL) without holding the GIL, so an idle
connection costs a thread's memory, not CPU. `python -m bench.serving` measures it.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import Any

log = logging.getLogger(__name__)


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    """Return the gunicorn command line that runs the app factory."""
    return [
        sys.executable, "-m", "gunicorn",
        "--config", "python:intake.serving",
        "--no-control-socket",
        "--worker-class", "gthread",
        "--workers", str(workers),
        "--threads", str(threads),
        # Open connections a process accepts (idle keep-alive ones included): beyond it,
        # gthread stops accepting and drops keep-alive.
        "--worker-connections", str(max(1000, 2 * threads)),
        "--bind", f"{host}:{port}",
        "--access-logfile", "-",
        "--logger-class", "intake.web.accesslog.RedactingLogger",  # no ticket tokens in logs
        "--graceful-timeout", "10",
        "--timeout", "60",
        "--keep-alive", "5",
        "intake:create_app()",
    ]  # fmt: skip


def post_worker_init(worker: Any) -> None:
    """gunicorn hook: start this worker's background work, then freeze what loading made."""
    from intake.state import state
    from intake.web.held import limit_held

    state(worker.wsgi).background.start()
    limit_held(worker.wsgi, int(worker.cfg.threads))
    # The modules and the app live as long as the worker. Out of the collector's sight, a
    # full collection (every thread waits for it) scans only what requests made: a few
    # milliseconds, where ~150,000 objects of start-up took ~100 ms at each full collection.
    gc.freeze()


def child_exit(_server: Any, worker: Any) -> None:
    """gunicorn hook (in the master): drop a gone worker's live gauges from /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def worker_exit(_server: Any, worker: Any) -> None:
    """gunicorn hook: stop this worker's background work (drains the ticket writer)."""
    app = getattr(worker, "wsgi", None)
    if app is None:
        return
    from intake.state import state

    try:
        state(app).background.stop()
    except Exception:  # noqa: BLE001 (a worker on its way out must still exit)
        log.exception("background work did not stop cleanly")
