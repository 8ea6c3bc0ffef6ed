"""Child processes that end with the build that started them.

A build killed outright (SIGKILL, the out-of-memory killer) cannot stop its children. A
Pagefind run or an index worker left behind goes on writing into the build's staging folder
after the next build cleaned it away, and the folder reappears beside the site.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return function


_PRCTL = _prctl()  # looked up once: a forked child about to exec should only call it


def end_with_parent(parent: int | None = None) -> None:
    """Run first in a child process: have the system kill it when its parent ends (Linux;
    elsewhere nothing). `parent`, the pid that started the child, closes the gap where the
    parent ended before the request was made."""
    if _PRCTL is None:
        return
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)
