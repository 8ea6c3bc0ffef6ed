"""Progress of long stages: a live bar on a terminal, a few plain log lines elsewhere."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)
REDRAW_SECONDS = 0.1


def _ignore(_count: int) -> None:
    """Take a progress step and show nothing (not a terminal)."""


@contextmanager
def progress(label: str, total: int, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """Yield `advance(n)`; show counts and rate as a bar on a TTY, or log when done."""
    start = time.perf_counter()
    if sys.stderr.isatty() and not quiet and total > 0:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
        )
        # Redrawn from advance() rather than by rich's refresh thread: a build with no other
        # thread can fork its workers (kbgen/workers.py).
        with Progress(*columns, transient=True, auto_refresh=False) as bar:
            task = bar.add_task(label, total=total, rate="")
            drawn = [0.0]

            def advance(n: int) -> None:
                done = bar.tasks[0].completed + n
                now = time.perf_counter()
                bar.update(task, advance=n, rate=f"{done / max(now - start, 1e-6):,.0f}/s")
                if now - drawn[0] >= REDRAW_SECONDS or done >= total:
                    bar.refresh()
                    drawn[0] = now

            yield advance
    else:
        yield _ignore
    seconds = time.perf_counter() - start
    if total and not quiet and seconds >= 1:  # a quick stage needs no report
        log.info("%s: %d in %.2f s (%.0f/s)", label, total, seconds, total / max(seconds, 1e-6))
