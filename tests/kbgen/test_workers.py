"""Builds that render and index in worker processes: the same site as one process makes."""

from __future__ import annotations

import _thread
import io
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kbgen import workers
from kbgen.build import build
from kbgen.config import BuildOptions
from kbgen.progress import progress
from kbgen.search import search

EXTRA = 60  # articles added to eur, so its rendering alone is above the workers' threshold


def _grow(root: Path) -> None:
    """Add articles that link to each other and to the sample's, as writers' sites do."""
    folder = root / "content" / "eur" / "articles" / "generated"
    folder.mkdir(parents=True)
    for n in range(EXTRA):
        after = (n + 1) % EXTRA
        (folder / f"topic-{n}.md").write_text(
            f"---\ntitle: Topic {n} and invoices\ncategory: billing\n"
            f"summary: Everything about topic {n}.\ntags: [topic{n % 7}]\n---\n"
            f"## Part {n}\n\nSee [the next topic](topic-{after}.md#part-{after})"
            f" and refunds for invoice number {n}.\n\n```python\nprint({n})\n```\n",
            encoding="utf-8",
        )


def _pages(site: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(site)): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file() and "pagefind" not in path.parts
    }


def test_a_site_built_by_worker_processes_is_the_one_built_in_one_process(
    sample_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert workers.worker_count() >= 2, "this machine cannot show workers at work"
    parallel, serial = tmp_path / "parallel", tmp_path / "serial"
    for root in (parallel, serial):
        shutil.copytree(sample_root / "content", root / "content")
        _grow(root)
    # The command line's process has one thread, so its workers are forked from it.
    subprocess.run(
        [sys.executable, "-m", "kbgen.cli", "-q", "--root", str(parallel), "build"], check=True
    )
    monkeypatch.setattr(workers, "PARALLEL_THRESHOLD", 10**9)
    monkeypatch.setattr("kbgen.staging.PARALLEL_THRESHOLD", 10**9)
    build(BuildOptions(root=serial, quiet=True))
    assert _pages(parallel / "site") == _pages(serial / "site")
    for query in ("invoice topic 17", "refund", "reset password"):
        found = [
            [r.slug for r in search("eur", query, build_dir=root / "build")]
            for root in (parallel, serial)
        ]
        assert found[0] == found[1] and found[0], query


def test_workers_are_forked_only_from_a_process_without_other_threads() -> None:
    """A lock another thread holds at a fork stays held in the child: kbgen serve has
    threads, so its workers come from a fork server instead."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert workers._context().get_start_method() == "forkserver"
    finally:
        stop.set()
        other.join()


def test_a_thread_started_outside_the_threading_module_also_rules_out_forking() -> None:
    """pytest-xdist's and C libraries' threads are invisible to threading.active_count()."""
    release = _thread.allocate_lock()
    release.acquire()
    started = _thread.allocate_lock()
    started.acquire()

    def wait() -> None:
        started.release()
        release.acquire()

    _thread.start_new_thread(wait, ())
    started.acquire()
    try:
        assert workers._context().get_start_method() == "forkserver"
    finally:
        release.release()


SECOND_POOL = """
from kbgen import workers
if __name__ == "__main__":
    for _ in range(5):
        with workers.process_pool() as pool:
            pool.submit(abs, 1).result()
        print(workers._context().get_start_method())
"""


def test_a_pool_closed_a_moment_ago_does_not_rule_out_forking_the_next(tmp_path: Path) -> None:
    """A build opens a pool to render and another to index: the first one's threads, joined,
    must not send the second to a fork server (a process that imports kbgen first)."""
    script = tmp_path / "second_pool.py"
    script.write_text(SECOND_POOL)
    repo = Path(workers.__file__).parents[1]
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, check=True, cwd=repo)  # fmt: skip
    assert done.stdout.split() == ["fork"] * 5


def test_a_progress_bar_on_a_terminal_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bar redrawn by a thread of its own would keep the build from forking its workers."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(sys, "stdout", screen)
    before = threading.active_count()
    with progress("render", 3) as advance:
        for _ in range(3):
            advance(1)
            assert threading.active_count() == before
    assert "render" in screen.getvalue()  # the bar was drawn all the same
