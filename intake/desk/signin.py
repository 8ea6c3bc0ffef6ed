"""Signing in to the desk and out again."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from flask import redirect, render_template, request, session, url_for

from intake.agents.sessions import pass_second_factor, sign_in, sign_out
from intake.desk import auth
from intake.desk.blueprint import bp
from intake.desk.forms import CodeForm, SignInForm
from intake.errors import InvalidInput, TooMany
from intake.extensions import csrf
from intake.state import state
from intake.web.tenancy import tenant


def client_address() -> str:
    """The address sign-in failures are counted by."""
    return request.remote_addr or "unknown"


def safe_desk_target(target: str) -> str:
    """Return `target` when it is a page of this tenant's desk, else the queue. An address
    with spaces, control or non-ASCII characters is none (a line break would end up in the
    Location header of the answer)."""
    parts = urlsplit(target or "")
    plain = target.isascii() and target.isprintable() and not any(c in target for c in " \\")
    # "/desk/eur/../../x" starts right and is resolved by the browser to "/x": no dot segments,
    # written out or %-encoded (a backslash is a slash to a browser, so none of those either).
    dots = any(part in (".", "..") for part in unquote(parts.path).split("/"))
    if (not plain or dots or parts.scheme or parts.netloc
            or not parts.path.startswith(f"/desk/{tenant().id}/")):  # fmt: skip
        return url_for("desk.queue")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form; on success start a new session (a new cookie)."""
    form = SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            with state().db.write(tenant().id) as db:
                signed = sign_in(db, state().throttle, form.email.data or "",
                                 form.password.data or "", client_address(),
                                 request.headers.get("User-Agent", ""))  # fmt: skip
        except TooMany as exc:
            form.email.errors = [exc.message]
            status = 429
        except InvalidInput as exc:
            field = form.email if exc.field == "email" else form.password  # a malformed address
            field.errors = [exc.message]
            status = 400
        else:
            session.clear()  # a fresh CSRF token too: nothing of before the sign-in survives
            asked = form.next.data or ""
            target = safe_desk_target(asked)
            if signed.needs_second_factor:  # the page asked for comes after the code
                target = url_for("desk.second_factor", next=target if asked else None)
            response = redirect(target, 303)
            auth.set_session_cookie(response, signed.token)
            return response
    elif request.method == "POST":
        status = 400
    return render_template("desk/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> Any:
    """Ask for the authenticator app's code (or a recovery code) after the password."""
    found = auth.load()
    if found is None:
        return redirect(url_for("desk.login"), 303)
    row, agent = found
    if row.second_factor_done:
        return redirect(url_for("desk.queue"), 303)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            with state().db.write(tenant().id) as db:
                live = db.merge(row)
                pass_second_factor(db, state().throttle, state().secrets, live, agent,
                                   form.code.data or "", client_address())  # fmt: skip
        except (InvalidInput, TooMany) as exc:
            form.code.errors = [exc.message]
            status = 429 if isinstance(exc, TooMany) else 400
        else:
            return redirect(safe_desk_target(request.args.get("next", "")), 303)
    elif request.method == "POST":
        status = 400
    return render_template("desk/second_factor.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End this session and forget its cookie.

    Without a form token: signing out must work from any page, even one whose token the
    browser no longer holds (a tab restored after a restart), and the session cookie is not
    sent with another site's POST (SameSite=Lax), so no foreign page can sign an agent out.
    """
    token = auth.session_token()
    if token:  # a browser without a session has none to end
        with state().db.write(tenant().id) as db:
            sign_out(db, token)
    response = redirect(url_for("desk.login"), 303)
    auth.clear_session_cookie(response)
    return response


csrf.exempt(logout)
