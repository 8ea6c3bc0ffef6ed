"""The customer's pages: the ticket form, the private ticket page, replies, resolving, files."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.datastructures import FileStorage

from intake import kb
from intake.attachments import AttachmentStore, CheckedFile, check_files
from intake.config import IntakeConfig
from intake.db import TenantScope
from intake.errors import ApiError, NotFound
from intake.extensions import db, limiter
from intake.forms import ReplyForm, ResolveForm, TicketForm
from intake.models import SupportTicket, TicketAttachment, TicketCategory, TicketPriority
from intake.rules import is_visit_id
from intake.tenancy import scope, tenant, tenant_blueprint
from intake.tickets import NewTicket, add_reply, create_ticket, find_ticket, resolve
from kbgen.nav import category_url
from kbgen.schema import KbCategory

log = logging.getLogger(__name__)
bp = tenant_blueprint("tickets", __name__, "")


def config() -> IntakeConfig:
    """Return the service configuration of the current app."""
    value: IntakeConfig = current_app.config["INTAKE"]
    return value


def ticket_rate_limit() -> str:
    """Return the per-address limit on new tickets (form and API share it)."""
    return config().ticket_rate_limit


# One bucket per client address for both ways of creating a ticket.
limit_ticket_creation = limiter.shared_limit(
    ticket_rate_limit, scope="ticket-creation", methods=["POST"]
)


def store() -> AttachmentStore:
    """Return the attachment store of the current app."""
    return AttachmentStore(config().upload_dir)


def read_uploads(files: list[FileStorage]) -> list[tuple[str, bytes]]:
    """Return (name, bytes) of uploaded files, each read up to one byte past the limit."""
    limit = config().max_attachment_bytes + 1
    return [(f.filename or "", f.read(limit)) for f in files]


def link_base(tenant_id: str) -> str:
    """Return the absolute URL that ticket links start with (for mails)."""
    return f"{config().public_url}/{tenant_id}/tickets"


@bp.route("/tickets/new", methods=["GET", "POST"])
@limit_ticket_creation
def new() -> Any:
    """Show the ticket form; on a valid POST create the ticket and go to its page."""
    form = TicketForm()
    problem = ""
    if request.method == "GET" and not form.visit_id.data:
        form.visit_id.data = secrets.token_urlsafe(12)
    if form.validate_on_submit():
        files: list[CheckedFile] = []
        if form.website.data:
            log.info("honeypot filled on %s's form; nothing saved", tenant().id)
            problem = "Your request could not be sent. Clear the field “Leave this field empty”."
            # A browser that autofilled it would otherwise send it again forever.
            form.website.data = ""
            return render_template("new.html", form=form, problem=problem), 400
        try:
            cfg = config()
            uploads = read_uploads(request.files.getlist("attachments"))
            files = check_files(uploads, cfg.max_attachments, cfg.max_attachment_bytes)
        except ApiError as exc:
            form.attachments.errors = [exc.message]
        else:
            ticket, token = create_ticket(
                tenant().id,
                tenant().ticket_prefix,
                NewTicket(
                    name=form.name.data or "",
                    email=form.email.data or "",
                    subject=form.subject.data or "",
                    description=form.description.data or "",
                    category=TicketCategory(form.category.data),
                    priority=TicketPriority(form.priority.data),
                    visit_id=_visit(form.visit_id.data),
                ),
                files,
                store(),
                link_base(tenant().id),
                tenant().name,
            )
            target = url_for(".show", reference=ticket.reference, token=token, created=1)
            return redirect(target, 303)
    status = 400 if request.method == "POST" else 200
    return render_template("new.html", form=form, problem=problem), status


def _visit(value: str | None) -> str:
    """Return the form's visit id when it is one our page made, else nothing."""
    return value if value and is_visit_id(value) else ""


def customer_files(ticket: SupportTicket) -> list[TicketAttachment]:
    """Return the ticket's files its customer may see: none of internal replies."""
    internal = {r.id for r in ticket.responses if r.is_internal}
    return [a for a in ticket.attachments if a.response_id not in internal]


def _thread(ticket: SupportTicket) -> tuple[list[TicketAttachment], dict[int, list[Any]]]:
    """Split a ticket's files: those sent with the ticket, and those per reply."""
    first: list[TicketAttachment] = []
    per_reply: dict[int, list[Any]] = {}
    for item in customer_files(ticket):
        if item.response_id is None:
            first.append(item)
        else:
            per_reply.setdefault(item.response_id, []).append(item)
    return first, per_reply


@bp.route("/tickets/<reference>/<token>", methods=["GET"])
def show(reference: str, token: str, reply_form: ReplyForm | None = None) -> Any:
    """Show the ticket's page: the thread, a reply form and the resolve button."""
    ticket = find_ticket(scope(), reference, token)
    first, per_reply = _thread(ticket)
    return render_template(
        "ticket.html",
        ticket=ticket,
        token=token,
        responses=[r for r in ticket.responses if not r.is_internal],
        first_files=first,
        reply_files=per_reply,
        reply_form=reply_form or ReplyForm(),
        resolve_form=ResolveForm(),
        created=request.args.get("created") == "1",
    )


@bp.route("/tickets/<reference>/<token>/replies", methods=["POST"])
def reply(reference: str, token: str) -> Any:
    """Add the customer's reply; invalid input shows the page again with the messages."""
    ticket = find_ticket(scope(), reference, token)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            cfg = config()
            uploads = read_uploads(request.files.getlist("attachments"))
            already = len(customer_files(ticket))
            files = check_files(uploads, cfg.max_attachments, cfg.max_attachment_bytes, already)
            response = add_reply(scope(), ticket, form.body.data or "", files, store())
        except ApiError as exc:
            target = form.attachments if exc.field == "attachments" else form.body
            target.errors = [exc.message]
        else:
            url = url_for(".show", reference=ticket.reference, token=token)
            return redirect(f"{url}#reply-{response.id}", 303)
    return show(reference, token, reply_form=form), 400


@bp.route("/tickets/<reference>/<token>/resolve", methods=["POST"])
def mark_resolved(reference: str, token: str) -> Any:
    """Mark the ticket resolved and show its page again."""
    ticket = find_ticket(scope(), reference, token)
    if ResolveForm().validate_on_submit():
        resolve(scope(), ticket)
    return redirect(url_for(".show", reference=ticket.reference, token=token), 303)


@bp.route("/tickets/<reference>/<token>/attachments/<int:attachment_id>", methods=["GET"])
def attachment(reference: str, token: str, attachment_id: int) -> Response:
    """Send one of the ticket's files to its token holder, always as a download."""
    ticket = find_ticket(scope(), reference, token)
    return send_attachment(ticket, attachment_id)


def send_attachment(ticket: SupportTicket, attachment_id: int) -> Response:
    """Return the file as an attachment download, or NotFound when it is not this ticket's."""
    item = next((a for a in customer_files(ticket) if a.id == attachment_id), None)
    if item is None:
        raise NotFound()
    path = store().path(item.stored_name)
    if not path.is_file():
        raise NotFound()
    response = send_file(
        path,
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.original_name,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _nav() -> dict[str, Any]:
    """Give templates the tenant, its category links and the CSRF-protected forms' helpers."""
    if "tenant" not in g:
        return {}
    current = tenant()
    try:
        cats = _categories(current.id)
    except Exception:  # noqa: BLE001 (the header must render even when the database is down)
        log.exception("categories unavailable")
        cats = []
    return {
        "tenant": current,
        "categories": [(c.label, category_url(current, c)) for c in cats],
        "intake_config": config(),
    }


def _categories(tenant_id: str) -> list[KbCategory]:
    """Return the tenant's used categories; never open a write session for them.

    The request's session is used when the view opened one; otherwise (error pages, a form
    sent back with its messages) a short read session, since on a POST `db.session` would
    begin a write transaction just to draw the header.
    """
    if "db_session" in g:
        return kb.used_categories(scope())
    with db.new_session(write=False) as session:
        return kb.used_categories(TenantScope(session, tenant_id))


def init_app(app: Flask) -> None:
    """Give every template the tenant's navigation."""
    app.context_processor(_nav)
