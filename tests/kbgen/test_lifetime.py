"""A build killed outright takes its Pagefind run and its worker processes with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

GONE_WITHIN = 10.0  # seconds for the system to end an orphan


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def _orphan_of_a_killed_parent(tmp_path: Path, start_child: str) -> int:
    """Run a parent that starts a child (which writes its pid), then kills itself."""
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from pathlib import Path
        pid_file = Path({str(pid_file)!r})
        {start_child}
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return int(pid_file.read_text())


def _assert_the_child_ends_with_its_killed_parent(tmp_path: Path, start_child: str) -> None:
    pid = _orphan_of_a_killed_parent(tmp_path, start_child.replace("\n", "\n        "))
    try:
        deadline = time.monotonic() + GONE_WITHIN
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_pagefind_ends_with_the_build_that_started_it(tmp_path: Path) -> None:
    slow = tmp_path / "pagefind"
    pid_file = tmp_path / "child.pid"
    slow.write_text(
        f"#!/bin/sh\necho $$ > {pid_file}.tmp\nmv {pid_file}.tmp {pid_file}\nexec sleep 60\n"
    )
    slow.chmod(0o755)
    start = (
        f"os.environ['PAGEFIND_BINARY_PATH'] = {str(slow)!r}\n"
        "from kbgen.search import SiteIndexing\n"
        f"indexing = SiteIndexing(Path({str(tmp_path)!r}), 'en')"
    )
    _assert_the_child_ends_with_its_killed_parent(tmp_path, start)


def test_worker_processes_end_with_the_build_that_started_them(tmp_path: Path) -> None:
    start = (
        "from kbgen.workers import process_pool\n"
        "from tests.kbgen.test_lifetime import record_pid_and_wait\n"
        "context = process_pool()\n"
        "pool = context.__enter__()\n"
        "pool.submit(record_pid_and_wait, str(pid_file))"
    )
    _assert_the_child_ends_with_its_killed_parent(tmp_path, start)


def record_pid_and_wait(pid_file: str) -> None:
    """A task that outlives any build: it writes its pid, then sleeps."""
    Path(f"{pid_file}.tmp").write_text(str(os.getpid()))
    os.replace(f"{pid_file}.tmp", pid_file)
    time.sleep(60)
