"""The job runner: each job runs every interval in the one process that holds its lock.

Every serving process (and `intake jobs run`) starts a runner; for each job its thread tries
the job's lock and, while holding it, runs the job every `interval` seconds; the others keep
trying, so when the holder stops or dies another process takes over within an interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from intake.jobs.locks import JobLock
from intake.metrics import JOB_RUNS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A piece of background work: its name (also its lock's) and how often it runs."""

    name: str
    interval: float
    run: Callable[[], object]


class JobRunner:
    """Runs jobs in threads of this process, each only while holding its lock."""

    def __init__(self, jobs: list[Job], make_lock: Callable[[str], JobLock]) -> None:
        self.jobs = jobs
        self.make_lock = make_lock
        self.runs: dict[str, int] = {job.name: 0 for job in jobs}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        """Say whether the runner's threads are started."""
        return bool(self._threads)

    def start(self) -> None:
        """Start one thread per job (a no-op when already started)."""
        if self._threads:
            return
        self._stop.clear()
        for job in self.jobs:
            thread = threading.Thread(
                target=self._loop, args=(job,), name=f"intake-job-{job.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _loop(self, job: Job) -> None:
        lock = self.make_lock(job.name)
        try:
            while not self._stop.is_set():
                if lock.held() or lock.acquire():
                    self._run_once(job)
                self._stop.wait(job.interval)
        finally:
            lock.release()

    def _run_once(self, job: Job) -> None:
        try:
            job.run()
        except Exception:  # noqa: BLE001 (a failed round is logged; the job runs again later)
            log.exception("job %s failed", job.name)
            JOB_RUNS.labels(job.name, "failed").inc()
        else:
            JOB_RUNS.labels(job.name, "ok").inc()
        self.runs[job.name] += 1

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every job thread to finish its round, wait for them, and release the locks."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
