"""A ticket in the desk: its thread, replies and notes, fields, merging, live presence."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from intake.agents.accounts import active_agents, groups
from intake.desk import auth
from intake.desk.blueprint import bp
from intake.desk.forms import EmptyForm, FieldsForm, MergeForm, ReplyForm
from intake.desk.live import desk_stream
from intake.errors import Conflict, InvalidInput, NotFound
from intake.files import check_files, saved
from intake.kb.search import suggest
from intake.mail.inbound import accept_foreign_mail
from intake.models import (
    Agent,
    CannedResponse,
    SupportTicket,
    TicketCategory,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
)
from intake.state import state
from intake.tickets.agent_work import (
    Changes,
    change_fields,
    check_version,
    merge,
    reply,
    who_changed,
)
from intake.tickets.bulk import find_by_reference
from intake.tickets.canned import fill_in
from intake.tickets.changes import UPDATED, ticket_changed
from intake.tickets.loading import page_extras, ticket_by_reference
from intake.tickets.notify import mark_read
from intake.tickets.rules import is_row_id
from intake.web.form_fields import choices
from intake.web.limits import accepts_files
from intake.web.notes import flash
from intake.web.shared_edits import merge_edits, seen_values, show_clashes
from intake.web.tenancy import desk_settings, release_session, tenant, tenant_session
from intake.web.uploads import read_uploads, send_stored, stored_attachment


def _row_or_none(value: str | None, field: str, message: str) -> int | None:
    """Return a chosen row id, None for the empty choice; refuse anything else by name."""
    if not value:
        return None
    if not is_row_id(value):
        raise InvalidInput(message, field)
    return int(value)


def _field_values(form: FieldsForm) -> dict[str, Any]:
    """Return the Details form's values as the Changes they would make."""
    return {
        "status": TicketStatus(form.status.data), "priority": TicketPriority(form.priority.data),
        "category": TicketCategory(form.category.data),
        "tags": [t for t in (form.tags.data or "").split(",") if t.strip()],
        "group_id": _row_or_none(form.group.data, "group", "Choose a group."),
        "assignee_id": _row_or_none(form.assignee.data, "assignee", "Choose an agent."),
    }  # fmt: skip


# The Details form's fields and the Changes each makes.
_CHANGE_OF = {"status": "status", "priority": "priority", "category": "category", "tags": "tags",
              "group": "group_id", "assignee": "assignee_id"}  # fmt: skip


# The history's record of a change of each field: who changed it.
_EVENT_OF = {
    "status": TicketEventKind.status_changed,
    "priority": TicketEventKind.priority_changed,
    "category": TicketEventKind.category_changed,
    "tags": TicketEventKind.tags_changed,
    "group": TicketEventKind.group_changed,
    "assignee": TicketEventKind.assigned,
}


class _Clashes(Exception):
    """Fields another save changed too, to other values, since the page was shown."""

    def __init__(self, changed: dict[str, Any], keys: list[str], now: dict[str, str],
                 version: int, who: str) -> None:  # fmt: skip
        super().__init__(keys)
        self.changed, self.keys, self.now, self.version = changed, keys, now, version
        self.who = who


def _shown(ticket: SupportTicket) -> dict[str, str]:
    """Return the Details form's fields as the ticket's page shows them."""
    return {
        "status": ticket.status.value, "priority": ticket.priority.value,
        "category": ticket.category.value, "tags": ", ".join(ticket.tag_names),
        "group": str(ticket.group_id or ""), "assignee": str(ticket.assigned_agent_id or ""),
    }  # fmt: skip


def _fields_form(ticket: SupportTicket, form: FieldsForm | None = None) -> FieldsForm:
    shown = _shown(ticket)
    form = form or FieldsForm(**shown, version=str(ticket.version), seen=seen_values(shown))
    team = active_agents(tenant_session())
    form.group.choices = choices(
        [("", "No group")] + [(str(g.id), g.name) for g in groups(tenant_session())]
    )
    people = [(str(a.id), a.name) for a in team]
    gone = ticket.assigned_agent_id
    if gone is not None and all(a.id != gone for a in team):
        # Deactivated since: shown as the assignee still, so a save of other fields keeps them.
        former = tenant_session().get(Agent, gone)
        people.append((str(gone), f"{former.name if former else 'Agent'} (deactivated)"))
    form.assignee.choices = choices([("", "Unassigned"), *people])
    return form


def _page(reference: str, status: int = 200, **forms: Any) -> Any:
    """Render the ticket page (with the forms given, carrying their messages)."""
    session = tenant_session()
    ticket = ticket_by_reference(session, reference)
    extras = page_extras(session, ticket)
    team = {a.id: a for a in active_agents(session)}
    canned = list(session.scalars(select(CannedResponse).order_by(CannedResponse.title)))
    reply_form = forms.get("reply_form") or ReplyForm(version=str(ticket.version))
    chosen = request.args.get("canned", "")
    if chosen.isascii() and chosen.isdigit() and not reply_form.body.data:
        picked = next((c for c in canned if c.id == int(chosen)), None)
        if picked is not None:
            reply_form.body.data = fill_in(picked.body, ticket, auth.agent())
    viewers = [v for v in state().presence.on_ticket(tenant().id, ticket.id)
               if v.agent_id != auth.agent().id]  # fmt: skip
    kb_query = request.args.get("kbq", "")[:200]
    found = suggest(tenant().id, kb_query, state().config.build_dir, limit=8) if kb_query else []
    return render_template(
        "desk/ticket.html", ticket=ticket, extras=extras, team=team, canned=canned,
        reply_form=reply_form, fields_form=_fields_form(ticket, forms.get("fields_form")),
        merge_form=forms.get("merge_form") or MergeForm(version=str(ticket.version)),
        problem=forms.get("problem", ""), kb_query=kb_query, kb_found=found,
        viewers=viewers, viewers_json=[{"name": v.name, "state": v.state} for v in viewers],
        site_base=tenant().absolute(""), accept_form=EmptyForm(),
    ), status  # fmt: skip


@bp.route("/tickets/<reference>", methods=["GET"])
def ticket(reference: str) -> Any:
    """Show a ticket with everything beside it; opening it reads its notifications."""
    found = ticket_by_reference(tenant_session(), reference)
    with state().db.write(tenant().id) as session:
        mark_read(session, auth.agent(), found.id)
    release_session()  # a new read: SQLite's open read transaction still sees them unread
    return _page(reference)


@bp.route("/tickets/id/<int:ticket_id>", methods=["GET"])
def ticket_by_id(ticket_id: int) -> Any:
    """Open a ticket by its id (links from notifications)."""
    found = tenant_session().get(SupportTicket, ticket_id)
    if found is None:
        raise NotFound()
    return redirect(url_for("desk.ticket", reference=found.reference), 303)


def _version(raw: str | None) -> int:
    # Any version number may come back (an old page's is stale: 409), but none past ID_MAX.
    if not raw or not (raw == "0" or is_row_id(raw)):
        raise InvalidInput("The form lacks the ticket's version; reload the page.", "version")
    return int(raw)


@bp.route("/tickets/<reference>/reply", methods=["POST"])
@accepts_files
def post_reply(reference: str) -> Any:
    """Add a public reply (mailed to the customer) or an internal note."""
    form = ReplyForm()
    if not form.validate_on_submit():
        return _page(reference, 400, reply_form=form)
    if form.internal.data and form.status_after.data:
        form.status_after.errors = [
            "A note changes no status; leave this empty, or save the status in Details."
        ]
        return _page(reference, 400, reply_form=form)
    config = state().config
    try:
        uploads = read_uploads("attachments")
        files = check_files(uploads, config.max_attachments, config.max_attachment_bytes,
                            per="reply")  # fmt: skip
        status = TicketStatus(form.status_after.data) if form.status_after.data else None
        with (
            saved(state().files, tenant().id, files) as stored,
            state().db.write(tenant().id) as session,
        ):
            target = ticket_by_reference(session, reference, lock=True)
            check_version(session, target, _version(form.version.data))
            reply(session, target, auth.agent(), form.body.data or "", desk_settings(),
                  stored, bool(form.internal.data), status)  # fmt: skip
            ticket_id = target.id
    except (InvalidInput, Conflict) as exc:
        (form.attachments if exc.field == "attachments" else form.body).errors = [exc.message]
        return _page(reference, 409 if isinstance(exc, Conflict) else 400, reply_form=form)
    except ValueError:
        form.status_after.errors = ["Choose a status."]
        return _page(reference, 400, reply_form=form)
    internal = bool(form.internal.data)
    what = "note" if internal else "replied"
    ticket_changed(state().events, tenant().id, ticket_id, what, customer_sees=not internal)
    flash("Internal note added." if internal else "Reply sent to the customer.")
    # At the page's notice, which takes the focus (a #fragment's scroll would move it again).
    return redirect(url_for("desk.ticket", reference=reference.upper()), 303)


@bp.route("/tickets/<reference>/messages/<int:response_id>/accept", methods=["POST"])
def accept_mail(reference: str, response_id: int) -> Any:
    """Show another sender's mail, kept as a note, to the customer."""
    if not EmptyForm().validate_on_submit():
        return _page(reference, 400, problem="The form expired; reload the page and try again.")
    try:
        with state().db.write(tenant().id) as session:
            target = ticket_by_reference(session, reference, lock=True)
            accept_foreign_mail(session, target, response_id, auth.agent())
            ticket_id = target.id
    except Conflict as exc:
        return _page(reference, 409, problem=exc.message)
    ticket_changed(state().events, tenant().id, ticket_id, "replied", customer_sees=True)
    return redirect(url_for("desk.ticket", reference=reference.upper()) + f"#r{response_id}", 303)


@bp.route("/tickets/<reference>/fields", methods=["POST"])
def post_fields(reference: str) -> Any:
    """Change status, priority, category, tags, group and assignee in one save."""
    current = ticket_by_reference(tenant_session(), reference)
    form = _fields_form(current, FieldsForm())
    if not form.validate_on_submit():
        return _page(reference, 400, fields_form=form)
    # Only the fields the agent changed from what the page showed are changes (a kept "open"
    # must not undo the "in progress" that assigning brings), written over whatever else
    # changed since: a colleague's save of other fields stays. A field both changed, to
    # different values, is shown as it is now, and saving again writes the agent's.
    sent = {key: form[key].data or "" for key in _CHANGE_OF}
    try:
        with state().db.write(tenant().id) as session:
            target = ticket_by_reference(session, reference, lock=True)
            now = _shown(target)
            if form.seen.data:
                changed, clashes = merge_edits(form.seen.data, now, sent)
            else:  # a page of before the seen values, or a script: the version decides
                check_version(session, target, _version(form.version.data))
                changed, clashes = {k: v for k, v in sent.items() if v != now[k]}, []
            if clashes:
                who = who_changed(session, target, _EVENT_OF[clashes[0]])
                raise _Clashes(changed, clashes, now, target.version, who)
            values = _field_values(form)
            changes = Changes(**{_CHANGE_OF[key]: values[_CHANGE_OF[key]] for key in changed})
            done = change_fields(session, target, auth.agent(), changes, desk_settings())
    except _Clashes as clash:
        show_clashes(form, clash.keys, clash.now, clash.changed, who=clash.who)
        form.version.data = str(clash.version)
        return _page(reference, 409, fields_form=form)
    except (InvalidInput, Conflict) as exc:
        field = getattr(form, exc.field or "", None) or form.status
        field.errors = [exc.message]
        return _page(reference, 409 if isinstance(exc, Conflict) else 400, fields_form=form)
    if done:
        ticket_changed(state().events, tenant().id, current.id, "fields",
                       customer_sees=any(d.startswith("status") for d in done))  # fmt: skip
    flash("Details saved." if done else "Nothing changed in the details.")
    return redirect(url_for("desk.ticket", reference=reference.upper()), 303)


@bp.route("/tickets/<reference>/merge", methods=["POST"])
def post_merge(reference: str) -> Any:
    """Merge this ticket into another: the thread moves there and this one forwards."""
    form = MergeForm()
    if not form.validate_on_submit():
        return _page(reference, 400, merge_form=form)
    try:
        with state().db.write(tenant().id) as session:
            source = ticket_by_reference(session, reference, lock=True)
            check_version(session, source, _version(form.version.data))
            target = find_by_reference(session, form.into.data or "")
            merge(session, source, target, auth.agent(), desk_settings())
            ids, into = (source.id, target.id), target.reference
    except (InvalidInput, Conflict) as exc:
        form.into.errors = [exc.message]
        return _page(reference, 409 if isinstance(exc, Conflict) else 400, merge_form=form)
    for ticket_id in ids:
        ticket_changed(state().events, tenant().id, ticket_id, "merged", customer_sees=True)
    flash(f"{reference.upper()} was merged into this ticket.")
    return redirect(url_for("desk.ticket", reference=into), 303)


@bp.route("/tickets/<reference>/stream", methods=["GET"])
def ticket_stream(reference: str) -> Response:
    """Tell the open ticket page of changes to it and of who else has it open or types."""
    found = ticket_by_reference(tenant_session(), reference)
    return desk_stream([UPDATED, "presence.viewing", "presence.typing"], found.id)


@bp.route("/tickets/<reference>/attachments/<int:attachment_id>", methods=["GET"])
def attachment(reference: str, attachment_id: int) -> Response:
    """Send a file of the ticket (notes' files too): images shown, anything else downloaded."""
    found = ticket_by_reference(tenant_session(), reference)
    item = next((a for a in found.attachments if a.id == attachment_id), None)
    if item is None:
        raise NotFound()
    return send_stored(found.tenant_id, stored_attachment(item), inline=True)


@bp.route("/kb.json", methods=["GET"])
def kb_search() -> Response:
    """Search the knowledge base for an article to link in a reply (typo-tolerant)."""
    query = request.args.get("q", "")[:200]
    hits = suggest(tenant().id, query, state().config.build_dir, limit=8)
    for hit in hits:
        hit["url"] = tenant().absolute(hit["url"])
    return jsonify({"query": query, "results": hits})
