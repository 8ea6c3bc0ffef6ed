"""`intake serve`: the service (and the built site) under gunicorn."""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from intake.config import IntakeConfig, child_environment
from intake.errors import ConfigError
from intake.files import FolderStore
from intake.kb.mirror import sync_all
from intake.mail.mailbox import mailbox_folder
from intake.metrics import MULTIPROCESS_DIR
from intake.serving import gunicorn_command
from intake.state import state

WORKERS = "processes (default 1; more than one needs PostgreSQL and Redis)"
THREADS = "requests and open connections each process serves at once (default 100)"
ONE_PROCESS = "use --threads for more requests at once, or PostgreSQL for more processes"


def metrics_folder(config: IntakeConfig) -> Path:
    """Remove an earlier run's metric files from the folder the processes about to start
    share (they would add dead processes' counts to the new ones); return the folder.

    Only prometheus_client's own `*.db` files go: a folder that holds anything else is
    refused rather than emptied.
    """
    folder = Path(os.environ.get(MULTIPROCESS_DIR) or config.instance_dir / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    others = [p.name for p in folder.iterdir() if p.suffix != ".db" or not p.is_file()]
    if others:
        raise ConfigError(f"{MULTIPROCESS_DIR}: {folder} holds other files ({others[0]}, …);"
                          " give the metrics a folder of their own")  # fmt: skip
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)
    return folder


def check_workers(config: IntakeConfig, workers: int) -> None:
    """Refuse a process count the deployment cannot keep correct, naming what to change."""
    if workers > 1 and config.is_sqlite:
        raise ConfigError(
            f"--workers: SQLite serves from one process, not {workers}; {ONE_PROCESS}"
        )
    if workers > 1 and config.ratelimit_storage_uri.startswith("memory://"):
        per_process = f"memory:// counts per process, so {workers} processes multiply each limit"
        raise ConfigError(f"RATELIMIT_STORAGE_URI: {per_process}; set it to redis://HOST:PORT")


def check_port(host: str, port: int) -> None:
    """Refuse a port something else listens on, before a word of "Serving on": bound as
    gunicorn binds it (the first address the name gives; "::" both IPv6 and IPv4)."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as exc:
        raise ConfigError(f"--host: {host!r} is no address of this machine"
                          f" ({exc.strerror})") from None  # fmt: skip
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"--port: port {port} of {host} is in use: stop what serves"
                              " there, or choose another") from None  # fmt: skip
        raise ConfigError(f"--host: cannot listen on {host}:{port} ({exc.strerror})") from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, type=click.IntRange(1, 64), help=WORKERS)
@click.option("--threads", default=100, type=click.IntRange(1, 4000), help=THREADS)
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the service (and the built site) with gunicorn's threaded workers."""
    current = state()
    check_workers(current.config, workers)
    if isinstance(current.files, FolderStore) and (problem := current.files.unusable()):
        raise ConfigError(f"UPLOAD_DIR: {current.config.upload_dir} cannot hold files"
                          f" ({problem}); customers' files could not be kept")  # fmt: skip
    check_port(host, port)
    tenants = [t.id for t in current.site.tenants]
    for tenant_id, report in sync_all(current.db, tenants, current.config.build_dir).items():
        click.echo(f"Knowledge base {tenant_id}: {report}")
    cmd = gunicorn_command(host, port, workers, threads)
    click.echo(f"Serving on http://{host}:{port}/ with {workers} process(es) (Ctrl-C stops)")
    # The mirror was synced by this process; workers need not race to redo it.
    settings = {"KB_SYNC_ON_START": "0", "HELPCENTER_ROOT": str(current.config.root),
                MULTIPROCESS_DIR: str(metrics_folder(current.config))}  # fmt: skip
    if not current.config.public_url_set:
        # Links in mails and answers point where this server listens, not at a default port.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        shown = f"[{shown}]" if ":" in shown else shown  # an IPv6 address in a URL
        settings["PUBLIC_URL"] = f"http://{shown}:{port}"
        click.echo(f"PUBLIC_URL is not set: links will use {settings['PUBLIC_URL']}")
    if not current.config.smtp_host:
        click.echo(f"SMTP_HOST is not set: mail is written to {mailbox_folder(current.config)}")
    env = child_environment(settings)
    sys.stdout.flush()
    # Become gunicorn, so that signals (Ctrl-C, a supervisor's TERM) reach it directly.
    os.execve(cmd[0], cmd, env)
