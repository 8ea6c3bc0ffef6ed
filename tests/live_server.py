"""Serving an app on a loopback port from a thread, for tests that need a real server (the
browser tests, WebSockets), and waiting at the end for every request it was answering."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from intake.live import socket
from intake.web import sse

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Open streams and sockets wake this often here (15 s in service), so one whose client has
# gone finds out at once and the app can close after it: a stream outliving its app would
# open a database connection that nobody closes.
HEARTBEAT = 0.5  # seconds


class RequestThreads:
    """WSGI middleware that keeps the threads answering requests, to wait for them at the end.

    (Threads, not the response's close(): the development server skips that call when the
    client has reset the connection.)
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(threading.current_thread())
        return self.app(environ, start_response)

    def wait(self, timeout: float) -> list[str]:
        """Wait for every request to be answered; return the names of threads still busy."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in threads if t.is_alive()]


class SocketsEnd(WSGIRequestHandler):
    """Close a WebSocket's connection when its handler returns. Otherwise the development
    server, keeping connections alive, would read the finished socket's closing frames as the
    next request and never close it (gunicorn, which serves in production, hands an upgraded
    connection over for good)."""

    def run_wsgi(self) -> None:
        super().run_wsgi()
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.close_connection = True


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve `app` threaded on a free loopback port; yield its http:// address.

    Close every client first: leaving waits for the requests in progress to end.
    """
    requests = RequestThreads(app)
    server = make_server("127.0.0.1", 0, requests, threaded=True,
                         request_handler=SocketsEnd)  # fmt: skip
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sse, "HEARTBEAT", HEARTBEAT)
        patch.setattr(socket, "HEARTBEAT", HEARTBEAT)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            busy = requests.wait(timeout=10 * HEARTBEAT)
            server.server_close()
    assert not busy, f"requests still answered by {busy}: close the clients first"
