"""Lost links: a customer asks for the links to their open tickets, sent to their address."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from intake.extensions import limiter
from intake.portal.forms import RecoverForm
from intake.portal.views import bp
from intake.state import state
from intake.tickets.recovery import mail_ticket_links
from intake.web.tenancy import brand, tenant


def asked_address() -> str:
    """Key the second limit by the mailbox asked about, whichever client asks."""
    return str(request.form.get("email", "")).strip().lower()[:254]


@bp.route("/tickets/recover", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])  # per client address
@limiter.limit("3 per hour", key_func=asked_address, methods=["POST"])  # no mailbox flooded
def recover() -> Any:
    """Ask for one's ticket links; the answer goes to the address, never to the page."""
    form = RecoverForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        # The same work and the same page whether or not the address has tickets.
        with state().db.write(tenant().id) as session:
            mail_ticket_links(session, brand(), email)
        return render_template("portal/recover.html", form=form, sent_to=email)
    status = 400 if request.method == "POST" else 200
    return render_template("portal/recover.html", form=form, sent_to="", problem=""), status
