"""Server-sent events: a response that stays open and passes bus events on to a browser.

An open stream holds no database connection (the view releases its session first) and no
CPU: its thread sleeps in the subscription's queue. Each stream ends after LIFETIME seconds;
the browser's EventSource reconnects by itself, so no connection lives forever.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from flask import Response

from intake.events import Event, Subscription
from intake.web.held import hold_connection

HEARTBEAT = 15.0  # seconds; keeps proxies from closing an idle stream
LIFETIME = 300.0
RETRY_MS = 3000


def _frames(
    subscription: Subscription,
    pick: Callable[[Event], dict[str, object] | None],
    still_allowed: Callable[[], bool],
) -> Iterator[str]:
    try:
        yield f"retry: {RETRY_MS}\n\n"
        deadline = time.monotonic() + LIFETIME
        while (left := deadline - time.monotonic()) > 0 and not subscription.ended:
            event = subscription.get(min(HEARTBEAT, left))
            if subscription.ended:
                return  # the service is shutting down; the browser reconnects elsewhere
            if event is None:
                if not still_allowed():
                    yield "event: signed-out\ndata: {}\n\n"
                    return
                yield ": heartbeat\n\n"
                continue
            data = pick(event)
            if data is not None:
                yield f"event: {event.topic}\ndata: {json.dumps(data)}\n\n"
    finally:
        subscription.close()


def event_stream(
    subscription: Subscription,
    pick: Callable[[Event], dict[str, object] | None],
    still_allowed: Callable[[], bool] = lambda: True,
    capped: bool = True,
) -> Response:
    """Return a text/event-stream response of the events `pick` maps to data (None skips).

    `still_allowed` is asked at every heartbeat; when it says no, the stream ends. A client
    address holding too many connections already is refused (TooMany) when `capped`.
    """
    try:
        release = hold_connection(capped)
    except BaseException:
        subscription.close()
        raise
    response = Response(
        _frames(subscription, pick, still_allowed),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},  # no proxy buffering
    )
    # A client gone before the first frame closes a generator that never ran its `finally`.
    response.call_on_close(subscription.close)
    response.call_on_close(release)  # once, when the server is done with it
    return response
