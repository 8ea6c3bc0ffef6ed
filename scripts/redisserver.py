"""A throw-away Redis server on loopback for the tests: shared rate-limit counters.

Debian's `redis-server` (the Makefile installs it with apt before the tests), with no
persistence, in a temporary folder, on a free port.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile

from scripts.pgserver import answers, free_port, stop_process


class RedisServer:
    """Start with `start()` (returns its URL), stop with `stop()`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="intake-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> str:
        """Start the server and wait until it accepts connections; return its URL."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("Redis is not installed: apt-get install -y redis-server")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if answers(self.port, b"+PONG", b"PING\r\n", timeout):
            return f"redis://127.0.0.1:{self.port}/0"
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        stop_process(self.process, self.folder)
        self.process = None
