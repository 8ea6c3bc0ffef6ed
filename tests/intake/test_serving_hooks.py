"""gunicorn's hooks in intake/serving.py, as a worker process calls them."""

from __future__ import annotations

import gc
from types import SimpleNamespace

from flask import Flask

from intake.serving import post_worker_init, worker_exit
from intake.state import state


def test_a_worker_starts_its_background_work_and_freezes_what_start_up_made(app: Flask) -> None:
    gc.unfreeze()
    worker = SimpleNamespace(wsgi=app, cfg=SimpleNamespace(threads=100))
    try:
        post_worker_init(worker)
        assert state(app).background.runner.running
        assert app.extensions["intake.held"].total == 75  # a quarter of the threads kept free
        # The modules and the app are out of the collector's sight: a full collection, which
        # holds every thread, no longer scans them.
        assert gc.get_freeze_count() > 50_000
    finally:
        gc.unfreeze()
        worker_exit(None, worker)
    assert not state(app).background.runner.running
