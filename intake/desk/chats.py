"""The desk's chat inbox: waiting chats by arrival, chats in progress, one chat at a time or
several, join, hand over, close, turn into a ticket."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from intake.agents.accounts import active_agents
from intake.chat.announce import announce, announce_inbox, announce_turn
from intake.chat.messages import (
    PAGE,
    message_json,
    message_position,
    message_position_text,
    messages_after,
    names_of,
    post_text,
)
from intake.chat.sessions import (
    INBOX_TOPIC,
    active_with_agents,
    check_holder,
    close_chat,
    customers_chats,
    get_chat,
    hand_over,
    join,
    mark_read,
    recently_ended,
    topic,
    waiting,
    waiting_count,
)
from intake.chat.tickets import convert_chat
from intake.db import TenantSession
from intake.db.addresses import same_address
from intake.desk import auth
from intake.desk.blueprint import bp
from intake.desk.forms import ChatHandOverForm, ChatMessageForm, EmptyForm
from intake.desk.live import desk_stream
from intake.errors import Conflict, InvalidInput, NotFound
from intake.kb.search import suggest
from intake.models import (
    Agent,
    CannedResponse,
    ChatMessage,
    ChatSession,
    ChatStatus,
    SupportTicket,
    utcnow,
)
from intake.state import state
from intake.tickets.canned import fill_chat, tickets_only
from intake.tickets.rules import is_row_id
from intake.web.form_fields import choices
from intake.web.json import request_json_object
from intake.web.notes import flash
from intake.web.tenancy import brand, release_session, tenant, tenant_session
from intake.web.uploads import send_stored, stored_chat_file


def _announce(chat_id: int, what: str, **data: Any) -> None:
    announce(state().events, tenant().id, chat_id, what, **data)


def _inbox_changed(chat_id: int) -> None:
    announce_inbox(state().events, tenant().id, chat_id)


def _messages(chat: ChatSession, after: int = 0) -> list[dict[str, Any]]:
    session = tenant_session()
    found = messages_after(session, chat.id, after)
    names = names_of(session, found)
    base = url_for("desk.chat_file", chat_id=chat.id, message_id=0)[:-2]
    return [message_json(m, chat, names, base) for m in found]


@bp.route("/chats", methods=["GET"])
def chats() -> Any:
    """Waiting chats in order of arrival with how long each has waited; chats in progress."""
    session = tenant_session()
    team = {a.id: a for a in active_agents(session)}
    context = {"waiting": waiting(session), "active": active_with_agents(session), "team": team,
               "ended": recently_ended(session),
               "present": state().presence.agents(tenant().id), "empty": EmptyForm(),
               "now": utcnow()}  # fmt: skip
    if request.headers.get("X-Desk-Fragment") == "rows":
        return render_template("desk/chats_rows.html", **context)
    return render_template("desk/chats.html", **context)


@bp.route("/chats/waiting.json", methods=["GET"])
def chats_waiting() -> Response:
    """How many customers wait in a chat: every desk page's menu shows it, kept live."""
    return jsonify({"waiting": waiting_count(tenant_session())})


@bp.route("/chats/stream", methods=["GET"])
def chats_stream() -> Response:
    """Tell the open inbox when chats arrive, are joined or end."""
    return desk_stream([INBOX_TOPIC], None)


def _present() -> dict[int, str] | None:
    """Return who has the desk open, or None while this process cannot know yet (it began to
    listen less than a page's beat ago)."""
    board = state().presence
    return board.agents(tenant().id) if board.heard_everyone(tenant().id) else None


def _colleagues(session: TenantSession, me: Agent) -> list[Any]:
    """Return the hand-over choices: the colleagues who have the desk open (a chat handed to
    someone who has not would wait unseen), those away marked so; every colleague while who
    is present is not known yet."""
    present = _present()
    return choices(
        (str(a.id), a.name if present is None or present[a.id] == "online"
         else f"{a.name} (away)")
        for a in active_agents(session)
        if a.id != me.id and (present is None or a.id in present)
    )  # fmt: skip


def _chat_page(chat_id: int, status: int = 200, form: ChatMessageForm | None = None) -> Any:
    session = tenant_session()
    chat = get_chat(session, chat_id)
    agent = auth.agent()
    form = form or ChatMessageForm()
    canned = list(session.scalars(select(CannedResponse).order_by(CannedResponse.title)))
    chosen = request.args.get("canned", "")
    if chosen.isascii() and chosen.isdigit() and not form.text.data:
        picked = next((c for c in canned if c.id == int(chosen)), None)
        lacking = tickets_only(picked.body) if picked is not None else []
        if picked is not None and lacking:  # sent as is, the customer would read the braces
            names = " and ".join(f"{{{name}}}" for name in lacking)
            form.text.errors = [f"\u201c{picked.title}\u201d uses {names}, which only a ticket"
                                " has: write this answer yourself."]  # fmt: skip
            status = 400
        elif picked is not None:
            form.text.data = fill_chat(picked.body, chat, agent)
    hand = ChatHandOverForm()
    hand.agent.choices = _colleagues(session, agent)
    kb_query = request.args.get("kbq", "")[:200]
    others = customers_chats(session, chat.customer_email or "", chat.id)
    tickets = list(session.scalars(select(SupportTicket).where(
        same_address(SupportTicket.customer_email, chat.customer_email or "")).order_by(
        SupportTicket.id.desc()).limit(10)))  # fmt: skip
    messages = _messages(chat)
    joined = session.get(Agent, chat.agent_id) if chat.agent_id else None
    made = session.get(SupportTicket, chat.ticket_id) if chat.ticket_id else None
    found = suggest(tenant().id, kb_query, state().config.build_dir, limit=8) if kb_query else []
    return render_template(
        "desk/chat.html", chat=chat, messages=messages, form=form, hand=hand, canned=canned,
        empty=EmptyForm(), others=others, tickets=tickets, mine=chat.agent_id == agent.id,
        agent_name=joined.name if joined else None,
        kb_query=kb_query, site_base=tenant().absolute(""), kb_found=found,
        last_id=messages[-1]["id"] if messages else 0,
        ticket_reference=made.reference if made else None,
    ), status  # fmt: skip


@bp.route("/chats/<int:chat_id>", methods=["GET"])
def chat(chat_id: int) -> Any:
    """One chat: the conversation, the reply box, and the customer's other tickets and chats."""
    return _chat_page(chat_id)


@bp.route("/chats/<int:chat_id>/messages.json", methods=["GET"])
def chat_messages(chat_id: int) -> Response:
    """Return the chat's messages after ?after=N (the page's script appends them)."""
    after = message_position_text(request.args.get("after", "0") or "0", "after")
    chat = get_chat(tenant_session(), chat_id)
    found = _messages(chat, after)
    return jsonify({"messages": found, "more": len(found) == PAGE, "status": chat.status.value,
                    "customer_read_up_to": chat.customer_read_up_to})  # fmt: skip


@bp.route("/chats/<int:chat_id>/messages", methods=["POST"])
def chat_send(chat_id: int) -> Any:
    """Send the agent's message (joining the chat if nobody has)."""
    form = ChatMessageForm()
    if not form.validate_on_submit():
        return _chat_page(chat_id, 400, form)
    agent = auth.agent()
    try:
        with state().db.write(tenant().id) as session:
            found = get_chat(session, chat_id, lock=True)  # one implicit join at a time
            if found.status != ChatStatus.active:
                raise Conflict("This chat has ended.", "text")
            # Sent from a page that showed it waiting (or another agent's): someone took it
            # since, and the customer would read two agents answering at once.
            check_holder(session, found, request.form.get("holder"), session.merge(agent))
            joined = found.agent_id is None
            if joined:
                join(session, found, session.merge(agent))
            message, _new = post_text(session, found, form.text.data or "", session.merge(agent))
            message_id = message.id
    except (InvalidInput, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 400
        if request.headers.get("X-Requested-With") == "fetch":  # the page's script says it
            return jsonify({"error": {"message": exc.message, "field": exc.field}}), status
        form.text.errors = [exc.message]
        return _chat_page(chat_id, status, form)
    if joined:
        _announce(chat_id, "session")
        _inbox_changed(chat_id)
    _announce(chat_id, "message", message_id=message_id)
    if request.headers.get("X-Requested-With") == "fetch":
        return jsonify({"id": message_id}), 201
    return redirect(url_for("desk.chat", chat_id=chat_id) + "#reply", 303)


@bp.route("/chats/<int:chat_id>/join", methods=["POST"])
def chat_join(chat_id: int) -> Any:
    """Take the chat."""
    if EmptyForm().validate_on_submit():
        try:
            with state().db.write(tenant().id) as session:
                chat, me = get_chat(session, chat_id, lock=True), session.merge(auth.agent())
                check_holder(session, chat, request.form.get("holder"), me)
                join(session, chat, me)
        except Conflict as exc:  # lost a race: said on the chat's page, not an error page
            flash(exc.message, "error")
        else:
            announce_turn(state().events, tenant().id, chat_id)
            flash("You have this chat now.")
    return redirect(url_for("desk.chat", chat_id=chat_id), 303)


@bp.route("/chats/<int:chat_id>/handover", methods=["POST"])
def chat_hand_over(chat_id: int) -> Any:
    """Pass the chat to another agent of the team."""
    form = ChatHandOverForm()
    chosen = form.agent.data or ""
    present = _present()
    if form.validate_on_submit():
        try:
            if not is_row_id(chosen):  # "٢" or "²" is no agent's id
                raise InvalidInput("Choose an active agent of this team.", "agent")
            with state().db.write(tenant().id) as session:
                chat, me = get_chat(session, chat_id, lock=True), session.merge(auth.agent())
                check_holder(session, chat, request.form.get("holder"), me)
                to = hand_over(session, chat, me, int(chosen), present)
                name, to_id = to.name, to.id
                note = f"{me.name} handed you the chat with {chat.customer_name}."
        except (Conflict, InvalidInput) as exc:
            flash(exc.message, "error")
        else:
            announce_turn(state().events, tenant().id, chat_id, handed_to=to_id, note=note)
            flash(f"Handed over to {name}.")
    return redirect(url_for("desk.chat", chat_id=chat_id), 303)


@bp.route("/chats/<int:chat_id>/close", methods=["POST"])
def chat_close(chat_id: int) -> Any:
    """End the chat."""
    if EmptyForm().validate_on_submit():
        try:
            with state().db.write(tenant().id) as session:
                chat, me = get_chat(session, chat_id, lock=True), session.merge(auth.agent())
                if chat.status == ChatStatus.active:  # from a page older than a hand-over: no
                    check_holder(session, chat, request.form.get("holder"), me)
                ended = close_chat(session, chat, me)
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("desk.chat", chat_id=chat_id), 303)
        if ended:
            announce_turn(state().events, tenant().id, chat_id)
        flash("The chat has ended." if ended else "The chat had ended already.")
    return redirect(url_for("desk.chat", chat_id=chat_id), 303)


@bp.route("/chats/<int:chat_id>/ticket", methods=["POST"])
def chat_ticket(chat_id: int) -> Any:
    """Turn the chat into a ticket, its transcript as the first message."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("desk.chat", chat_id=chat_id), 303)
    release_session()
    current = state()
    ticket = convert_chat(current.db, current.writer, current.files, brand(), tenant().id, chat_id)
    _announce(chat_id, "message")  # the chat's note of its ticket
    return redirect(url_for("desk.ticket", reference=ticket.reference), 303)


@bp.route("/chats/<int:chat_id>/typing", methods=["POST"])
def chat_typing(chat_id: int) -> tuple[str, int]:
    """Tell the customer an agent is typing."""
    get_chat(tenant_session(), chat_id)
    agent = auth.agent()
    _announce(chat_id, "typing", who="agent", name=agent.name, agent_id=agent.id)
    return "", 204


@bp.route("/chats/<int:chat_id>/read", methods=["POST"])
def chat_read(chat_id: int) -> tuple[str, int]:
    """Note how far the agents have read (the customer sees "read")."""
    data = request_json_object()  # desk.js sends JSON: a key twice or another type is named
    up_to = message_position(data.get("up_to"), "up_to")
    with state().db.write(tenant().id) as session:
        news = mark_read(get_chat(session, chat_id), "agent", up_to)
    if news:
        _announce(chat_id, "read", by="agent", up_to=up_to)
    return "", 204


@bp.route("/chats/<int:chat_id>/stream", methods=["GET"])
def chat_stream(chat_id: int) -> Response:
    """Tell the open chat page of new messages, the customer's typing and reading."""
    get_chat(tenant_session(), chat_id)
    return desk_stream([topic(chat_id, "")], None)


@bp.route("/chats/<int:chat_id>/files/<int:message_id>", methods=["GET"])
def chat_file(chat_id: int, message_id: int) -> Response:
    """Send a file of the chat: images shown, anything else downloaded."""
    item = tenant_session().get(ChatMessage, message_id)
    if item is None or item.session_id != chat_id or not item.stored_name:
        raise NotFound()
    return send_stored(tenant().id, stored_chat_file(item), inline=True)
