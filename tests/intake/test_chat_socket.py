"""The chat's WebSocket against a real server: live delivery, reconnection without gaps or
duplicates, and every refusal of bad input closing only its own connection."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socket as net
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.pool import QueuePool
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin
from wsproto.utilities import LocalProtocolError

from intake.chat.announce import announce
from intake.chat.messages import post_text
from intake.chat.sessions import get_chat
from intake.customers.privacy import erase_customer
from intake.errors import TooMany
from intake.live import socket as chat_socket
from intake.state import state
from intake.web.held import PER_ADDRESS, PER_CHAT, HeldConnections, limit_held
from tests.intake.chat import SITE, Customer, desk_send
from tests.intake.desk import signed_in
from tests.live_server import serving


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """Serve the app; yield its ws:// address."""
    with serving(app) as url:
        yield url.replace("http://", "ws://")


def open_socket(
    server: str, tenant: str = "eur", origin: str = SITE, **kwargs: Any
) -> ClientConnection:
    """Open the chat's socket as the widget on `origin` would."""
    url = f"{server}/chat/{tenant}/socket"
    kwargs.setdefault("close_timeout", 1)  # the development server is slow to hang up
    opened: ClientConnection = connect(url, origin=Origin(origin), open_timeout=5, proxy=None,
                                       **kwargs)  # fmt: skip
    return opened


def hello(ws: ClientConnection, customer: Customer, after: int = 0) -> dict[str, Any]:
    """Say hello; return the session frame."""
    ws.send(json.dumps({"type": "hello", "session": customer.id, "token": customer.token,
                        "after": after}))  # fmt: skip
    frame = receive(ws)
    assert frame["type"] == "session", frame
    return frame


def receive(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return frame


def messages(ws: ClientConnection, count: int, timeout: float = 5) -> list[dict[str, Any]]:
    """Return the next `count` message frames' messages (other frames skipped)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < count:
        frame = receive(ws, max(0.01, deadline - time.monotonic()))
        if frame["type"] == "message":
            found.append(frame["message"])
    return found


def silent(ws: ClientConnection, seconds: float = 0.6) -> bool:
    """Return whether no message frame arrives for a while."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            if receive(ws, left)["type"] == "message":
                return False
        except TimeoutError:
            return True
    return True


def closed_with(ws: ClientConnection) -> tuple[str, int | None]:
    """Read until the server closes; return the error frame's message and the close code.

    The server's close frame is what counts: how soon the development server then drops the
    TCP connection is its own affair.
    """
    said = ""
    try:
        while True:
            frame = receive(ws, timeout=2)
            if frame["type"] == "error":
                said = frame["message"]
    except ConnectionClosed as closed:
        return said, closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        received = ws.protocol.close_rcvd
        return said, received.code if received else None


def test_messages_arrive_live_and_a_reconnect_misses_nothing_and_repeats_nothing(
    app: Flask, server: str
) -> None:
    ada = Customer(app.test_client())
    agent = signed_in(app, "sam@example.com")
    with open_socket(server) as ws:
        hello(ws, ada)
        desk_send(agent, ada.id, "Hello Ada")
        joined, said = messages(ws, 2)
        assert (joined["kind"], said["text"], said["author"]) == ("system", "Hello Ada", "agent")
        ws.send(json.dumps({"type": "message", "text": "Hi! <b>bold</b>", "client_id": "w-1"}))
        (mine,) = messages(ws, 1)
        assert (mine["text"], mine["author"]) == ("Hi! <b>bold</b>", "customer")
        seen = mine["id"]
    for n in range(3):  # while the customer's connection is down
        desk_send(agent, ada.id, f"Missed {n}")
    with open_socket(server) as ws:
        hello(ws, ada, after=seen)
        missed = messages(ws, 3)
        assert [m["text"] for m in missed] == ["Missed 0", "Missed 1", "Missed 2"]
        assert [m["id"] for m in missed] == sorted(m["id"] for m in missed)
        assert missed[0]["id"] > seen
        ws.send(json.dumps({"type": "message", "text": "Hi! <b>bold</b>", "client_id": "w-1"}))
        assert silent(ws)  # the resend of a stored message is no new message
        desk_send(agent, ada.id, "After the reconnect")
        assert [m["text"] for m in messages(ws, 1)] == ["After the reconnect"]
    texts = [m["text"] for m in ada.messages()]
    assert texts.count("Hi! <b>bold</b>") == 1 and len(texts) == 7


def test_typing_and_read_marks_travel_both_ways(app: Flask, server: str) -> None:
    ada = Customer(app.test_client())
    agent = signed_in(app, "sam@example.com")
    desk_send(agent, ada.id, "Hello")
    with state(app).events.subscribe("eur", [f"chat.{ada.id}."]) as desk_hears, \
            open_socket(server) as ws:  # fmt: skip
        hello(ws, ada)
        last = messages(ws, 2)[-1]["id"]
        ws.send(json.dumps({"type": "typing"}))
        ws.send(json.dumps({"type": "read", "up_to": last}))
        # On PostgreSQL the message's own event may come in first: skip it.
        heard: list[tuple[str, Any]] = []
        while len(heard) < 2 and (event := desk_hears.get(5)) is not None:
            what = event.topic.rsplit(".")[-1]
            if what != "message":
                heard.append((what, event.data.get("who") or event.data.get("by")))
        assert heard == [("typing", "customer"), ("read", "customer")]
        page = agent.get(f"/desk/eur/chats/{ada.id}").get_data(as_text=True)
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        headers = {"X-CSRFToken": token}
        assert agent.post(f"/desk/eur/chats/{ada.id}/typing", headers=headers).status_code == 204
        assert receive(ws) == {"type": "typing", "who": "agent", "name": "Sam"}
        read = agent.post(f"/desk/eur/chats/{ada.id}/read", json={"up_to": last}, headers=headers)
        assert read.status_code == 204
        assert receive(ws) == {"type": "read", "by": "agent", "up_to": last}


def test_the_socket_ends_when_the_agent_ends_the_chat(app: Flask, server: str) -> None:
    ada = Customer(app.test_client())
    agent = signed_in(app, "sam@example.com")
    with open_socket(server) as ws:
        hello(ws, ada)
        page = agent.get(f"/desk/eur/chats/{ada.id}").get_data(as_text=True)
        csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        agent.post(f"/desk/eur/chats/{ada.id}/close", data={"csrf_token": csrf})
        frames: list[dict[str, Any]] = []
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            while True:
                frames.append(receive(ws, timeout=2))
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000
    ended = [f["message"]["text"] for f in frames if f["type"] == "message"]
    assert ended == ["Sam ended the chat."]
    assert any(f["type"] == "session" and f["session"]["status"] == "closed" for f in frames)


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example"])
def test_a_foreign_origin_is_refused_before_the_socket_opens(server: str, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, origin=origin)
    assert refused.value.response.status_code == 403


def test_tokens_of_another_chat_tenant_or_a_closed_chat_are_refused(
    app: Flask, server: str
) -> None:
    client = app.test_client()
    ada, bob = Customer(client), Customer(client, name="Bob", email="bob@example.com")
    with open_socket(server, tenant="km", origin="https://support.kestrel.example") as ws:
        hello_frame = {"type": "hello", "session": ada.id, "token": ada.token, "after": 0}
        ws.send(json.dumps(hello_frame))  # an eur chat on km's socket
        assert closed_with(ws) == ("Not found.", 1008)
    with open_socket(server) as ws:
        ws.send(json.dumps({"type": "hello", "session": ada.id, "token": bob.token, "after": 0}))
        assert closed_with(ws) == ("Not found.", 1008)
    bob.call("POST", "/close")
    with open_socket(server) as ws:
        ws.send(json.dumps({"type": "hello", "session": bob.id, "token": bob.token, "after": 0}))
        assert closed_with(ws) == ("This chat has ended; start a new one.", 1008)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("not json", "That frame is not JSON."),
        ("[1, 2]", "A frame is a JSON object."),
        (b"\x00binary", "Send JSON text frames of at most 64 KB."),
        (json.dumps({"type": "message", "text": "x" * 70_000}), "at most 64 KB"),
        (json.dumps({"type": "dance"}), "type: use message, typing or read."),
        ("[" * 5000 + "]" * 5000, "That frame is not JSON."),
        ('{"type": "message", "type": "read"}', "That frame gives 'type' twice."),
    ],
)
def test_a_malformed_frame_closes_that_connection_and_nothing_else(
    app: Flask, server: str, frame: str | bytes, reason: str
) -> None:
    ada = Customer(app.test_client())
    agent = signed_in(app, "sam@example.com")
    with open_socket(server) as bystander, open_socket(server) as ws:
        hello(bystander, ada)
        hello(ws, ada)
        ws.send(frame)
        said, code = closed_with(ws)
        assert reason in said and code == 1008
        desk_send(agent, ada.id, "Still here")
        assert [m["text"] for m in messages(bystander, 2)][-1] == "Still here"


def test_a_bad_message_is_answered_and_the_connection_stays(app: Flask, server: str) -> None:
    ada = Customer(app.test_client())
    with open_socket(server) as ws:
        hello(ws, ada)
        ws.send(json.dumps({"type": "message", "text": "   "}))
        assert receive(ws) == {"type": "error", "message": "Write a message.", "field": "text"}
        for mark in ("all", 2**70):  # a read mark's mistake is named too, and the chat goes on
            ws.send(json.dumps({"type": "read", "up_to": mark}))
            assert receive(ws) == {"type": "error", "message": "up_to: use a message id.",
                                   "field": "up_to"}  # fmt: skip
        pasted = "log line\n" * 2500  # 22,500 characters, 25 KB of JSON: named, not cut off
        ws.send(json.dumps({"type": "message", "text": pasted, "client_id": "big1"}))
        assert receive(ws) == {"type": "error", "message": "Use at most 5,000 characters.",
                               "field": "text"}  # fmt: skip
        longest = "\U0001f600" * 5000  # the longest message, in its longest JSON, is taken
        ws.send(json.dumps({"type": "message", "text": longest, "client_id": "max1"}))
        got = receive(ws)
        assert got["type"] == "message", got
        assert got["message"]["text"] == longest
        for wrong in (None, 12, ["hi"]):  # never stored as "None", "12" or "['hi']"
            ws.send(json.dumps({"type": "message", "text": wrong}))
            assert receive(ws)["field"] == "text"
        ws.send(json.dumps({"type": "message", "text": "Now a real one", "client_id": "ok-1"}))
        assert [m["text"] for m in messages(ws, 1)] == ["Now a real one"]


def test_a_flood_of_frames_closes_the_connection(app: Flask, server: str) -> None:
    ada = Customer(app.test_client())
    with open_socket(server) as ws:
        hello(ws, ada)
        # The server may close while frames are still going out: sending then stops.
        with contextlib.suppress(ConnectionClosed):
            for _ in range(chat_socket.RATE + 5):
                ws.send(json.dumps({"type": "typing"}))
        said, code = closed_with(ws)
        assert "Too many" in said and code == 1008


def test_a_socket_that_never_says_hello_is_closed(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_socket, "HELLO_TIMEOUT", 0.5)
    with open_socket(server) as ws:
        said, code = closed_with(ws)
    assert "Nothing was sent" in said and code == 1008


def _flood(app: Flask, chat_id: int, count: int) -> None:
    """Store `count` long agent messages at once, then announce them."""
    with state(app).db.write("eur") as session:
        chat = get_chat(session, chat_id)
        for n in range(count):
            post_text(session, chat, f"{n:05d} " + "x" * 4000)
    announce(state(app).events, "eur", chat_id, "message")


@pytest.mark.serial  # its time bounds hold on a machine doing nothing else
def test_a_client_that_stops_reading_holds_up_nobody_else(
    app: Flask, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_socket, "SEND_TIMEOUT", 1.0)
    endings: list[tuple[str, float]] = []  # how each socket's handler ended, and when
    serve = chat_socket.ChatSocket.serve

    def watched(self: chat_socket.ChatSocket) -> None:
        try:
            serve(self)
            endings.append(("returned", time.monotonic()))
        except BaseException as exc:
            endings.append((type(exc).__name__, time.monotonic()))
            raise

    monkeypatch.setattr(chat_socket.ChatSocket, "serve", watched)
    ada = Customer(app.test_client())
    host, port = server.removeprefix("ws://").split(":")
    stuck_sock = net.create_connection((host, int(port)))
    stuck_sock.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, 4096)
    # Uncompressed, and max_queue=1: the client stops taking frames off the wire at once.
    with open_socket(server, sock=stuck_sock, max_queue=1, compression=None) as stuck, \
            open_socket(server) as reader:  # fmt: skip
        hello(stuck, ada)
        hello(reader, ada)
        started = time.monotonic()
        _flood(app, ada.id, 1500)  # 6 MB: more than the kernel buffers hold
        got = messages(reader, 1500, timeout=30)
        assert [m["text"][:5] for m in got] == [f"{n:05d}" for n in range(1500)]
        assert time.monotonic() - started < 15
        deadline = time.monotonic() + 10  # the stuck socket's send times out: it is dropped
        while not endings and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [how for how, _at in endings] == ["TimeoutError"]
        assert endings[0][1] - started < 8
        desk_send(signed_in(app, "sam@example.com"), ada.id, "Still going")
        assert [m["text"] for m in messages(reader, 2)][-1] == "Still going"


def test_the_socket_holds_no_database_connection_while_it_waits(app: Flask, server: str) -> None:
    chats = [Customer(app.test_client()) for _ in range(3)]  # each open in PER_CHAT tabs
    pool = state(app).db.engine.pool
    assert isinstance(pool, QueuePool)
    idle_before = pool.checkedout()
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(open_socket(server)) for _ in range(3 * PER_CHAT)]
        for index, ws in enumerate(sockets):
            hello(ws, chats[index // PER_CHAT])
        time.sleep(0.3)
        assert pool.checkedout() == idle_before
        agent: FlaskClient = signed_in(app, "sam@example.com")
        for customer in chats:
            desk_send(agent, customer.id, "To all tabs")
        for ws in sockets:
            assert messages(ws, 2)[-1]["text"] == "To all tabs"


def test_one_address_holds_a_bounded_number_of_sockets_and_others_are_answered(
    app: Flask, server: str
) -> None:
    """A client opening socket after socket (without a token, or never saying hello) would
    hold every thread of a worker. Past PER_ADDRESS the next is refused at once, and one
    given back lets the next in."""
    ada = Customer(app.test_client())
    http = server.replace("ws://", "http://")
    with contextlib.ExitStack() as stack:
        held = [stack.enter_context(open_socket(server)) for _ in range(PER_ADDRESS)]
        counts, deadline = app.extensions["intake.held"], time.monotonic() + 10
        while counts.held_by("127.0.0.1") < PER_ADDRESS:  # each handler has taken its place
            assert time.monotonic() < deadline, counts.held_by("127.0.0.1")
            time.sleep(0.02)
        with open_socket(server) as extra:
            message, code = closed_with(extra)
        assert code == 1008 and f"At most {PER_ADDRESS} live connections" in message
        assert urllib.request.urlopen(f"{http}/healthz", timeout=5).status == 200
        held[0].close()  # its handler ends: nothing was said
        deadline = time.monotonic() + 5
        while True:
            with open_socket(server) as again:
                again.send(json.dumps({"type": "hello", "session": ada.id, "token": ada.token,
                                       "after": 0}))  # fmt: skip
                if receive(again)["type"] == "session":
                    break
            assert time.monotonic() < deadline, "no socket let in after one was given back"
            time.sleep(0.1)


def test_held_sockets_in_all_leave_threads_for_everyone_else(app: Flask, server: str) -> None:
    """A few addresses together may not hold every thread either: past the process's cap
    (three quarters of gunicorn's threads) the next socket is refused, and health answers."""
    counts = app.extensions.setdefault("intake.held", HeldConnections(PER_ADDRESS))
    for threads, cap in ((100, 75), (8, 6), (1, 1), (5, 3)):
        limit_held(app, threads)
        assert counts.total == cap, threads
    # An agent's desk streams count in all too, though not against their address.
    team = HeldConnections(PER_ADDRESS, total=2)
    team.take("10.0.0.9", per_address=False)
    team.take("10.0.0.9", per_address=False)
    with pytest.raises(TooMany):
        team.take("10.0.0.1")
    http = server.replace("ws://", "http://")
    try:
        with contextlib.ExitStack() as stack:
            counts.take("10.0.0.5")  # another address holds two of the three
            counts.take("10.0.0.5")
            stack.callback(counts.give_back, "10.0.0.5")
            stack.callback(counts.give_back, "10.0.0.5")
            stack.enter_context(open_socket(server))
            deadline = time.monotonic() + 10
            while counts.held_by("127.0.0.1") < 1:
                assert time.monotonic() < deadline, counts.held_by("127.0.0.1")
                time.sleep(0.02)
            with open_socket(server) as extra:
                message, code = closed_with(extra)
            assert code == 1008 and "holds as many live connections as it can" in message
            assert urllib.request.urlopen(f"{http}/healthz", timeout=5).status == 200
    finally:
        counts.total = None


def test_messages_by_socket_and_by_http_share_one_allowance_per_address(
    app: Flask, server: str
) -> None:
    """30 a minute, however sent: reconnecting the socket starts no fresh count."""
    ada = Customer(app.test_client())
    stored = 0
    for connection in range(2):  # each connection sends 15: under its own 20 per 10 s
        with open_socket(server) as ws:
            hello(ws, ada)
            for n in range(15):
                ws.send(json.dumps({"type": "message", "text": f"m{connection}-{n}",
                                    "client_id": f"c{connection}-{n}"}))  # fmt: skip
            stored += len(messages(ws, 15))
    assert stored == 30
    with open_socket(server) as ws:
        hello(ws, ada)
        ws.send(json.dumps({"type": "message", "text": "one too many", "client_id": "x"}))
        frame = receive(ws)
        while frame["type"] != "error":
            frame = receive(ws)
        assert frame == {"type": "error", "field": "text",
                         "message": "Too many messages at once; wait a minute."}  # fmt: skip
    assert ada.call("POST", "/messages", json={"text": "by HTTP"}).status_code == 429
    assert len(ada.messages()) == 30


def test_the_reader_reads_no_further_ahead_of_a_busy_handler() -> None:
    """While the handler is busy sending (to a client that does not read), the client's
    frames stay in its TCP buffers: the reader takes no more than READ_AHEAD frames."""
    ours, theirs = net.socketpair()
    with ours, theirs:

        class Busy:
            connected = True
            input_buffer: list[str] = ["frame"] * chat_socket.READ_AHEAD

        frames = chat_socket.WholeFrames(ours, Busy())
        theirs.sendall(b"more")
        read: list[bytes] = []
        reader = threading.Thread(target=lambda: read.append(frames.recv(16)))
        reader.start()
        reader.join(0.5)
        assert reader.is_alive() and not read  # waiting, not reading
        Busy.input_buffer.pop()  # the handler took one
        reader.join(5)
        assert read == [b"more"]


def test_a_broken_handshake_is_the_clients_error_named_not_a_failure(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = server.removeprefix("ws://").split(":")
    upgrade = f"Connection: Upgrade\r\nUpgrade: websocket\r\nOrigin: {SITE}\r\n"
    for headers in ("Sec-WebSocket-Version: 13\r\n",  # no key
                    "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    ):  # fmt: skip
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(f"GET /chat/eur/socket HTTP/1.1\r\nHost: {host}:{port}\r\n{upgrade}"
                        f"{headers}\r\n".encode())  # fmt: skip
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), head
        error = json.loads(body)["error"]
        assert error["message"].startswith("This is no WebSocket handshake:"), error
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_socket_of_a_customer_erased_meanwhile_is_closed(app: Flask, server: str) -> None:
    ada = Customer(app.test_client())
    with open_socket(server) as ws:
        hello(ws, ada)
        erase_customer(state(app).db, state(app).files, "eur", "ada@example.com", None)
        ws.send(json.dumps({"type": "message", "text": "Still there?", "client_id": "x1"}))
        assert closed_with(ws) == ("Not found.", 1008)


def test_caps_on_live_connections_leave_room_for_everyone() -> None:
    """One address may hold a quarter of a process's cap at most (five addresses took every
    connection there was), IPv6 counted by /64 (one machine holds all of it)."""
    for total, cap in ((None, PER_ADDRESS), (75, PER_ADDRESS), (15, 3), (4, 2)):
        assert HeldConnections(PER_ADDRESS, total=total).address_cap == cap, total
    counts = HeldConnections(PER_ADDRESS, total=15)
    for host in range(3):
        counts.take(f"2001:db8:1:2::{host + 1}")  # one /64, three addresses
    with pytest.raises(TooMany, match="At most 3 live connections at once from one address"):
        counts.take("2001:db8:1:2:ffff::9")
    counts.take("2001:db8:1:3::1")  # the next /64 is someone else


def test_one_chat_holds_a_bounded_number_of_sockets(app: Flask, server: str) -> None:
    """A chat's token alone opened sockets without end; its tabs need a few."""
    ada = Customer(app.test_client())
    with contextlib.ExitStack() as stack:
        for _ in range(PER_CHAT):
            hello(stack.enter_context(open_socket(server)), ada)
        with open_socket(server) as extra:
            extra.send(json.dumps({"type": "hello", "session": ada.id, "token": ada.token,
                                   "after": 0}))  # fmt: skip
            message, code = closed_with(extra)
        assert code == 1008 and f"At most {PER_CHAT} live connections at once to one chat" in (
            message)  # fmt: skip


def test_a_message_sent_right_behind_the_hello_is_answered_at_once(
    app: Flask, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The widget sends its hello and what waited to be sent in one go: a frame read with the
    hello, whose wake the hello's read spent, is answered at once, not at the next beat."""
    hello_read = chat_socket.ChatSocket.hello

    def hello_then_the_next_frame_read(socket: chat_socket.ChatSocket) -> None:
        hello_read(socket)
        deadline = time.monotonic() + 2
        while not socket.ws.input_buffer and time.monotonic() < deadline:
            time.sleep(0.005)
        socket.ws.event.clear()  # as when both frames came in before the hello's read woke

    monkeypatch.setattr(chat_socket.ChatSocket, "hello", hello_then_the_next_frame_read)
    monkeypatch.setattr(chat_socket, "HEARTBEAT", 15.0)  # the live server's is short
    ada = Customer(app.test_client())
    with open_socket(server) as ws:
        ws.send(json.dumps({"type": "hello", "session": ada.id, "token": ada.token}))
        ws.send(json.dumps({"type": "message", "text": "Typed offline", "client_id": "o-1"}))
        assert receive(ws)["type"] == "session"
        assert [m["text"] for m in messages(ws, 1, timeout=3)] == ["Typed offline"]


def test_a_socket_closed_under_the_handler_is_no_server_failure(
    server: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A frame over the socket's size makes simple-websocket close the connection itself; the
    handler's next send then meets a closed protocol: the client's doing, not a fault to log
    with a traceback (anyone could fill the log so)."""

    def closed_by_the_socket(_socket: chat_socket.ChatSocket) -> None:
        raise LocalProtocolError("Connection cannot be closed in state CLOSED")

    monkeypatch.setattr(chat_socket.ChatSocket, "serve", closed_by_the_socket)
    with caplog.at_level(logging.ERROR), open_socket(server) as ws:
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            ws.recv(timeout=1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
