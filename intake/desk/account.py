"""The agent's own account: notifications by mail, password, two-factor sign-in, API tokens."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for

from intake.agents import second_factor
from intake.agents.accounts import get_agent, set_password
from intake.agents.sessions import (
    check_password,
    enable_second_factor,
    end_other_sessions,
    recovery_codes_left,
)
from intake.agents.tokens import create_token, revoke_token, tokens_of
from intake.desk import auth
from intake.desk.blueprint import bp
from intake.desk.forms import (
    EmptyForm,
    PasswordForm,
    PreferencesForm,
    TokenForm,
    TwoFactorSetupForm,
)
from intake.desk.signin import client_address
from intake.errors import InvalidInput, TooMany
from intake.state import state
from intake.web.tenancy import tenant, tenant_session

PENDING_SECRET = "desk_totp_pending"


def _page(status: int = 200, **extra: Any) -> Any:
    me = auth.agent()
    return render_template(
        "desk/account.html",
        prefs=extra.pop("prefs", None) or PreferencesForm(notify_by_mail=me.notify_by_mail),
        password=extra.pop("password", None) or PasswordForm(),
        token_form=extra.pop("token_form", None) or TokenForm(),
        tokens=tokens_of(tenant_session(), me),
        empty=EmptyForm(),
        codes_left=recovery_codes_left(tenant_session(), me),
        **extra,
    ), status


@bp.route("/account", methods=["GET"])
def account() -> Any:
    """Show the agent's settings."""
    return _page()


@bp.route("/account/preferences", methods=["POST"])
def preferences() -> Any:
    """Save how the agent hears of tickets."""
    form = PreferencesForm()
    if form.validate_on_submit():
        with state().db.write(tenant().id) as db:
            get_agent(db, auth.agent().id).notify_by_mail = bool(form.notify_by_mail.data)
    return redirect(url_for("desk.account"), 303)


@bp.route("/account/password", methods=["POST"])
def password() -> Any:
    """Change the password; every session of the agent ends, so sign in again."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _page(400, password=form)
    me = auth.agent()
    try:
        check_password(state().throttle, me, form.current.data or "", client_address())
    except (InvalidInput, TooMany) as exc:
        form.current.errors = [exc.message]
        return _page(429 if isinstance(exc, TooMany) else 400, password=form)
    try:
        with state().db.write(tenant().id) as db:
            set_password(db, get_agent(db, me.id), form.new.data or "")
    except InvalidInput as exc:
        form.new.errors = [exc.message]
        return _page(400, password=form)
    response = redirect(url_for("desk.login", password="changed"), 303)
    auth.clear_session_cookie(response)
    return response


@bp.route("/account/two-factor", methods=["GET", "POST"])
def account_two_factor() -> Any:
    """Set up the authenticator app: scan, type a code, keep the recovery codes."""
    me = auth.agent()
    # The secret being set up waits in the browser's session, marked as this agent's: a
    # session cookie planted from another agent's browser brings that agent's, never used here.
    owner = f"{tenant().id}:{me.id}:"
    pending = session.get(PENDING_SECRET)
    if isinstance(pending, str) and pending.startswith(owner):
        secret = pending.removeprefix(owner)
    else:
        secret = second_factor.new_secret()
    session[PENDING_SECRET] = owner + secret
    form = TwoFactorSetupForm()
    status = 200
    if form.validate_on_submit():
        try:
            if me.totp_enabled:  # replacing the app: a session alone may not (nor guess)
                check_password(state().throttle, me, form.password.data or "", client_address())
            with state().db.write(tenant().id) as db:
                codes = enable_second_factor(
                    db, state().secrets, get_agent(db, me.id), secret, form.code.data or ""
                )
                # Other browsers signed in without the app (or with the one replaced) are
                # signed out: whoever held the password before must not keep a session.
                end_other_sessions(db, me.id, auth.session_token())
        except (InvalidInput, TooMany) as exc:
            getattr(form, exc.field or "code", form.code).errors = [exc.message]
            status = 429 if isinstance(exc, TooMany) else 400
        else:
            session.pop(PENDING_SECRET, None)
            return render_template("desk/recovery_codes.html", codes=codes)
    elif request.method == "POST":
        status = 400
    uri = second_factor.provisioning_uri(secret, me.email, tenant().name)
    return render_template(
        "desk/two_factor.html",
        form=form,
        secret=secret,
        uri=uri,
        qr=second_factor.qr_svg(uri),
        required=auth.two_factor_required(),
        replacing=me.totp_enabled,
    ), status


@bp.route("/account/tokens", methods=["POST"])
def new_token() -> Any:
    """Make an API token and show it once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(400, token_form=form)
    with state().db.write(tenant().id) as db:
        _row, token = create_token(db, get_agent(db, auth.agent().id), form.name.data or "")
    return _page(201, new_token=token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int) -> Any:
    """Revoke one of the agent's tokens."""
    if EmptyForm().validate_on_submit():
        with state().db.write(tenant().id) as db:
            revoke_token(db, auth.agent(), token_id)
    return redirect(url_for("desk.account"), 303)
