"""The customer's pages: the ticket form with its suggestions, the private ticket page."""

from __future__ import annotations

import contextlib
import logging
import secrets
from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from intake.errors import IntakeError, InvalidInput, NotFound
from intake.extensions import limiter
from intake.files import CheckedFile, check_files, saved
from intake.kb.feedback import record_open
from intake.kb.search import QUERY_MAX, suggest
from intake.models import SupportTicket, TicketCategory, TicketPriority, TicketStatus
from intake.portal.forms import (
    CATEGORY_LABELS,
    PRIORITY_LABELS,
    RecoverForm,
    ReplyForm,
    ResolveForm,
    SatisfactionForm,
    TicketForm,
)
from intake.settings import TenantSettings
from intake.state import state
from intake.tickets import rules
from intake.tickets.access import came_by_mail, link_token
from intake.tickets.changes import UPDATED, ticket_changed
from intake.tickets.create import NewTicket, create_ticket
from intake.tickets.replies import (
    add_reply,
    files_of_the_customer,
    resolve,
    set_notifications,
    split_files,
)
from intake.tickets.rules import is_visit_id, normal_address
from intake.tickets.satisfaction import rating_of
from intake.tickets.targets import first_answer_expected, read_policy
from intake.web.error_handlers import CSRF_MESSAGE, error_response, json_errors
from intake.web.limits import (
    accepts_files,
    counted_as_new_ticket,
    limit_search,
    limit_ticket_creation,
    limit_ticket_writes,
    seconds_to_wait,
)
from intake.web.sse import event_stream
from intake.web.tenancy import (
    brand,
    customer_ticket,
    release_session,
    tenant,
    tenant_blueprint,
    tenant_session,
)
from intake.web.uploads import read_uploads, reattach_note, send_attachment

log = logging.getLogger(__name__)
bp = tenant_blueprint("portal", __name__, "")


@bp.route("/tickets/new", methods=["GET", "POST"])
@limit_ticket_creation
@accepts_files
def new() -> Any:
    """Show the ticket form; on a valid POST create the ticket and go to its page."""
    form = TicketForm()
    if request.method == "GET" and not form.visit_id.data:
        form.visit_id.data = secrets.token_urlsafe(12)
    if form.validate_on_submit():
        if form.website.data:
            log.info("honeypot filled on %s's form; nothing saved", tenant().id)
            problem = "Your request could not be sent. Clear the field “Leave this field empty”."
            # A browser that autofilled it would otherwise send it again forever.
            form.website.data = ""
            return render_template("portal/new.html", form=form, problem=problem), 400
        config = state().config
        try:
            files = check_files(
                read_uploads("attachments"), config.max_attachments, config.max_attachment_bytes
            )
        except InvalidInput as exc:
            form.attachments.errors = [exc.message]
        else:
            ticket, token = create_ticket(
                state().writer, state().files, tenant().id, brand(), _new_ticket(form), files
            )
            return _to_created(ticket, token)
    if request.method == "GET":
        return render_template("portal/new.html", form=form, problem="")
    _note_files_to_reattach(form.attachments)
    return render_template("portal/new.html", form=form, problem=""), 400


def _note_files_to_reattach(field: Any) -> None:
    """Add to a sent-back form's file field which files to attach again."""
    note = reattach_note("attachments", " ".join(field.errors))
    if note:
        field.errors = [*field.errors, note]


JUST_CREATED = "just_created"  # the session's note of the ticket whose page thanks, once


def _to_created(ticket: SupportTicket, token: str) -> Any:
    """Go to the page of a ticket just created, which thanks the customer this one time."""
    browser_session[JUST_CREATED] = f"{ticket.tenant_id}:{ticket.reference}"
    return redirect(url_for(".show", reference=ticket.reference, token=token), 303)


def _new_ticket(form: TicketForm) -> NewTicket:
    visit = form.visit_id.data
    return NewTicket(
        name=form.name.data or "",
        email=normal_address(form.email.data or ""),  # the form's Email validator passed it
        subject=form.subject.data or "",
        description=form.description.data or "",
        category=TicketCategory(form.category.data),
        priority=TicketPriority(form.priority.data),
        visit_id=visit if visit and is_visit_id(visit) else "",
    )


@bp.route("/tickets/<reference>/<token>", methods=["GET"])
def show(
    reference: str, token: str, reply_form: ReplyForm | None = None,
    survey_form: SatisfactionForm | None = None,
) -> Any:  # fmt: skip
    """Show the ticket's page: the thread, a reply form, the resolve button, and once resolved
    the satisfaction question (or the answer given)."""
    ticket = customer_ticket(tenant_session(), reference, token)
    joined = _joined(ticket)
    if joined is not None and came_by_mail(state().config.secret_key, ticket, token):
        # A mailed link forwards to the ticket it joined; the link shown at creation does not
        # (see came_by_mail), and its page says where the joined thread's link went.
        token = link_token(state().config.secret_key, joined.tenant_id, joined.id)
        return redirect(url_for(".show", reference=joined.reference, token=token), 303)
    first, per_reply = split_files(ticket)
    return render_template(
        "portal/ticket.html",
        ticket=ticket,
        token=token,
        responses=[r for r in ticket.responses if not r.is_internal],
        first_files=first,
        reply_files=per_reply,
        reply_form=reply_form or ReplyForm(),
        resolve_form=ResolveForm(),
        follow_up_of=tenant_session().get(SupportTicket, ticket.follow_up_of_id)
        if ticket.follow_up_of_id
        else None,
        created=_just_created(ticket),
        joined=joined,
        labels=_labels(ticket),
        rating=rating_of(tenant_session(), ticket),
        survey_form=survey_form or SatisfactionForm(),
        expected=first_answer_expected(ticket, read_policy(TenantSettings(tenant_session()))),
    )


def _just_created(ticket: SupportTicket) -> bool:
    """Whether this visit follows the ticket's creation (a bookmarked link is not thanked)."""
    if browser_session.get(JUST_CREATED) != f"{ticket.tenant_id}:{ticket.reference}":
        return False
    browser_session.pop(JUST_CREATED)
    return True


def _opens_a_follow_up() -> bool:
    """Say whether the reply being posted goes to a closed ticket (and so opens a follow-up)."""
    args = request.view_args or {}
    try:
        reference, token = _kept(args["reference"], args["token"])
        return customer_ticket(tenant_session(), reference, token).status == TicketStatus.closed
    except (IntakeError, KeyError):
        return False  # the view answers that


@bp.route("/tickets/<reference>/<token>/replies", methods=["POST"])
@limit_ticket_writes
@counted_as_new_ticket(_opens_a_follow_up)
@accepts_files
def reply(reference: str, token: str) -> Any:
    """Add the customer's reply; invalid input shows the page again with the messages."""
    form = ReplyForm()
    if form.validate_on_submit():
        config = state().config
        try:
            uploads = read_uploads("attachments")
            reference, token = _kept(reference, token)  # a page open from before a merge
            current = customer_ticket(tenant_session(), reference, token)
            # A closed ticket is final: the reply opens a follow-up, whose files start at none.
            follow_up = current.status == TicketStatus.closed
            already = 0 if follow_up else len(files_of_the_customer(current))
            files = check_files(uploads, config.max_attachments, config.max_attachment_bytes,
                                already)  # fmt: skip
            body = form.body.data or rules.FILES_ONLY
            if follow_up:
                return _follow_up(current, body, files)
            with (
                saved(state().files, tenant().id, files) as stored,
                state().db.write(tenant().id) as session,
            ):
                ticket = customer_ticket(session, reference, token)
                response_id = add_reply(session, ticket, body, stored).id
            ticket_changed(state().events, tenant().id, ticket.id, "replied", customer_sees=True)
        except InvalidInput as exc:
            target = form.attachments if exc.field == "attachments" else form.body
            target.errors = [exc.message]
        else:
            url = url_for(".show", reference=reference.upper(), token=token)
            return redirect(f"{url}#reply-{response_id}", 303)
    _note_files_to_reattach(form.attachments)
    return show(reference, token, reply_form=form), 400


def _labels(ticket: SupportTicket) -> dict[str, str]:
    """Name the ticket's category and priority as the form offered them to the customer."""
    urgency = PRIORITY_LABELS[ticket.priority].partition(":")[0]
    return {"category": CATEGORY_LABELS[ticket.category], "priority": f"{urgency} priority"}


def _joined(ticket: SupportTicket) -> SupportTicket | None:
    """Return the ticket this one was merged into, if it was."""
    if ticket.merged_into_id is None:
        return None
    return tenant_session().get(SupportTicket, ticket.merged_into_id)


def _kept(reference: str, token: str) -> tuple[str, str]:
    """Return the reference and link token of the ticket a reply goes to: the one this ticket
    joined if the token came by mail (see show), else this one (closed: a follow-up), so the
    link shown at a duplicate's creation never reaches the kept thread, even by an error."""
    ticket = customer_ticket(tenant_session(), reference, token)
    kept, secret = _joined(ticket), state().config.secret_key
    if kept is None or not came_by_mail(secret, ticket, token):
        return reference, token
    return kept.reference, link_token(secret, kept.tenant_id, kept.id)


def _follow_up(closed: SupportTicket, body: str, files: list[CheckedFile]) -> Any:
    """Open a new ticket that continues a closed one, and go to its page."""
    if len(body) < rules.DESCRIPTION_MIN:  # a short "thanks!" still makes a valid ticket
        body = f"{body}\n\n(about {closed.reference})"
    data = NewTicket(
        name=closed.customer_name, email=closed.customer_email,
        subject=f"Follow-up to {closed.reference}: {closed.subject}"[: rules.SUBJECT_MAX],
        description=body, category=closed.category, priority=closed.priority,
        follow_up_of_id=closed.id,
    )  # fmt: skip
    ticket, token = create_ticket(state().writer, state().files, tenant().id, brand(), data, files)
    return _to_created(ticket, token)


@bp.route("/tickets/<reference>/<token>/notifications", methods=["POST"])
@limit_ticket_writes
def notifications(reference: str, token: str) -> Any:
    """Turn the mails about agents' actions on or off for this ticket."""
    customer_ticket(tenant_session(), reference, token)
    if ResolveForm().validate_on_submit():
        choice = request.form.get("notify")
        if choice not in ("0", "1"):
            raise InvalidInput("notify: send 1 (mails on) or 0 (mails off).", "notify")
        wanted = choice == "1"
        with state().db.write(tenant().id) as session:
            set_notifications(session, customer_ticket(session, reference, token), wanted)
    return redirect(url_for(".show", reference=reference.upper(), token=token), 303)


@bp.route("/tickets/<reference>/<token>/unsubscribe", methods=["GET", "POST"])
@limit_ticket_writes
def unsubscribe(reference: str, token: str) -> Any:
    """Turn the ticket's mails off in one click from the mail client (List-Unsubscribe-Post);
    a GET (a client without one-click) leads to the page, whose button does it."""
    customer_ticket(tenant_session(), reference, token)
    if request.method == "POST":
        with state().db.write(tenant().id) as session:
            set_notifications(session, customer_ticket(session, reference, token), False)
        return Response("You get no more mails about this request.\n", mimetype="text/plain")
    return redirect(url_for(".show", reference=reference.upper(), token=token), 303)


@bp.route("/tickets/<reference>/<token>/resolve", methods=["POST"])
@limit_ticket_writes
def mark_resolved(reference: str, token: str) -> Any:
    """Mark the ticket resolved and show its page again."""
    customer_ticket(tenant_session(), reference, token)  # a wrong link is a 404, form or not
    if ResolveForm().validate_on_submit():
        with state().db.write(tenant().id) as session:
            ticket = customer_ticket(session, reference, token)
            changed = resolve(session, ticket)
        if changed:
            ticket_changed(state().events, tenant().id, ticket.id, "resolved", customer_sees=True)
    return redirect(url_for(".show", reference=reference.upper(), token=token), 303)


@bp.route("/tickets/<reference>/<token>/events", methods=["GET"])
@limiter.limit("30 per minute")  # a page reconnects every few minutes; each holds a thread
def events(reference: str, token: str) -> Response:
    """Stream a notice to the open ticket page each time the ticket changes."""
    ticket = customer_ticket(tenant_session(), reference, token)
    ticket_id = ticket.id
    release_session()  # an open stream must not hold a database connection
    subscription = state().events.subscribe(tenant().id, [UPDATED])
    return event_stream(
        subscription,
        lambda event: {"what": event.data.get("what")}
        if event.data.get("id") == ticket_id and event.data.get("customer_sees")
        else None,
    )  # fmt: skip


@bp.route("/tickets/<reference>/<token>/attachments/<int:attachment_id>", methods=["GET"])
def attachment(reference: str, token: str, attachment_id: int) -> Response:
    """Send one of the ticket's files to its token holder, always as a download."""
    return send_attachment(customer_ticket(tenant_session(), reference, token), attachment_id)


@bp.route("/tickets/<reference>/<token>/attachments/<int:attachment_id>/preview", methods=["GET"])
def preview(reference: str, token: str, attachment_id: int) -> Response:
    """Send one of the ticket's images to be shown in its page (sandboxed, never cached)."""
    ticket = customer_ticket(tenant_session(), reference, token)
    return send_attachment(ticket, attachment_id, preview=True)


@bp.route("/tickets/suggestions", methods=["GET"])
@json_errors
@limit_search
def suggestions() -> Any:
    """Return up to five articles and FAQs matching what the customer typed (?q=)."""
    query = request.args.get("q", "")[:QUERY_MAX]
    hits = suggest(tenant().id, query, state().config.build_dir, limit=5)
    return jsonify({"query": query, "suggestions": hits})


@bp.route("/tickets/suggestions/opened", methods=["POST"])
@json_errors
@limiter.limit("60 per minute")
def opened() -> Any:
    """Record that the form's visitor opened a suggestion (sent by the page's script)."""
    visit_id = request.form.get("visit_id", "")
    kind = request.form.get("kind", "")
    slug = request.form.get("slug", "")[:120]
    if not is_visit_id(visit_id):
        raise InvalidInput("visit_id: not a visit of the ticket form.", "visit_id")
    if kind not in ("article", "faq"):
        raise InvalidInput("kind: use article or faq.", "kind")
    with state().db.write(tenant().id) as session:
        if not record_open(session, visit_id, kind, slug):
            raise NotFound("slug: no such article or FAQ.", "slug")
    return "", 204


def _wait_text() -> str:
    """Say when the address may send again, from the limit that was hit."""
    seconds = seconds_to_wait() or 60
    if seconds < 90:
        return f"in {seconds} seconds"
    return f"in {round(seconds / 60)} minutes"


def _sent_back(problem: str, status: int) -> Any | None:
    """Show a form of these pages again as it was sent, everything typed kept, with `problem`
    on top; None when the request was no such form (or names no ticket)."""
    args = request.view_args or {}
    if request.method != "POST":
        return None
    if request.endpoint == "portal.new":
        form = TicketForm()
        _note_files_to_reattach(form.attachments)
        return render_template("portal/new.html", form=form, problem=problem), status
    if request.endpoint == "portal.reply":
        reply_form = ReplyForm()
        reply_form.body.errors = [problem]
        _note_files_to_reattach(reply_form.attachments)
        with contextlib.suppress(NotFound):  # a wrong link gets the plain answer
            return show(str(args["reference"]), str(args["token"]), reply_form=reply_form), status
        return None
    if request.endpoint == "portal.recover":
        return render_template("portal/recover.html", form=RecoverForm(), sent_to="",
                               problem=problem), status  # fmt: skip
    return None


@bp.errorhandler(RateLimitExceeded)
def too_many(_exc: RateLimitExceeded) -> Any:
    """A form sent too often comes back with what was typed, saying when to send it again."""
    wait = _wait_text()
    what = {"portal.new": "tickets", "portal.reply": "messages",
            "portal.recover": "requests for links"}.get(request.endpoint or "")  # fmt: skip
    answer = None
    if what:
        problem = f"Too many {what} from your address: send this again {wait}."
        answer = _sent_back(f"{problem} What you wrote is kept.", 429)
    if answer is not None:
        return answer
    message = f"Too many requests from your address; try again {wait}."
    return error_response(message, None, 429)  # a script's call gets JSON


@bp.errorhandler(CSRFError)
def expired(_exc: CSRFError) -> Any:
    """A form whose CSRF token expired (a page left open for hours) comes back as it was."""
    answer = _sent_back("This form had expired. What you wrote is kept: send it again.", 400)
    return answer if answer is not None else error_response(CSRF_MESSAGE, "csrf_token", 400)
