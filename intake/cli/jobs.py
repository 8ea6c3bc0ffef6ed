"""`intake jobs`: the deployment's background jobs, for a process of their own."""

from __future__ import annotations

import signal
import threading

import click
from flask.cli import with_appcontext

from intake.state import state


@click.group("jobs")
def group() -> None:
    """Run background jobs."""


@group.command("run")
@with_appcontext
def jobs_run() -> None:
    """Run the jobs in the foreground until interrupted (each where its lock is held)."""
    background = state().background
    names = ", ".join(job.name for job in background.runner.jobs)
    if not names:
        click.echo("No jobs are configured (the outbox sender needs an OUTBOX_INTERVAL above 0).")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    background.start()
    click.echo(f"Running jobs: {names} (Ctrl-C stops)")
    stop.wait()
    background.stop()
