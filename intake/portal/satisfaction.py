"""The customer's answer to "did we solve it?" on a resolved ticket's page."""

from __future__ import annotations

from typing import Any

from flask import redirect, url_for
from sqlalchemy.exc import IntegrityError

from intake.errors import Conflict
from intake.portal.forms import SatisfactionForm
from intake.portal.views import bp, show
from intake.state import state
from intake.tickets.satisfaction import rate
from intake.web.limits import limit_ticket_writes
from intake.web.tenancy import customer_ticket, tenant, tenant_session


@bp.route("/tickets/<reference>/<token>/satisfaction", methods=["POST"])
@limit_ticket_writes
def satisfaction(reference: str, token: str) -> Any:
    """Record the answer once; a form with a problem shows the page again, saying which."""
    customer_ticket(tenant_session(), reference, token)  # a wrong link is a 404, form or not
    form = SatisfactionForm()
    if form.validate_on_submit():
        try:
            with state().db.write(tenant().id) as session:
                ticket = customer_ticket(session, reference, token)
                rate(session, ticket, form.satisfied.data == "yes", form.comment.data or "")
        except Conflict as exc:
            form.satisfied.errors = [exc.message]
            return show(reference, token, survey_form=form), 409
        except IntegrityError:  # PostgreSQL: another tab's answer committed first
            form.satisfied.errors = ["You already told us how we did on this request: thank you."]
            return show(reference, token, survey_form=form), 409
        url = url_for(".show", reference=reference.upper(), token=token)
        return redirect(f"{url}#satisfaction", 303)
    return show(reference, token, survey_form=form), 400
