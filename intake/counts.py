"""Rate-limit counts that outlive an outage of their shared storage.

Several processes count in one storage (Redis). While it cannot be reached, every limited
request failed with it (ticket forms, sign-in, chat): counts are kept in this process instead,
so limits hold as on a one-process deployment, the log says so once an outage, and the
storage is tried again every RETRY_SECONDS.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from limits import RateLimitItem
from limits.errors import StorageError
from limits.strategies import RateLimiter

log = logging.getLogger(__name__)
RETRY_SECONDS = 30.0
T = TypeVar("T")


def storage_options(uri: str) -> dict[str, Any]:
    """Return the options a `limits` storage at `uri` is made with: its failures raised as
    StorageError, and for Redis a second at most to connect or answer (a host that drops
    packets would otherwise hold each limited request until the system gives up)."""
    options: dict[str, Any] = {"wrap_exceptions": True}
    if uri.startswith(("redis", "rediss")):
        options.update(socket_connect_timeout=1, socket_timeout=1)
    return options


class Resilient:
    """A `limits` rate limiter on the shared storage, falling back to one in this process.

    The shared storage must raise StorageError for its failures (`wrap_exceptions=True`).
    """

    def __init__(self, shared: Callable[[], RateLimiter], local: RateLimiter) -> None:
        self._shared, self._local = shared, local
        self._down_until = 0.0  # monotonic time before which the local counts are used
        self._lock = threading.Lock()

    def _run(self, call: Callable[[RateLimiter], T]) -> T:
        if time.monotonic() >= self._down_until:
            try:
                result = call(self._shared())
            except StorageError as exc:
                with self._lock:
                    if self._down_until == 0.0:
                        cause = type(exc.storage_error).__name__
                        log.warning("rate-limit storage unreachable (%s): counting in this"
                                    " process until it answers", cause)  # fmt: skip
                    self._down_until = time.monotonic() + RETRY_SECONDS
            else:
                if self._down_until:
                    with self._lock:
                        self._down_until = 0.0
                    log.warning("rate-limit storage answers again: shared counts resume")
                return result
        return call(self._local)

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count one request; False when it is over the limit."""
        return bool(self._run(lambda limiter: limiter.hit(item, *identifiers)))

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Say whether one more request would be within the limit, counting nothing."""
        return bool(self._run(lambda limiter: limiter.test(item, *identifiers)))

    def reset_time(self, item: RateLimitItem, *identifiers: str) -> float:
        """Return when the limit's current window lets requests in again (epoch seconds)."""
        return float(self._run(lambda limiter: limiter.get_window_stats(item, *identifiers)[0]))
