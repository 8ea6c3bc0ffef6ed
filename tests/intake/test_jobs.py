"""Background jobs: one runner of the deployment holds each job; another takes over on death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from intake.db import Database
from intake.jobs import Job, JobRunner, lock_maker
from tests.intake.fixtures import DatabaseFactory

# A serving process's runner, reduced to one job that notes who ran it and when.
RUNNER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from intake.db import Database
    from intake.jobs import Job, JobRunner, lock_maker
    url, locks, log = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    def tick():
        with log.open("a") as out:
            out.write(f"{os.getpid()}\\n")
    runner = JobRunner([Job("tick", 0.05, tick)], lock_maker(Database(url).engine, locks))
    runner.start()
    time.sleep(60)
    """
)


def _wait_for(predicate: object, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_one_process_runs_a_job_and_another_takes_over_when_it_dies(
    intake_db: DatabaseFactory, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url, log = intake_db.new(request.node.name), tmp_path / "ticks"
    command = [sys.executable, "-c", RUNNER, url, str(tmp_path / "locks"), str(log)]
    first = subprocess.Popen(command)
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(lambda: log.exists() and log.read_text().count("\n") >= 3)
        second = subprocess.Popen(command)
        time.sleep(1.5)  # both run now; only the first may tick
        assert set(log.read_text().split()) == {str(first.pid)}
        os.kill(first.pid, signal.SIGKILL)  # dies holding the lock
        first.wait(10)
        _wait_for(lambda: str(second.pid) in log.read_text().split())
        ticks = log.read_text().split()
        assert ticks == sorted(ticks, key=lambda pid: pid == str(second.pid))  # never interleaved
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)


def test_a_failing_round_is_logged_and_the_job_runs_again(
    intake_db: DatabaseFactory, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database = Database(intake_db.new(request.node.name), pool_size=1)
    rounds: list[int] = []

    def flaky() -> None:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("the mail server hiccupped")

    runner = JobRunner([Job("flaky", 0.02, flaky)], lock_maker(database.engine, tmp_path))
    runner.start()
    try:
        _wait_for(lambda: len(rounds) >= 3)
    finally:
        runner.stop()
        database.dispose()
    assert runner.runs["flaky"] >= 3 and not runner.running


def test_sqlite_keeps_statistics_for_its_planner(
    intake_db: DatabaseFactory, request: pytest.FixtureRequest
) -> None:
    from sqlalchemy import text

    database = Database(intake_db.new(request.node.name), pool_size=1)
    try:
        database.refresh_statistics()
        if database.dialect != "sqlite":
            return  # PostgreSQL's autovacuum analyses by itself; nothing to do here
        with database.all_tenants() as session:
            analysed = session.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar()
        assert analysed and analysed > 0
    finally:
        database.dispose()
