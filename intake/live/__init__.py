"""The live chat's customer face: the widget's HTTP calls and its WebSocket."""

from __future__ import annotations

from flask import Flask
from wsproto.utilities import RemoteProtocolError

from intake.extensions import csrf, sock
from intake.live import socket, views
from intake.live.blueprint import bp
from intake.web.error_handlers import Answer, error_response

__all__ = ["init_app", "socket", "views"]


def init_app(app: Flask) -> None:
    """Register the chat's blueprint: token-authenticated, no cookie, so no CSRF token."""
    app.register_blueprint(bp)
    csrf.exempt(bp)
    sock.init_app(app)
    # Pings keep proxies from dropping quiet chats, and make the socket's reader wait in a
    # selector, so a send timeout never cuts a quiet connection.
    app.config.setdefault(
        "SOCK_SERVER_OPTIONS", {"ping_interval": 25, "max_message_size": 80 * 1024}
    )
    app.register_error_handler(RemoteProtocolError, _bad_handshake)


def _bad_handshake(exc: RemoteProtocolError) -> Answer:
    """A request to the socket that is no WebSocket handshake (a header missing or wrong):
    the client's mistake, named, not a failure of ours with a traceback in the log."""
    return error_response(f"This is no WebSocket handshake: {exc}.", None, 400)
