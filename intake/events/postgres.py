"""Events across processes through PostgreSQL's LISTEN/NOTIFY.

Each process holds one listening connection, in one thread, and hands what arrives to its own
subscribers; publishing is a NOTIFY on a pooled connection, so an event reaches every process
listening on the database (the publisher's own included) once the NOTIFY commits. A lost
listening connection is reopened with back-off; events sent while it was down are missed, so
subscribers reload what they show when `reconnected` is bumped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import psycopg
from sqlalchemy import Engine, text

from intake.events.bus import Event, LocalFanOut, Subscription

log = logging.getLogger(__name__)
CHANNEL = "intake_events"
MAX_PAYLOAD = 7900  # NOTIFY's limit is 8000 bytes


class PostgresBus(LocalFanOut):
    """Publish with NOTIFY; one listener thread per process delivers to local subscribers."""

    def __init__(self, engine: Engine, dsn: str) -> None:
        super().__init__()
        self.engine = engine
        self.dsn = dsn
        self.reconnected = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def publish(self, event: Event) -> None:
        """Send the event to every listening process."""
        payload = event.to_json()
        if len(payload.encode()) > MAX_PAYLOAD:
            raise ValueError(f"event {event.topic} is too large for NOTIFY ({len(payload)} bytes)")
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                         {"channel": CHANNEL, "payload": payload})  # fmt: skip
            conn.commit()

    def subscribe(
        self,
        tenant_id: str,
        prefixes: Iterable[str] = ("",),
        wake: Callable[[], None] | None = None,
    ) -> Subscription:
        """Return a subscription, starting this process's listener on first use."""
        self.start()
        return super().subscribe(tenant_id, prefixes, wake)

    def start(self, timeout: float = 10.0) -> None:
        """Start the listener thread and wait until it listens."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._listen, name="intake-events",
                                                daemon=True)  # fmt: skip
                self._thread.start()
        self._ready.wait(timeout)

    def _listen(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if self._ready.is_set():
                        self.reconnected += 1
                    self._ready.set()
                    delay = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._receive(note.payload)
            except psycopg.Error as exc:
                log.warning("event listener lost its connection (%s); retrying", exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)

    def _receive(self, payload: str) -> None:
        try:
            event = Event.from_json(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event on %s", CHANNEL)
            return
        self.deliver(event)

    def close(self) -> None:
        """End the subscriptions and stop the listener thread."""
        self.end_all()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._ready.clear()
