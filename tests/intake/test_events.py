"""Events: one interface, delivered within a process, and across processes on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
from flask import Flask

from intake.db import Database
from intake.events import Event, InMemoryBus, make_bus
from intake.events.postgres import PostgresBus
from intake.web.sse import event_stream
from tests.intake.fixtures import DatabaseFactory

# Another process on the same database: publish one event, or print the first one received.
PEER = textwrap.dedent(
    """
    import sys
    from intake.db import Database
    from intake.events import Event, make_bus
    url, role = sys.argv[1], sys.argv[2]
    bus = make_bus(Database(url).engine)
    if role == "publish":
        bus.publish(Event("ticket.updated", "eur", {"id": 7, "by": "peer"}))
    else:
        with bus.subscribe("eur", ["chat."]) as sub:
            print("listening", flush=True)
            event = sub.get(20)
            print(event.to_json() if event else "nothing", flush=True)
    bus.close()
    """
)


def test_subscribers_get_their_tenants_events_by_topic_in_order() -> None:
    bus = InMemoryBus()
    with bus.subscribe("eur", ["ticket."]) as tickets, bus.subscribe("km") as other:
        bus.publish(Event("ticket.created", "eur", {"id": 1}))
        bus.publish(Event("chat.message", "eur", {"id": 2}))
        bus.publish(Event("ticket.updated", "eur", {"id": 3}))
        bus.publish(Event("ticket.created", "km", {"id": 4}))
        assert [e.data["id"] for e in iter(lambda: tickets.get(0.05), None)] == [1, 3]
        assert [e.data["id"] for e in iter(lambda: other.get(0.05), None)] == [4]
    assert bus.count == 0  # closed subscriptions are dropped


def test_a_slow_subscriber_never_blocks_the_publisher() -> None:
    bus = InMemoryBus()
    with bus.subscribe("eur") as slow:
        for number in range(1500):
            bus.publish(Event("ticket.updated", "eur", {"n": number}))
        assert slow.overflowed  # told to reload instead of holding everyone up


def test_events_cross_processes_on_postgresql(
    intake_db: DatabaseFactory, request: pytest.FixtureRequest
) -> None:
    url = intake_db.new(request.node.name)
    database = Database(url, pool_size=1)
    bus = make_bus(database.engine)
    try:
        if intake_db.kind == "sqlite":
            # The embedded default serves from one process, so its events stay in memory.
            assert isinstance(bus, InMemoryBus)
            return
        assert isinstance(bus, PostgresBus)
        with bus.subscribe("eur", ["ticket."]) as mine:
            peer = [sys.executable, "-c", PEER, url]
            subprocess.run([*peer, "publish"], check=True, timeout=30)
            received = mine.get(10)
            assert received == Event("ticket.updated", "eur", {"id": 7, "by": "peer"})
        with subprocess.Popen([*peer, "listen"], stdout=subprocess.PIPE, text=True) as listener:
            assert listener.stdout is not None
            assert listener.stdout.readline().strip() == "listening"
            sent = Event("chat.message", "eur", {"id": 9})
            # Published until the peer has it: its LISTEN may start a moment after it prints.
            stop = threading.Event()
            repeat = threading.Thread(target=_publish_until, args=(bus, sent, stop), daemon=True)
            repeat.start()
            try:
                assert Event.from_json(listener.stdout.readline()) == sent
            finally:
                stop.set()
                repeat.join(5)
    finally:
        bus.close()
        database.dispose()


def _publish_until(bus: PostgresBus, event: Event, stop: threading.Event) -> None:
    while not stop.wait(0.2):
        bus.publish(event)


def test_closing_the_bus_ends_every_subscription_at_once() -> None:
    import time

    bus = InMemoryBus()
    waiting = bus.subscribe("eur")
    started = time.monotonic()
    threading.Timer(0.1, bus.close).start()
    assert waiting.get(10) is None and waiting.ended
    assert time.monotonic() - started < 5 and bus.count == 0


def test_a_stream_closed_before_its_first_frame_ends_its_subscription() -> None:
    bus = InMemoryBus()
    with Flask(__name__).test_request_context():  # a stream answers a request
        response = event_stream(bus.subscribe("eur", ["ticket."]), lambda _event: {})
    assert bus.count == 1
    response.close()  # the client went before the server wrote a byte
    assert bus.count == 0
