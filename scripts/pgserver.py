"""A throw-away PostgreSQL server on loopback for the tests and the load benchmark.

`python -m scripts.pgserver` starts one and prints its URL until Ctrl-C. initdb refuses to run
as root, so as root the server runs as the `postgres` user. Missing binaries are installed
with apt (the Makefile does that before the tests).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

# For tests only: durability off makes CREATE DATABASE and commits fast.
FAST = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]


def find_bin() -> Path:
    """Return the folder of initdb/pg_ctl (PATH first, then Debian's versioned folders)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(candidate).parent
    raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int, expect: bytes, send: bytes = b"", timeout: float = 10.0) -> bool:
    """Wait until a server on loopback `port` answers `send` with a line starting `expect`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                if send:
                    conn.sendall(send)
                if conn.recv(64).startswith(expect):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def stop_process(process: subprocess.Popen[bytes] | None, folder: str | Path) -> None:
    """Stop a throw-away server's process (killed if it lingers) and delete its folder."""
    if process is not None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(folder, ignore_errors=True)


class PgServer:
    """initdb into a temporary folder, start on a free loopback port, stop and delete."""

    def __init__(self, fast: bool = True) -> None:
        self.fast = fast
        self.bin = find_bin()
        self.base = Path(tempfile.mkdtemp(prefix="intake-pg-"))
        self.port = free_port()
        self.user = "postgres"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp")
        if result.returncode:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def start(self) -> str:
        """Start the server and return the URL of an empty database named intake."""
        data, sock = self.base / "data", self.base / "sock"
        sock.mkdir()
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            for path in (self.base, sock):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "--auth=trust", "-U", self.user,
            # A UTF-8 character type, as production databases have: lower() then lower-cases
            # every letter, which addresses compare by (intake/db/addresses.py).
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = f"-p {self.port} -h 127.0.0.1 -k {sock} -c max_connections=200"
        if self.fast:
            options += " " + " ".join(FAST)
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(data), "-o", options,
            "-l", str(self.base / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        self.create_database("intake")
        return self.url("intake")

    def url(self, database: str) -> str:
        """Return the SQLAlchemy URL of a database of this server."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """Return an autocommit connection to the postgres database."""
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str, template: str | None = None) -> None:
        """Create a database (optionally a copy of `template`)."""
        with self.admin() as conn:
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{suffix}'.encode())

    def drop_database(self, name: str) -> None:
        """Drop a database, ending its connections first."""
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        data = self.base / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main() -> None:
    """Start a durable server, print its URL and keep it until Ctrl-C."""
    server = PgServer(fast=False)
    print(server.start(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
