"""The widget's HTTP calls (docs/chat.md): open a chat, send and read, files, the end."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, jsonify, request

from intake.agents.accounts import clean_name
from intake.chat.announce import announce, announce_inbox, announce_turn
from intake.chat.lapse import answer_by_mail, customer_said_something
from intake.chat.messages import (
    PAGE,
    check_room_for_a_file,
    message_position,
    message_position_text,
    messages_after,
    names_of,
    post_file,
    post_text,
    whole_chat,
)
from intake.chat.sessions import close_chat, find_chat, mark_read, open_chat, topic
from intake.chat.tickets import offline_ticket
from intake.chat.transcript import transcript
from intake.errors import Conflict, InvalidInput, NotFound, TooMany
from intake.extensions import limiter
from intake.files import check_files, saved
from intake.live.blueprint import bp
from intake.live.common import bearer, chat_json, messages_json, shared
from intake.mail.outbox import enqueue
from intake.models import ChatMessage, TicketCategory, TicketPriority
from intake.state import state
from intake.tickets import rules
from intake.tickets.create import NewTicket
from intake.web.held import ended_by, held_for_chat, hold_connection
from intake.web.json import request_json_object
from intake.web.limits import accepts_files, limit_ticket_creation, may_mail
from intake.web.tenancy import brand, release_session, tenant
from intake.web.uploads import read_uploads, send_stored, stored_chat_file

LONG_POLL_MAX = 25.0


def _text(body: dict[str, Any], field: str) -> str:
    """Return a text field of a JSON body ("" when absent or null); anything but a string
    is refused, naming the field, rather than stored as its Python spelling ("None")."""
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{field}: send text (a JSON string).", field)
    return value or ""


def _int(value: str, field: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise InvalidInput(f"{field}: use a whole number.", field)
    return int(value)


@bp.route("/status", methods=["GET"])
def status() -> Response:
    """Say whether an agent is online, so the widget offers a chat or a message."""
    present = state().presence.agents(tenant().id)
    return jsonify({"agents_online": "online" in present.values()})


@bp.route("/sessions", methods=["POST"])
@limiter.limit("10 per hour")
def open_session() -> tuple[Response, int]:
    """Open a chat (name and email); answer its token, which only this browser keeps."""
    body = request_json_object()
    with state().db.write(tenant().id) as session:
        chat, token = open_chat(session, _text(body, "name"), _text(body, "email"))
        answer = {"session": chat_json(session, chat), "token": token}
    announce_inbox(state().events, tenant().id, chat.id)
    return jsonify(answer), 201


@bp.route("/sessions/<int:chat_id>", methods=["GET"])
def read_session(chat_id: int) -> Response:
    """Return the chat's state."""
    with state().db.read(tenant().id) as session:
        return jsonify({"session": chat_json(session, find_chat(session, chat_id, bearer()))})


@bp.route("/sessions/<int:chat_id>/messages", methods=["GET"])
def read_messages(chat_id: int) -> Response:
    """Return messages after ?after=N; with ?wait=S (long-polling) wait for the first new one."""
    token = bearer()
    after = message_position_text(request.args.get("after", "0") or "0", "after")
    wait = min(float(_int(request.args.get("wait", "0") or "0", "wait")), LONG_POLL_MAX)
    db, bus, tenant_id = state().db, state().events, tenant().id
    with db.read(tenant_id) as session:
        find_chat(session, chat_id, token)
    release_session()
    deadline = time.monotonic() + wait
    with (
        ended_by(hold_connection()),
        held_for_chat(tenant_id, chat_id),
        bus.subscribe(tenant_id, [topic(chat_id, "")]) as subscription,
    ):
        while True:
            with db.read(tenant_id) as session:
                chat = find_chat(session, chat_id, token)
                found = messages_after(session, chat_id, after)
                if found or time.monotonic() >= deadline:
                    return jsonify({"messages": messages_json(session, chat, found),
                                    "more": len(found) == PAGE,
                                    "session": chat_json(session, chat)})  # fmt: skip
            subscription.get(max(0.0, deadline - time.monotonic()))


@bp.route("/sessions/<int:chat_id>/messages", methods=["POST"])
@shared["message"]
def send_message(chat_id: int) -> tuple[Response, int]:
    """Store the customer's message (the same client_id again is the same message)."""
    token, body = bearer(), request_json_object()
    with state().db.write(tenant().id) as session:
        chat = find_chat(session, chat_id, token, writable=True)
        message, new = post_text(session, chat, _text(body, "text"), None,
                                 body.get("client_id"))  # fmt: skip
        answer = messages_json(session, chat, [message])[0]
    if new:
        announce(state().events, tenant().id, chat_id, "message", message_id=answer["id"])
    return jsonify({"message": answer}), 201


@bp.route("/sessions/<int:chat_id>/files", methods=["POST"])
@limiter.limit("10 per minute")
@accepts_files
def send_file_message(chat_id: int) -> tuple[Response, int]:
    """Store an image or a file (the ticket form's limits and content checks)."""
    token, config = bearer(), state().config
    files = check_files(read_uploads("file"), 1, config.max_attachment_bytes, field="file")
    if not files:
        raise InvalidInput("Attach a file.", "file")
    with state().db.read(tenant().id) as session:
        check_room_for_a_file(session, find_chat(session, chat_id, token, writable=True))
    with saved(state().files, tenant().id, files) as stored, \
            state().db.write(tenant().id) as session:  # fmt: skip
        chat = find_chat(session, chat_id, token, writable=True)
        check_room_for_a_file(session, chat)  # two at once: the database decides
        answer = messages_json(session, chat, [post_file(session, chat, stored[0])])[0]
    announce(state().events, tenant().id, chat_id, "message", message_id=answer["id"])
    return jsonify({"message": answer}), 201


@bp.route("/sessions/<int:chat_id>/files/<int:message_id>", methods=["GET"])
def read_file(chat_id: int, message_id: int) -> Response:
    """Send a file of the chat to its customer: images inline, anything else as a download."""
    with state().db.read(tenant().id) as session:
        find_chat(session, chat_id, bearer())
        item = session.get(ChatMessage, message_id)
    if item is not None and (item.session_id != chat_id or not item.stored_name):
        item = None
    if item is None:
        raise NotFound()
    return send_stored(tenant().id, stored_chat_file(item), inline=True)


@bp.route("/sessions/<int:chat_id>/typing", methods=["POST"])
@shared["typing"]
def typing(chat_id: int) -> tuple[str, int]:
    """Tell the agent the customer is typing."""
    with state().db.read(tenant().id) as session:
        find_chat(session, chat_id, bearer(), writable=True)
    announce(state().events, tenant().id, chat_id, "typing", who="customer")
    return "", 204


@bp.route("/sessions/<int:chat_id>/read", methods=["POST"])
@shared["read"]
def read(chat_id: int) -> tuple[str, int]:
    """Note how far the customer has read (for the agent's "read" mark)."""
    token, up_to = bearer(), message_position(request_json_object().get("up_to"), "up_to")
    with state().db.write(tenant().id) as session:
        news = mark_read(find_chat(session, chat_id, token), "customer", up_to)
    if news:
        announce(state().events, tenant().id, chat_id, "read", by="customer", up_to=up_to)
    return "", 204


@bp.route("/sessions/<int:chat_id>/close", methods=["POST"])
@limiter.limit("10 per minute")
def close(chat_id: int) -> Response:
    """The customer ends the chat."""
    with state().db.write(tenant().id) as session:
        chat = find_chat(session, chat_id, bearer())
        ended = close_chat(session, chat)
        answer = chat_json(session, chat)
    if ended:
        announce_turn(state().events, tenant().id, chat_id)
    return jsonify({"session": answer})


@bp.route("/sessions/<int:chat_id>/by-mail", methods=["POST"])
@limiter.limit("5 per hour")
@limit_ticket_creation  # a ticket like the form's, in the same allowance
def by_mail(chat_id: int) -> tuple[Response, int]:
    """No agent has joined and the customer would rather not wait: what they said becomes a
    ticket, answered by mail, and the chat ends saying so."""
    with state().db.read(tenant().id) as session:
        chat = find_chat(session, chat_id, bearer(), writable=True)
        if chat.agent_id is not None:
            raise Conflict("An agent has joined: they answer here.", "session")
        if not customer_said_something(session, chat_id):
            raise InvalidInput("Write your question first: it is what we answer by mail.", "text")
    release_session()
    current = state()
    why = "You chose an answer by mail, and the chat ended."
    if not answer_by_mail(current.db, current.writer, current.files, current.events, brand(),
                          tenant().id, chat_id, why):  # fmt: skip
        raise Conflict("An agent joined, or the chat ended, meanwhile.", "session")
    with current.db.read(tenant().id) as session:
        return jsonify({"session": chat_json(session, find_chat(session, chat_id, bearer()))}), 201


@bp.route("/sessions/<int:chat_id>/transcript", methods=["POST"])
@limiter.limit("5 per hour")
def mail_transcript(chat_id: int) -> tuple[Response, int]:
    """Mail the conversation to the customer's address."""
    with state().db.write(tenant().id) as session:
        chat = find_chat(session, chat_id, bearer())
        if not chat.customer_email:
            raise Conflict("This chat has no address to mail.", "session")
        if not may_mail(chat.customer_email):  # an address typed by anyone
            raise TooMany("Transcripts went to this address three times this hour; try again "
                          "later.", 3600)  # fmt: skip
        messages = whole_chat(session, chat_id)
        text = transcript(chat, messages, names_of(session, messages))
        enqueue(session, chat.customer_email, f"Your chat with {tenant().name}",
                f"{text}\n{tenant().name}\n")  # fmt: skip
    return jsonify({"queued": True}), 202


@bp.route("/offline", methods=["POST"])
@limiter.limit("5 per hour")
@limit_ticket_creation  # a ticket like the form's, in the same allowance
def leave_message() -> tuple[Response, int]:
    """No agent online: the customer's message becomes a ticket."""
    body = request_json_object()
    message = rules.trim(_text(body, "message"))
    if not rules.DESCRIPTION_MIN <= len(message) <= rules.DESCRIPTION_MAX:
        raise InvalidInput(f"Use {rules.DESCRIPTION_MIN} to {rules.DESCRIPTION_MAX:,} characters.",
                           "message")  # fmt: skip
    problem = rules.control_problem(message, multiline=True)
    if problem:
        raise InvalidInput(f"The message {problem}.", "message")
    name = clean_name(_text(body, "name"))
    first_line = " ".join(message.split())[: rules.SUBJECT_MAX - 20]
    data = NewTicket(name=name, email=rules.customer_address(_text(body, "email")),
                     subject=f"Chat message: {first_line}"[: rules.SUBJECT_MAX],
                     description=message, category=TicketCategory.general,
                     priority=TicketPriority.medium)  # fmt: skip
    ticket, _token = offline_ticket(state().writer, state().files, brand(), tenant().id, data)
    return jsonify({"reference": ticket.reference}), 201
