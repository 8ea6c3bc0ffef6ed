"""The desk's blueprints and the guard every one of their routes passes first.

The guard is on the blueprints, not on each view, so a route added later is protected too:
no session -> the sign-in page (or 401 for the desk's JSON); a session still waiting for its
second factor -> only that step; a tenant that requires two-factor sign-in -> only its
set-up until the agent has an authenticator app; admin pages -> admins only.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, request, url_for

from intake.desk import auth
from intake.errors import NotFound
from intake.web.tenancy import tenant_blueprint

bp = tenant_blueprint("desk", __name__, "/desk")
admin_bp = tenant_blueprint("desk_admin", __name__, "/desk")

PUBLIC = {"desk.login"}
SECOND_FACTOR = {"desk.second_factor", "desk.logout"}
SET_UP = {"desk.account_two_factor", "desk.logout"}


def _refuse() -> Any:
    if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
        body = {"error": {"message": "Sign in to the desk first.", "field": None}}
        return jsonify(body), 401
    # A session that ended under an open page (signed out elsewhere, expired, the account
    # changed) says so on the sign-in page, rather than showing a bare form.
    target = url_for("desk.login", next=request.full_path.rstrip("?"))
    return redirect(target + ("&ended=1" if auth.session_token() else ""), 303)


@bp.before_request
def _guard() -> Any:
    return check(request.endpoint or "")


@admin_bp.before_request
def _guard_admin() -> Any:
    refused = check(request.endpoint or "")
    if refused is not None:
        return refused
    if not auth.is_admin():
        raise NotFound()  # the admin pages do not exist for agents
    return None


def check(endpoint: str) -> Response | Any | None:
    """Return the answer that refuses this request, or None to let it through."""
    if endpoint in PUBLIC:
        return None
    found = auth.load()
    if found is None:
        return _refuse()
    row, agent = found
    if not row.second_factor_done:
        return None if endpoint in SECOND_FACTOR else redirect(url_for("desk.second_factor"), 303)
    if not agent.totp_enabled and endpoint not in SET_UP and auth.two_factor_required():
        return redirect(url_for("desk.account_two_factor"), 303)
    return None
