"""Connections held open (event streams, chat sockets, long polls): counted, and capped per
client address and in all.

Each one holds a worker thread for as long as it lasts. Without a cap, one client opening a
hundred of them would hold every thread of a worker, and nobody else would be answered; a few
addresses together could do the same, so under gunicorn a quarter of a worker's threads stay
for ordinary requests (health checks, the desk, tickets) whatever is held. The caps are per
process: with several workers a client holds at most that many in each.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, request

from intake.agents.throttle import network_of
from intake.errors import TooMany
from intake.metrics import OPEN_STREAMS

PER_ADDRESS = 16  # a customer's tabs and devices behind one address, far from a worker's 100
PER_CHAT = 4  # one chat's tabs: its token alone must not hold connections without end
RETRY_SECONDS = 30


class HeldConnections:
    """How many connections each client address holds open in this process."""

    def __init__(self, per_address: int, total: int | None = None) -> None:
        self.per_address = per_address
        self.total = total  # None: no cap in all (no thread count known: tests, Flask's server)
        self._held: Counter[str] = Counter()
        self._chats: Counter[str] = Counter()  # by chat, of those counted above
        self._lock = threading.Lock()

    @property
    def address_cap(self) -> int:
        """What one address may hold: PER_ADDRESS, and at most a quarter of the process's cap
        in all, so that four addresses cannot take every live connection there is."""
        if self.total is None:
            return self.per_address
        return min(self.per_address, max(2, self.total // 4))

    def take(self, address: str, per_address: bool = True) -> None:
        """Count one more for `address`, or raise TooMany at either cap (the address's only
        when `per_address`: an agent's desk streams count in all, not against their address,
        which a team may share)."""
        address = network_of(address)
        with self._lock:
            cap = self.address_cap
            if per_address and self._held[address] >= cap:
                raise TooMany(
                    f"At most {cap} live connections at once from one address; "
                    "close another page of this help center.",
                    RETRY_SECONDS,
                )
            if self.total is not None and self._held.total() >= self.total:
                raise TooMany("The service holds as many live connections as it can; "
                              "try again in a moment.", RETRY_SECONDS)  # fmt: skip
            self._held[address] += 1

    def held_by(self, address: str) -> int:
        """Return how many connections `address` holds open now."""
        with self._lock:
            return self._held[network_of(address)]

    def give_back(self, address: str) -> None:
        with self._lock:
            _count_one_less(self._held, network_of(address))

    def take_chat(self, chat: str) -> None:
        """Count one more connection of a chat, or raise TooMany past PER_CHAT."""
        with self._lock:
            if self._chats[chat] >= PER_CHAT:
                raise TooMany(f"At most {PER_CHAT} live connections at once to one chat; "
                              "close another page with it open.", RETRY_SECONDS)  # fmt: skip
            self._chats[chat] += 1

    def give_back_chat(self, chat: str) -> None:
        with self._lock:
            _count_one_less(self._chats, chat)


def _count_one_less(counts: Counter[str], key: str) -> None:
    """Count one less for `key`, forgetting it at none (a client gone leaves no entry)."""
    counts[key] -= 1
    if counts[key] <= 0:
        del counts[key]


def held() -> HeldConnections:
    """Return the app's count (one per app, so that apps in one process count apart)."""
    found: HeldConnections | None = current_app.extensions.get("intake.held")
    if found is None:  # the first connection: dict.setdefault is atomic, one count wins
        found = current_app.extensions.setdefault("intake.held", HeldConnections(PER_ADDRESS))
    return found


def limit_held(app: Flask, threads: int) -> None:
    """Cap the connections held in all to three quarters of the process's threads."""
    with app.app_context():
        held().total = max(1, threads * 3 // 4)


def hold_connection(capped: bool = True) -> Callable[[], None]:
    """Count the request's connection as held open, refusing it (TooMany) when its address
    holds PER_ADDRESS already and `capped`, or when the process holds its cap in all; return
    the function that ends it (once). Limits like the rate limits, both are off with them
    (RATELIMIT_ENABLED=0: one address stands for every client, as in the benchmarks)."""
    counted = bool(current_app.config.get("RATELIMIT_ENABLED", True))
    address, counts = request.remote_addr or "", held()
    if counted:
        counts.take(address, per_address=capped)
    OPEN_STREAMS.inc()
    once = threading.Lock()

    def release() -> None:
        if not once.acquire(blocking=False):
            return  # ended already
        OPEN_STREAMS.dec()
        if counted:
            counts.give_back(address)

    return release


@contextmanager
def held_for_chat(tenant_id: str, chat_id: int) -> Iterator[None]:
    """Count a held connection against its chat too (PER_CHAT), for the block's length."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        yield
        return
    counts, chat = held(), f"{tenant_id}:{chat_id}"
    counts.take_chat(chat)
    try:
        yield
    finally:
        counts.give_back_chat(chat)


@contextmanager
def ended_by(release: Callable[[], None]) -> Iterator[None]:
    """End a held connection (hold_connection's release) when the block ends, however."""
    try:
        yield
    finally:
        release()
