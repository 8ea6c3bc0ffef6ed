"""nginx on loopback in front of a service, with the shipped deploy/nginx-intake.conf: the
production layout docs/deployment.md gives, for the tests and benchmarks (Debian's nginx;
the Makefile installs it)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from scripts.pgserver import free_port

SHIPPED = Path(__file__).resolve().parent.parent / "deploy" / "nginx-intake.conf"


ACCESS_LOG = "/var/log/nginx/intake.access.log"
ERROR_LOG = "/var/log/nginx/intake.error.log"


def site_conf(service_port: int, port: int, folder: Path) -> str:
    """Return the shipped file with the addresses an operator would set, its access log in
    `folder`."""
    text = SHIPPED.read_text()
    needed = ("server 127.0.0.1:8000;", "listen 80;", ACCESS_LOG, ERROR_LOG)
    if any(part not in text for part in needed):
        raise RuntimeError(f"{SHIPPED} no longer has the addresses this helper changes")
    return (text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{service_port};")
            .replace("listen 80;", f"listen 127.0.0.1:{port};")
            .replace(ACCESS_LOG, str(folder / "access.log"))
            .replace(ERROR_LOG, str(folder / "site-error.log")))  # fmt: skip


@contextlib.contextmanager
def fronted(service_port: int, folder: Path) -> Iterator[int]:
    """Run nginx with the shipped configuration before a service; yield nginx's port."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "intake.conf").write_text(site_conf(service_port, port, folder))
    temp = "\n".join(f"  {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    (folder / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\ndaemon off;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n  access_log off;\n{temp}\n  include {folder / 'intake.conf'};\n}}\n"
    )
    server = subprocess.Popen([binary, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    said = server.stderr.read().decode() if server.stderr else ""
                    raise RuntimeError(f"nginx exited: {said}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not listen in 20 s") from None
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        if server.stderr:
            server.stderr.close()
