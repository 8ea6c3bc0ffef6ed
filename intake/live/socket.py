"""The widget's WebSocket: the chat's messages as they are stored, typing and read marks.

One thread serves one socket (gunicorn's threaded worker, docs/deployment.md). It sleeps
until either the customer sends a frame or the chat's events arrive (the bus wakes it through
the socket's own event), then answers both. Messages always come from the database, after
the last id this socket sent: the order is the order of storage, and a reconnecting widget
asks for what came after the last id it saw, so nothing is missed or sent twice.

Bad input closes only this connection: a malformed frame, a wrong token, a closed chat, more
than RATE frames in PER seconds. A socket whose client stops reading fails its send after
SEND_TIMEOUT seconds and closes, holding up nobody else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket as net
import threading
import time
from collections import deque
from typing import Any

from simple_websocket import ConnectionClosed, Server
from wsproto.utilities import LocalProtocolError

from intake.chat.announce import announce
from intake.chat.messages import PAGE, message_position, messages_after, post_text
from intake.chat.sessions import find_chat, mark_read, topic
from intake.db import Database
from intake.errors import IntakeError, InvalidInput, NotFound
from intake.events import Event, EventBus
from intake.extensions import sock
from intake.live.blueprint import bp
from intake.live.common import chat_json, messages_json, socket_frame_allowed
from intake.models import ChatStatus
from intake.state import state
from intake.web.held import ended_by, held_for_chat, hold_connection
from intake.web.json import DuplicateKey, strict_loads
from intake.web.tenancy import tenant

HELLO_TIMEOUT = 10.0
HEARTBEAT = 15.0
SEND_TIMEOUT = 10.0
RATE, PER = 20, 10.0  # frames a customer may send in PER seconds
# A message's text at its longest (5,000 characters, each up to 12 in JSON: an emoji written
# as two escaped halves) fits, so that its own limit answers it by name and the connection
# stays. Frames the transport takes (SOCK_SERVER_OPTIONS) up to 80 KB are refused by name.
FRAME_MAX = 64 * 1024
READ_AHEAD = RATE  # frames read from the client before the handler takes them

log = logging.getLogger(__name__)


class Refused(Exception):
    """The connection ends: say why, then close."""


class WholeFrames:
    """The connection's socket as simple-websocket uses it, with every send whole.

    simple-websocket writes frames with one `send()` call, which on a socket with a timeout
    may write part of a frame when the client's buffers are nearly full, and the rest is lost:
    the stream is corrupt from there. Here each write is complete (`sendall`, SEND_TIMEOUT for
    the whole frame) or fails, and the socket's reader thread (pings, close replies) and the
    handler never interleave their frames.
    """

    def __init__(self, sock: net.socket, ws: Server | None = None) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        self._ws = ws

    def recv(self, size: int) -> bytes:
        """Read for the socket's reader thread, no further than READ_AHEAD frames ahead of the
        handler: while the handler is busy sending to a client that does not read, the
        client's frames wait in its own TCP buffers, not in this process's memory."""
        ws = self._ws
        while ws is not None and ws.connected and len(ws.input_buffer) >= READ_AHEAD:
            time.sleep(0.05)
        return self._sock.recv(size)

    def send(self, data: bytes) -> int:
        with self._lock:
            self._sock.sendall(data)
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class ChatSocket:
    """One customer's socket on one chat."""

    def __init__(self, ws: Server, database: Database, bus: EventBus, tenant_id: str) -> None:
        self.ws, self.db, self.bus, self.tenant_id = ws, database, bus, tenant_id
        self.chat_id, self.token, self.last_sent = 0, "", 0
        self.greeting: dict[str, Any] = {}  # the session frame that answers the hello
        self.frames: deque[float] = deque()

    def send(self, frame: dict[str, Any]) -> None:
        """Send one frame (JSON)."""
        self.ws.send(json.dumps(frame, separators=(",", ":")))

    def hello(self) -> None:
        """Read the first frame: which chat, its token, the last message id seen."""
        frame = self.parse(self.ws.receive(timeout=HELLO_TIMEOUT))
        chat, token = frame.get("session"), frame.get("token")
        if frame.get("type") != "hello" or not isinstance(chat, int) or not isinstance(token, str):
            raise Refused("Start with a hello frame: session, token and after.")
        try:
            after = message_position(frame.get("after", 0), "after")
        except InvalidInput:
            raise Refused("after: use the last message id seen, or 0.") from None
        try:
            with self.db.read(self.tenant_id) as session:
                found = find_chat(session, chat, token, writable=True)
                self.greeting = {"type": "session", "session": chat_json(session, found)}
        except IntakeError as exc:
            raise Refused(exc.message) from None
        self.chat_id, self.token, self.last_sent = chat, token, after

    def parse(self, raw: object) -> dict[str, Any]:
        """Return a frame as a dict; anything else ends the connection."""
        if raw is None:
            raise Refused("Nothing was sent.")
        if not isinstance(raw, str) or len(raw) > FRAME_MAX:
            raise Refused("Send JSON text frames of at most 64 KB.")
        try:
            frame = strict_loads(raw)
        except DuplicateKey as exc:
            raise Refused(f"That frame gives {exc.key[:40]!r} twice.") from None
        except ValueError:
            raise Refused("That frame is not JSON.") from None
        if not isinstance(frame, dict):
            raise Refused("A frame is a JSON object.")
        return frame

    def throttle(self) -> None:
        """Allow RATE frames per PER seconds from the customer."""
        now = time.monotonic()
        self.frames.append(now)
        while self.frames and now - self.frames[0] > PER:
            self.frames.popleft()
        if len(self.frames) > RATE:
            raise Refused("Too many messages at once; wait a little.")

    def handle(self, raw: object) -> None:
        """Act on one of the customer's frames."""
        self.throttle()
        frame = self.parse(raw)
        kind = frame.get("type")
        if kind == "message":
            self.post(frame)
        elif kind == "typing":
            if socket_frame_allowed("typing"):  # past the limit, a hint is dropped
                announce(self.bus, self.tenant_id, self.chat_id, "typing", who="customer")
        elif kind == "read":
            if socket_frame_allowed("read"):
                self.read(frame.get("up_to"))
        else:
            raise Refused("type: use message, typing or read.")

    def post(self, frame: dict[str, Any]) -> None:
        """Store a message, then announce it (every process's sockets deliver it)."""
        if not socket_frame_allowed("message"):
            self.send({"type": "error", "field": "text",
                       "message": "Too many messages at once; wait a minute."})  # fmt: skip
            return
        try:
            with self.db.write(self.tenant_id) as session:
                chat = find_chat(session, self.chat_id, self.token, writable=True)
                message, new = post_text(session, chat, frame.get("text"), None,
                                         frame.get("client_id"))  # fmt: skip
                message_id = message.id
        except NotFound:
            raise Refused("Not found.") from None  # erased meanwhile: nothing more to say
        except IntakeError as exc:
            self.send({"type": "error", "message": exc.message, "field": exc.field})
            return
        if new:
            announce(self.bus, self.tenant_id, self.chat_id, "message", message_id=message_id)

    def read(self, up_to: object) -> None:
        """Record how far the customer has read."""
        try:
            up_to = message_position(up_to, "up_to")
        except InvalidInput as exc:  # a mistake of this frame's: named, and the chat goes on
            self.send({"type": "error", "message": exc.message, "field": exc.field})
            return
        with self.db.write(self.tenant_id) as session:
            try:
                chat = find_chat(session, self.chat_id, self.token)
            except NotFound:
                raise Refused("Not found.") from None
            news = mark_read(chat, "customer", up_to)
        if news:
            announce(self.bus, self.tenant_id, self.chat_id, "read", by="customer", up_to=up_to)

    def catch_up(self) -> bool:
        """Send every stored message after the last one sent; False once the chat has ended.

        Page by page, each read before its sending starts: a slow client's sends never hold
        a database connection.
        """
        while True:
            with self.db.read(self.tenant_id) as session:
                chat = find_chat(session, self.chat_id, self.token)
                page = messages_after(session, self.chat_id, self.last_sent)
                found = messages_json(session, chat, page)
                active = chat.status == ChatStatus.active
            for message in found:
                self.send({"type": "message", "message": message})
                self.last_sent = message["id"]
            if len(found) < PAGE:
                return active

    def relay(self, event: Event) -> bool:
        """Pass an event of the chat on; False once the chat has ended."""
        what = event.topic.rsplit(".", 1)[-1]
        if what == "typing" and event.data.get("who") == "agent":
            self.send({"type": "typing", "who": "agent", "name": event.data.get("name")})
        elif what == "read" and event.data.get("by") == "agent":
            self.send({"type": "read", "by": "agent", "up_to": event.data.get("up_to")})
        elif what == "session":
            with self.db.read(self.tenant_id) as session:
                chat = find_chat(session, self.chat_id, self.token)
                self.send({"type": "session", "session": chat_json(session, chat)})
        return True

    def serve(self) -> None:
        """Answer the customer's frames and the chat's events until either side ends."""
        self.hello()
        with held_for_chat(self.tenant_id, self.chat_id):  # answered once it is let in
            self.send(self.greeting)
            self._serve()

    def _serve(self) -> None:
        wake = self.ws.event  # set by the socket's reader on each frame, and by the bus below
        with self.bus.subscribe(self.tenant_id, [topic(self.chat_id, "")], wake=wake.set) as sub:
            active = self.catch_up()
            while self.ws.connected and active and not sub.ended:
                # Frames first, then the wait: those sent right behind the hello may be read
                # already, and the wake that announced them spent by the hello's read.
                while (raw := self.ws.receive(timeout=0)) is not None:
                    self.handle(raw)
                events = sub.drain()
                if any(e.topic.endswith(".message") for e in events) or sub.overflowed:
                    sub.overflowed = False
                    active = self.catch_up()
                for event in events:
                    self.relay(event)
                if active and not events:
                    wake.wait(HEARTBEAT)
            if not active:
                self.catch_up()  # the closing system message, then the end


@sock.route("/socket", bp=bp)  # type: ignore[untyped-decorator]  # flask-sock ships no types
def chat_socket(ws: Server) -> None:
    """A customer's live connection to one chat (docs/chat.md)."""
    chat = ChatSocket(ws, state().db, state().events, tenant().id)
    try:
        ws.sock.settimeout(SEND_TIMEOUT)  # sends only: the reader waits in a selector
        ws.sock = WholeFrames(ws.sock, ws)
        with ended_by(hold_connection()):
            chat.serve()
    except (Refused, IntakeError) as exc:
        reason = exc.message if isinstance(exc, IntakeError) else str(exc)
        try:
            chat.send({"type": "error", "message": reason})
            ws.close(reason=1008, message=reason[:120])
        except (ConnectionClosed, LocalProtocolError, OSError):
            pass
    except (ConnectionClosed, LocalProtocolError, OSError):
        pass  # the client went away, or the socket closed it (a frame over its size)
    except Exception:
        # Written after the handshake, the framework's 500 page would corrupt the stream:
        # the client gets a close frame saying the server failed, and the log the error.
        log.exception("chat socket failed")
        with contextlib.suppress(ConnectionClosed, LocalProtocolError, OSError):
            ws.close(reason=1011, message="The server failed; reconnect.")
