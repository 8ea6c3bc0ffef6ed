"""Timing and memory helpers shared by the benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float  # the whole process tree (workers, Pagefind) at its largest
    main_rss_mb: float  # the command's own process at its largest


def _tree_rss_kb(root_pid: int) -> tuple[int, int]:
    """Sum the resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total, rss.get(root_pid, 0)


def run(
    command: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
) -> Run:
    """Run a command to completion; return its wall time and the peak RSS of its process tree.
    Past `timeout` seconds the command and everything it started are killed."""
    started = time.perf_counter()
    # A session of its own, so that a run cut short takes its workers and Pagefind with it.
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    peak = main = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, main
        while not done.is_set():
            tree, own = _tree_rss_kb(proc.pid)
            peak, main = max(peak, tree), max(main, own)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        _, err = proc.communicate(timeout=timeout)
    except BaseException:  # the timeout, or the benchmark interrupted: nothing left running
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    finally:
        done.set()
        sampler.join()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({proc.returncode}): {err.decode()[-2000:]}"
        )
    return Run(seconds, peak / 1024, main / 1024)


def percentile(values: Sequence[float], share: float) -> float:
    """Return the value below which `share` (0..1) of the sorted values fall."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]
