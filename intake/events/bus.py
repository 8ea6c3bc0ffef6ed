"""One publish/subscribe interface for "something changed": a ticket, a chat message, presence.

An event is small (what kind, which tenant, a few ids); a subscriber that wants more reads the
database. Delivery is at most once and in order per publisher: a subscriber that fell behind
by more than its queue holds is told so (`Subscription.overflowed`) and should reload.
`InMemoryBus` reaches the subscribers of one process; `PostgresBus` (intake.events.postgres)
reaches every process connected to the same PostgreSQL database.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Event:
    """Something that changed: `topic` such as "ticket.updated", the tenant, and ids."""

    topic: str
    tenant_id: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the event as compact JSON (PostgreSQL's NOTIFY carries text)."""
        return json.dumps(
            {"topic": self.topic, "tenant_id": self.tenant_id, "data": self.data},
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Event:
        """Read an event written by to_json."""
        raw = json.loads(text)
        return cls(str(raw["topic"]), str(raw["tenant_id"]), dict(raw.get("data") or {}))


class Subscription:
    """What one subscriber receives: events of its tenant whose topic starts with a prefix."""

    def __init__(
        self,
        bus: LocalFanOut,
        tenant_id: str,
        prefixes: tuple[str, ...],
        wake: Callable[[], None] | None = None,
    ) -> None:
        self._bus = bus
        self.tenant_id = tenant_id
        self.prefixes = prefixes
        self._queue: queue.Queue[Event | None] = queue.Queue(QUEUE_SIZE + 1)
        self.overflowed = False
        self.ended = False  # the bus shut down: a stream reading this ends at once
        # Called after each event is queued: a reader that waits on something else as well
        # (a WebSocket's incoming frames) is woken by it.
        self._wake = wake or (lambda: None)

    def offer(self, event: Event) -> None:
        """Queue the event without ever blocking the publisher."""
        if self._queue.qsize() >= QUEUE_SIZE:
            self.overflowed = True
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.overflowed = True
        self._wake()

    def get(self, timeout: float) -> Event | None:
        """Return the next event, or None after `timeout` seconds without one (or at the end)."""
        if self.ended:
            return None
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> list[Event]:
        """Return every event queued now, without waiting."""
        found: list[Event] = []
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return found
            if event is not None:
                found.append(event)

    def end(self) -> None:
        """Wake the reader for good: the bus is shutting down."""
        self.ended = True
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._wake()

    def close(self) -> None:
        """Stop receiving."""
        self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class EventBus(Protocol):
    """Publish events; subscribe to a tenant's events by topic prefix."""

    def publish(self, event: Event) -> None:
        """Deliver the event to every interested subscriber (of every process, where shared)."""

    def subscribe(
        self,
        tenant_id: str,
        prefixes: Iterable[str] = ("",),
        wake: Callable[[], None] | None = None,
    ) -> Subscription:
        """Return a subscription; close it when done (`wake`: called as events arrive)."""

    def close(self) -> None:
        """Stop any background work of the bus."""


def _prefixes_of(topic: str) -> list[str]:
    """Return the prefixes a subscriber may have chosen to receive `topic`: "", "chat.",
    "chat.42.", "chat.42.message" (whole segments, and the topic itself)."""
    found, at = [""], 0
    while (at := topic.find(".", at) + 1) > 0:
        found.append(topic[:at])
    return [*found, topic]


class LocalFanOut:
    """The subscribers of this process, indexed by tenant and topic prefix.

    An event reaches only the subscriptions of its tenant whose prefix it starts with, found by
    looking its few prefixes up (chat sessions subscribe to "chat.<id>."), so a process with
    thousands of open connections does not test each of them for every event.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: dict[tuple[str, str], list[Subscription]] = {}

    def subscribe(
        self,
        tenant_id: str,
        prefixes: Iterable[str] = ("",),
        wake: Callable[[], None] | None = None,
    ) -> Subscription:
        """Return a new subscription of this process."""
        subscription = Subscription(self, tenant_id, tuple(prefixes), wake)
        with self._lock:
            for prefix in subscription.prefixes:
                self._index.setdefault((tenant_id, prefix), []).append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscription."""
        with self._lock:
            for prefix in subscription.prefixes:
                listed = self._index.get((subscription.tenant_id, prefix), [])
                if subscription in listed:
                    listed.remove(subscription)
                if not listed:
                    self._index.pop((subscription.tenant_id, prefix), None)

    def deliver(self, event: Event) -> None:
        """Queue the event for every interested subscriber of this process (each once)."""
        targets: dict[int, Subscription] = {}
        with self._lock:
            for prefix in _prefixes_of(event.topic):
                for subscription in self._index.get((event.tenant_id, prefix), ()):
                    targets[id(subscription)] = subscription
        for subscription in targets.values():
            subscription.offer(event)

    def end_all(self) -> None:
        """End every subscription of this process (at shutdown), waking their readers."""
        with self._lock:
            ending = {id(s): s for listed in self._index.values() for s in listed}
            self._index = {}
        for subscription in ending.values():
            subscription.end()

    @property
    def count(self) -> int:
        """Return how many subscriptions are open."""
        with self._lock:
            return len({id(s) for listed in self._index.values() for s in listed})


class InMemoryBus(LocalFanOut):
    """Events within one process: the embedded default (SQLite runs one serving process)."""

    def publish(self, event: Event) -> None:
        """Deliver at once to this process's subscribers."""
        self.deliver(event)

    def close(self) -> None:
        """End the subscriptions (nothing else runs in the background)."""
        self.end_all()
