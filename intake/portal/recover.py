"""Lost links: a customer asks for the links to their open tickets, sent to their address."""

from __future__ import annotations

import logging
from typing import Any

from flask import redirect, render_template, request, url_for

from intake.extensions import limiter
from intake.portal.forms import RecoverForm
from intake.portal.views import bp
from intake.state import state
from intake.tickets.recovery import mail_ticket_links
from intake.tickets.rules import normal_address
from intake.web.limits import may_mail
from intake.web.notes import leave_note, take_note
from intake.web.tenancy import brand, tenant

log = logging.getLogger(__name__)
ASKED = "recover_asked"  # the session's note of the address just asked about, for its page


@bp.route("/tickets/recover", methods=["GET", "POST"])
# Per client address, counting only requests that were taken (a typo costs nothing).
@limiter.limit("5 per hour", methods=["POST"], deduct_when=lambda answer: answer.status_code == 303)
def recover() -> Any:
    """Ask for one's ticket links; the answer goes to the address, never to the page."""
    form = RecoverForm()
    if form.validate_on_submit():
        email = normal_address(form.email.data or "")  # the form's Email validator passed it
        # The same page whether or not the address has tickets, and the same work (one query,
        # one mail) unless the address's hourly cap is spent.
        # Silent past the cap, by design: a visible refusal would tell anyone how often an
        # address was asked about.
        if may_mail(email):
            with state().db.write(tenant().id) as session:
                mail_ticket_links(session, brand(), email)
        else:
            log.info("links for an address of %s asked for past its hourly cap", tenant().id)
        leave_note(ASKED, email)
        return redirect(url_for(".recover"), 303)  # a reload asks nothing again
    if request.method == "GET" and (sent_to := take_note(ASKED)):
        return render_template("portal/recover.html", form=form, sent_to=sent_to)
    status = 400 if request.method == "POST" else 200
    return render_template("portal/recover.html", form=form, sent_to="", problem=""), status
