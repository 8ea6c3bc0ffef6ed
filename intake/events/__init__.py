"""Events: "something changed", in one process or across processes through PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from intake.events.bus import Event, EventBus, InMemoryBus, Subscription


def make_bus(engine: Engine) -> EventBus:
    """Return the bus that suits the database: PostgreSQL's NOTIFY, or this process's memory."""
    if engine.dialect.name != "postgresql":
        return InMemoryBus()
    from intake.events.postgres import PostgresBus

    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresBus(engine, dsn)


__all__ = ["Event", "EventBus", "InMemoryBus", "Subscription", "make_bus"]
