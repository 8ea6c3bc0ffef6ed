"""The tenant's incoming mail, set by admins: its support address and IMAP mailbox, and a
button that reads the mailbox now (so a wrong password shows at once, not in a log)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from intake.desk.blueprint import admin_bp
from intake.desk.forms import MAILBOX_SETTINGS, EmptyForm, MailboxForm
from intake.errors import ConfigError, InvalidInput
from intake.mail.imap import fetch_box, mailbox_of
from intake.settings import TenantSettings
from intake.state import state
from intake.web.notes import flash, leave_note, take_note
from intake.web.shared_edits import merge_edits, seen_values, show_clashes
from intake.web.tenancy import tenant, tenant_session

SHOWN = tuple(key for key in MAILBOX_SETTINGS if key != "mail_password")  # never shown
# Where the stored password is sent: changing any asks for the password again, or an admin
# (or whoever holds an admin's session) could have it sent to a server of their own.
PASSWORD_GOES_TO = ("mail_host", "mail_port", "mail_security", "mail_username")
CHECKED = "mailbox_checked"  # the session's note of the last "read it now", for its page


def _page(form: MailboxForm, status: int = 200) -> Any:
    stored = TenantSettings(tenant_session(), state().secrets)
    return render_template(
        "desk/admin_mailbox.html", form=form, empty=EmptyForm(),
        has_password=bool(stored.get("mail_password")),
        checked=take_note(CHECKED),
    ), status  # fmt: skip


@admin_bp.route("/admin/mail/incoming", methods=["GET", "POST"])
def mailbox() -> Any:
    """Show and change where the tenant's mail comes in; the password is never shown, and an
    empty password field keeps the one stored."""
    if request.method == "GET":
        current = TenantSettings(tenant_session(), state().secrets).plain_values()
        data = {key: current[key] for key in SHOWN}
        return _page(MailboxForm(data={**data, "seen": seen_values(data)}))
    form = MailboxForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    values = {key: form[key].data for key in SHOWN}
    password = form.mail_password.data
    try:
        with state().db.write(tenant().id) as session:
            settings = TenantSettings(session, state().secrets)
            now = {key: value for key, value in settings.plain_values().items() if key in SHOWN}
            changed, clashes = merge_edits(form.seen.data, now, values)
            if not clashes:
                moved = any(changed.get(key, now[key]) != now[key] for key in PASSWORD_GOES_TO)
                reading = bool(changed.get("mail_host", now["mail_host"]))  # none: nowhere
                if moved and reading and not password and settings.get("mail_password"):
                    raise InvalidInput(
                        "Type the password again: the stored one is sent only to "
                        "the server and user it was given for.",
                        "mail_password",
                    )
                for key, value in changed.items():
                    settings.set(key, value)
                if password:
                    settings.set("mail_password", password)
    except InvalidInput as exc:
        getattr(form, exc.field or "mail_host", form.mail_host).errors = [exc.message]
        return _page(form, 400)
    if clashes:
        show_clashes(form, clashes, now, changed)
        return _page(form, 409)
    flash("Incoming mail settings saved." if changed or password
          else "Nothing changed: the settings were already so.")  # fmt: skip
    return redirect(url_for("desk_admin.mailbox"), 303)


@admin_bp.route("/admin/mail/incoming/read", methods=["POST"])
def mailbox_read() -> Any:
    """Read the mailbox now and say what came, or why it could not be read."""
    if EmptyForm().validate_on_submit():
        box = mailbox_of(state().db, state().secrets, tenant().id)
        if box is None:
            said = "No IMAP server is set: there is no mailbox to read."
        else:
            try:
                counts = fetch_box(state().mailroom, tenant().id, box)
            except ConfigError as exc:
                said = exc.message.removeprefix(f"{tenant().id}: ")
            else:
                what = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
                said = f"The mailbox was read: {what or 'no new mail'}."
        leave_note(CHECKED, said)
    return redirect(url_for("desk_admin.mailbox"), 303)
