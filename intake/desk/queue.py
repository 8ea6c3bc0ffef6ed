"""The queue: filters in the URL, saved views, bulk actions, live updates, notifications."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Response, jsonify, redirect, render_template, request, url_for
from sqlalchemy import delete, select

from intake.agents.accounts import active_agents, groups
from intake.desk import auth
from intake.desk.blueprint import bp
from intake.desk.forms import BulkForm, EmptyForm, SavedViewForm
from intake.desk.live import desk_stream
from intake.desk.signin import safe_desk_target
from intake.errors import IntakeError, InvalidInput
from intake.events.presence import STATES
from intake.models import Agent, SavedView, SupportTicket, TicketStatus
from intake.state import state
from intake.tickets.bulk import bulk_action
from intake.tickets.changes import CREATED, UPDATED, ticket_changed
from intake.tickets.notify import mark_read, unread
from intake.tickets.queue import QueueFilter, parse_filter, queue_page
from intake.tickets.rules import ID_MAX, is_row_id
from intake.web.error_handlers import status_of
from intake.web.form_fields import choices
from intake.web.json import request_json_object
from intake.web.notes import flash
from intake.web.tenancy import desk_settings, tenant, tenant_session


def _saved_views(agent: Agent) -> list[SavedView]:
    query = select(SavedView).where(SavedView.agent_id == agent.id).order_by(SavedView.name)
    return list(tenant_session().scalars(query))


@bp.route("/", methods=["GET"])
def queue() -> Any:
    """Show one page of the queue as the URL's filters select it."""
    return _queue(request.args)


def _queue(
    args: Mapping[str, str], problem: str = "", status: int = 200,
    picked: Collection[int] = (), bulk: BulkForm | None = None,
) -> Any:  # fmt: skip
    """The queue's page for these filters; sent back from a refused bulk action, it says why
    and keeps the tickets ticked and the action chosen."""
    agent = auth.agent()
    try:
        view = parse_filter(args)
    except InvalidInput as exc:
        view, problem, status = QueueFilter(), exc.message, 400
    page = queue_page(tenant_session(), view, agent)
    team = {a.id: a for a in active_agents(tenant_session())}
    context = {
        "page": page, "view": view, "team": team, "groups": groups(tenant_session()),
        "opened": state().presence.tickets_open(tenant().id), "problem": problem,
        "picked": set(picked),
        "present": state().presence.agents(tenant().id),
        "statuses": ["active", *(s.value for s in TicketStatus), "all"],
    }  # fmt: skip
    if request.headers.get("X-Desk-Fragment") == "rows":
        return render_template("desk/queue_rows.html", **context), status
    if bulk is None:
        bulk = BulkForm(back=request.full_path)
    bulk.assignee.choices = choices((str(a.id), a.name) for a in team.values())
    return render_template(
        "desk/queue.html", **context, bulk=bulk, saved=_saved_views(agent),
        save_form=SavedViewForm(query=view.query_string(page=1)), empty=EmptyForm(),
    ), status  # fmt: skip


@bp.route("/views", methods=["POST"])
def save_view() -> Any:
    """Keep the current filters under a name (replacing a view of that name)."""
    form = SavedViewForm()
    if not form.validate_on_submit():
        field, messages = next(iter(form.errors.items()))
        label = getattr(form, field).label.text if field != "csrf_token" else "The form"
        raise InvalidInput(f"{label}: {messages[0]}", field)
    # Decoded, checked and written again as the queue writes its links: what is kept is a
    # query the queue reads, whatever the browser sent (escapes, line breaks, unknown keys).
    sent = dict(parse_qsl(form.query.data or "", keep_blank_values=True))
    query = parse_filter(sent).query_string(page=1)
    agent = auth.agent()
    with state().db.write(tenant().id) as session:
        existing = session.scalars(select(SavedView).where(
            SavedView.agent_id == agent.id, SavedView.name == form.name.data)).first()  # fmt: skip
        view = existing or SavedView(agent_id=agent.id, name=form.name.data or "")
        view.query = query
        session.add(view)
    return redirect(url_for("desk.queue") + ("?" + query if query else ""), 303)


@bp.route("/views/<int:view_id>/delete", methods=["POST"])
def delete_view(view_id: int) -> Any:
    """Forget one of the agent's saved views."""
    if EmptyForm().validate_on_submit():
        with state().db.write(tenant().id) as session:
            mine = SavedView.agent_id == auth.agent().id
            session.execute(delete(SavedView).where(SavedView.id == view_id, mine))
    return redirect(url_for("desk.queue"), 303)


@bp.route("/bulk", methods=["POST"])
def bulk() -> Any:
    """Apply one action to the selected tickets: all of them, or none if one cannot take it."""
    form = BulkForm()
    form.assignee.choices = choices((str(a.id), a.name) for a in active_agents(tenant_session()))
    form.status.validate_choice = request.form.get("action") == "status"  # only when it is used
    ids = [int(i) for i in request.form.getlist("ticket") if is_row_id(i)]
    back = safe_desk_target(form.back.data or "")
    try:
        if not form.validate_on_submit():
            if "csrf_token" in form.errors or not form.errors:
                raise InvalidInput("The form has expired; reload the queue and try again.",
                                   "action")  # fmt: skip
            field, messages = next(iter(form.errors.items()))  # a field's own mistake, by name
            raise InvalidInput(f"{getattr(form, field).label.text}: {messages[0]}", field)
        with state().db.write(tenant().id) as session:
            changed = bulk_action(session, auth.agent(), ids, form.action.data or "", {
                "assignee": form.assignee.data or "", "status": form.status.data or "",
                "tag": form.tag.data or "", "into": form.into.data or ""},
                desk_settings())  # fmt: skip
    except IntakeError as exc:
        if status_of(exc) == 500:
            raise
        query = dict(parse_qsl(urlsplit(back).query))  # the queue as the agent saw it
        return _queue(query, exc.message, status_of(exc), ids, form)
    for ticket_id in changed:
        ticket_changed(state().events, tenant().id, ticket_id, "bulk",
                       customer_sees=form.action.data in ("status", "merge"))  # fmt: skip
    count = len(changed)
    flash(f"{count} ticket{'' if count == 1 else 's'} changed.")
    return redirect(back, 303)


@bp.route("/stream", methods=["GET"])
def stream() -> Response:
    """Tell the open queue when tickets arrive or change, and who opens which."""
    return desk_stream([CREATED, UPDATED, "presence.viewing", "presence.typing"], None)


@bp.route("/presence", methods=["POST"])
def presence() -> Any:
    """Hear what the agent's page is doing (online, away, viewing or typing in a ticket)."""
    data = request_json_object()  # desk.js sends JSON: a key twice or another type is named
    what, ticket = data.get("state"), data.get("ticket_id")
    if what not in STATES:
        raise InvalidInput("state: use online, away, viewing or typing.", "state")
    if not (ticket is None or (type(ticket) is int and 1 <= ticket <= ID_MAX)):
        raise InvalidInput("ticket_id: use a ticket's id.", "ticket_id")
    agent = auth.agent()
    state().presence.announce(tenant().id, agent.id, agent.name, str(what), ticket)
    return "", 204


@bp.route("/notifications", methods=["GET"])
def notifications() -> Any:
    """List the agent's unread notifications."""
    session = tenant_session()
    items = unread(session, auth.agent())
    ids = {n.ticket_id for n in items}
    tickets = {t.id: t for t in session.scalars(select(SupportTicket)
                                                .where(SupportTicket.id.in_(ids)))}  # fmt: skip
    return render_template("desk/notifications.html", items=items, tickets=tickets,
                           empty=EmptyForm())  # fmt: skip


@bp.route("/notifications/read", methods=["POST"])
def notifications_read() -> Any:
    """Mark every notification read."""
    if EmptyForm().validate_on_submit():
        with state().db.write(tenant().id) as session:
            mark_read(session, auth.agent())
    return redirect(url_for("desk.notifications"), 303)


@bp.route("/team", methods=["GET"])
def team() -> Any:
    """Return who of the team is online or away (for the desk's header), as JSON."""
    present = state().presence.agents(tenant().id)
    people = [{"id": a.id, "name": a.name, "state": present.get(a.id, "offline")}
              for a in active_agents(tenant_session())]  # fmt: skip
    return jsonify({"agents": people})
