"""Rendering across every core, with the render cache consulted first."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kbgen.cache import RenderStore, Stored, render_key
from kbgen.lifetime import end_with_parent
from kbgen.load import Source
from kbgen.render import LinkTable, render_source

# Below this many documents to render or index, worker processes cost more than they save
# (forked ones start in milliseconds: see _context).
PARALLEL_THRESHOLD = 40
CHUNK = 16

_job: dict[str, Any] = {}


def _setup(table: LinkTable, allow_html: bool, folder: Path | None, writable: bool) -> None:
    _job.update(table=table, allow_html=allow_html, store=RenderStore(folder, writable))


def _render(source: Source) -> Stored:
    key = render_key(source, _job["allow_html"])
    rendered = render_source(source, _job["table"], _job["allow_html"])
    store: RenderStore = _job["store"]
    return store.put(key, rendered)


def worker_count() -> int:
    """Return how many processes to use: every core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


SETTLE_SECONDS = 0.1  # for a thread just joined to leave the system's list


def _threads() -> int:
    """Return how many threads this process runs, those started outside Python's threading
    module included (pytest-xdist's, a C library's) where the system tells.

    A thread Python has joined (the last process pool's) is still listed by the system for a
    moment; counted, it sent every build's second pool to a fork server, which imports kbgen
    before its first worker starts.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        try:
            count = len(os.listdir("/proc/self/task"))
        except OSError:
            return threading.active_count()
        if count <= threading.active_count() or time.monotonic() >= deadline:
            return count
        time.sleep(0.001)


def _context() -> multiprocessing.context.BaseContext:
    """Fork this process when it is safe, else fork from a server process.

    A forked worker starts in milliseconds with everything this process loaded, which is
    what lets small sites use both cores; but a lock another thread holds at the fork (a
    log handler's, say: kbgen serve has threads) stays held in the child forever.
    """
    if _threads() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["kbgen.workers", "kbgen.search.whoosh_index"])
    return context


@contextmanager
def process_pool(
    initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> Iterator[Executor]:
    """Yield a process pool on every core, its workers forked with kbgen imported already and
    ending with this process."""
    with ProcessPoolExecutor(
        worker_count(), mp_context=_context(), initializer=_start, initargs=(initializer, initargs)
    ) as pool:
        yield pool


def _start(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    # A worker outliving a killed build would go on writing into its staging folder.
    end_with_parent()
    if initializer is not None:
        initializer(*initargs)


def render_all(
    sources: list[Source],
    table: LinkTable,
    allow_html: bool,
    store: RenderStore,
    advance: Callable[[int], None] | None = None,
) -> dict[str, Stored]:
    """Render every source (reusing valid cached renderings); return them by content path."""
    advance = advance or (lambda _count: None)
    done: dict[str, Stored] = {}
    todo: list[Source] = []
    for source in sources:
        cached = store.get(render_key(source, allow_html), table)
        if cached is None:
            todo.append(source)
        else:
            done[str(source.rel)] = cached
    advance(len(done))
    setup = (table, allow_html, store.folder, store.writable)
    if len(todo) < PARALLEL_THRESHOLD or worker_count() < 2:
        _setup(*setup)
        for source in todo:
            stored = done[str(source.rel)] = _render(source)
            store.remember(stored, table)
            advance(1)
        return done
    # Chunks small enough that every worker gets several, so none is left idle at the end.
    chunk = max(1, min(CHUNK, len(todo) // (worker_count() * 4)))
    with process_pool(_setup, setup) as pool:
        for source, stored in zip(todo, pool.map(_render, todo, chunksize=chunk), strict=True):
            done[str(source.rel)] = stored
            store.remember(stored, table)
            advance(1)
    return done
