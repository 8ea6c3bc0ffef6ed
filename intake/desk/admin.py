"""The team's administration (admins only): agents, groups, saved replies, sign-in rules."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from sqlalchemy import select

from intake.agents.accounts import (
    NewAgent,
    change_agent,
    clean_email,
    clean_name,
    create_agent,
    create_group,
    get_agent,
    group_ids_of,
    groups,
    rename_group,
    set_members,
    set_password,
)
from intake.customers.privacy import erase_customer, erasures, export_counts, export_zip
from intake.db import TenantSession
from intake.desk import auth
from intake.desk.blueprint import admin_bp
from intake.desk.forms import (
    AgentForm,
    CannedForm,
    CustomerForm,
    EmptyForm,
    GroupForm,
    SettingsForm,
)
from intake.errors import Conflict, InvalidInput, NotFound
from intake.mail.imap import mailbox_of
from intake.mail.mailbox import mailbox_folder
from intake.mail.outbox import retry_failed, undelivered
from intake.models import Agent, AgentGroup, AgentRole, CannedResponse, GroupMember, TicketPriority
from intake.settings import TenantSettings
from intake.settings.registry import TARGET_KINDS, TARGETS, target_key
from intake.state import state
from intake.tickets.rules import address_key, is_row_id, name_taken
from intake.tickets.targets import change_settings
from intake.web.notes import flash
from intake.web.shared_edits import merge_edits, seen_values, show_clashes
from intake.web.tenancy import tenant, tenant_session

log = logging.getLogger(__name__)


def _team() -> list[Agent]:
    return list(tenant_session().scalars(select(Agent).order_by(Agent.active.desc(), Agent.name)))


@admin_bp.route("/admin/agents", methods=["GET", "POST"])
def agents() -> Any:
    """List the team; add an agent or admin."""
    form = AgentForm()
    status = 200
    if form.validate_on_submit():
        try:
            with state().db.write(tenant().id) as session:
                create_agent(
                    session,
                    NewAgent(
                        form.email.data or "",
                        form.name.data or "",
                        form.password.data or "",
                        AgentRole(form.role.data),
                    ),
                )
        except (InvalidInput, Conflict) as exc:
            getattr(form, exc.field or "email", form.email).errors = [exc.message]
            status = 400
        else:
            flash(f"Account created for {clean_name(form.name.data or '')}"
                  f" ({clean_email(form.email.data or '')}).")  # fmt: skip
            return redirect(url_for("desk_admin.agents"), 303)
    elif request.method == "POST":
        status = 400
    return render_template("desk/admin_agents.html", form=form, team=_team()), status


@admin_bp.route("/admin/agents/<int:agent_id>", methods=["GET", "POST"])
def agent(agent_id: int) -> Any:
    """Change an agent's name, email, role, activity or password."""
    person = get_agent(tenant_session(), agent_id)
    if request.method == "GET":
        # As data, not obj: WTForms takes obj's attributes first, and a role given as the
        # enum matches no option, so the browser sent the first ("agent") and demoted admins.
        shown = _account(person)
        form = AgentForm(data={**shown, "seen": seen_values(shown)})
    else:
        form = AgentForm()
    status = 200
    if form.validate_on_submit():
        try:
            with state().db.write(tenant().id) as session:
                live = get_agent(session, agent_id)
                now = _account(live)
                sent = {"name": form.name.data, "email": clean_email(form.email.data or ""),
                        "role": form.role.data, "active": bool(form.active.data)}  # fmt: skip
                changed, clashes = merge_edits(form.seen.data, now, sent)
                if not clashes:
                    done = _change_account(session, live, changed, form.password.data)
        except (InvalidInput, Conflict) as exc:
            getattr(form, exc.field or "email", form.email).errors = [exc.message]
            status = 400
        else:
            if not clashes:
                flash(done)
                return redirect(url_for("desk_admin.agents"), 303)
            show_clashes(form, clashes, now, changed)
            status = 409
    elif request.method == "POST":
        status = 400
    return render_template("desk/admin_agent.html", form=form, person=person), status


def _account(agent: Agent) -> dict[str, Any]:
    """What an agent's page shows and an admin may change (not the password)."""
    return {"name": agent.name, "email": agent.email, "role": agent.role.value,
            "active": agent.active}  # fmt: skip


def _change_account(
    session: TenantSession, agent: Agent, changed: dict[str, Any], password: str | None
) -> str:
    """Make the changes; return what the admin is told they did."""
    if "email" in changed:
        taken = session.scalars(
            select(Agent.id).where(Agent.email == changed["email"], Agent.id != agent.id)
        ).first()
        if taken is not None:
            raise Conflict("An account with this email already exists.", "email")
        agent.email = changed["email"]
    role = changed.get("role")
    released = change_agent(session, agent, name=changed.get("name"),
                            role=AgentRole(role) if role else None,
                            active=changed.get("active"))  # fmt: skip
    if password:
        set_password(session, agent, password)
    if changed.get("active") is False:
        tickets = f"{released} unfinished ticket{'s' if released != 1 else ''}"
        return (f"{agent.name}'s account is deactivated: signed out everywhere, and their"
                f" {tickets} went back to the queue.")  # fmt: skip
    return f"{agent.name}'s account is saved."


@admin_bp.route("/admin/groups", methods=["GET", "POST"])
def group_list() -> Any:
    """List the groups and their members; add a group."""
    form = GroupForm()
    status = 200
    if form.validate_on_submit():
        try:
            with state().db.write(tenant().id) as session:
                create_group(session, form.name.data or "")
        except (InvalidInput, Conflict) as exc:
            form.name.errors = [exc.message]
            status = 400
        else:
            flash("Group created.")
            return redirect(url_for("desk_admin.group_list"), 303)
    elif request.method == "POST":
        status = 400
    session = tenant_session()
    members: dict[int, set[int]] = {}
    for row in session.scalars(select(GroupMember)):
        members.setdefault(row.group_id, set()).add(row.agent_id)
    team = [a for a in _team() if a.active]
    return render_template(
        "desk/admin_groups.html",
        form=form,
        groups=groups(session),
        members=members,
        team=team,
        empty=EmptyForm(),
    ), status


@admin_bp.route("/admin/groups/<int:group_id>/name", methods=["POST"])
def group_rename(group_id: int) -> Any:
    """Rename a group: its queue, members and tickets stay."""
    if EmptyForm().validate_on_submit():
        try:
            with state().db.write(tenant().id) as session:
                group = session.get(AgentGroup, group_id)
                if group is None:
                    raise InvalidInput("That group was deleted.", "group")
                before = group.name
                rename_group(session, group, request.form.get("name", ""))
                after = group.name
        except (InvalidInput, Conflict) as exc:
            flash(exc.message, "error")
        else:
            flash(f"The group \u201c{before}\u201d is now \u201c{after}\u201d.")
    return redirect(url_for("desk_admin.group_list"), 303)


@admin_bp.route("/admin/groups/<int:group_id>/members", methods=["POST"])
def group_members(group_id: int) -> Any:
    """Set a group's members to the agents ticked."""
    if EmptyForm().validate_on_submit():
        sent = request.form.getlist("member")
        wrong = next((v for v in sent if not is_row_id(v)), None)
        if wrong is not None:  # a browser sends the ticked agents' ids, nothing else
            raise InvalidInput(f"member: {wrong[:20]!r} is no agent's id.", "member")
        wanted = {int(v) for v in sent}
        with state().db.write(tenant().id) as session:
            group = session.get(AgentGroup, group_id)
            if group is None:
                raise InvalidInput("No such group.", "group")
            set_members(session, group, wanted)
        flash("Members saved.")
    return redirect(url_for("desk_admin.group_list"), 303)


@admin_bp.route("/admin/canned", methods=["GET", "POST"])
def canned() -> Any:
    """List the saved replies; add one."""
    form = CannedForm()
    status = 200
    if form.validate_on_submit():
        with state().db.write(tenant().id) as session:
            taken = _title_taken(session, form.title.data or "")
            if not taken:
                session.add(CannedResponse(title=form.title.data or "", body=form.body.data or ""))
        if not taken:
            flash("Saved reply added.")
            return redirect(url_for("desk_admin.canned"), 303)
        form.title.errors = ["A saved reply with this title exists."]
        status = 400
    elif request.method == "POST":
        status = 400
    rows = list(tenant_session().scalars(select(CannedResponse).order_by(CannedResponse.title)))
    return render_template(
        "desk/admin_canned.html", form=form, rows=rows, empty=EmptyForm()
    ), status


def _title_taken(session: TenantSession, title: str, but: int | None = None) -> bool:
    """Say whether another saved reply has this title ("Refund steps" is "refund steps")."""
    rows = session.execute(select(CannedResponse.id, CannedResponse.title))
    return name_taken(rows, title, but)


@admin_bp.route("/admin/canned/<int:canned_id>", methods=["GET", "POST"])
def canned_edit(canned_id: int) -> Any:
    """Change a saved reply's title or text (a typo in one is in every answer that uses it)."""
    row = tenant_session().get(CannedResponse, canned_id)
    if row is None:
        raise NotFound()
    form = CannedForm(obj=row) if request.method == "GET" else CannedForm()
    status = 200
    if form.validate_on_submit():
        title = form.title.data or ""
        with state().db.write(tenant().id) as session:
            live = session.get(CannedResponse, canned_id)
            if live is None:
                raise NotFound()
            taken = _title_taken(session, title, but=canned_id)
            if not taken:
                live.title, live.body = title, form.body.data or ""
        if not taken:
            flash(f"Saved reply \u201c{title}\u201d saved.")
            return redirect(url_for("desk_admin.canned"), 303)
        form.title.errors = ["A saved reply with this title exists."]
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("desk/admin_canned_edit.html", form=form, row=row), status


@admin_bp.route("/admin/canned/<int:canned_id>/delete", methods=["POST"])
def canned_delete(canned_id: int) -> Any:
    """Delete a saved reply."""
    if EmptyForm().validate_on_submit():
        with state().db.write(tenant().id) as session:
            row = session.get(CannedResponse, canned_id)
            if row is not None:
                title = row.title
                session.delete(row)
        flash(f"Saved reply \u201c{title}\u201d deleted." if row is not None
              else "That saved reply was deleted already.")  # fmt: skip
    return redirect(url_for("desk_admin.canned"), 303)


# What the Settings page changes (the rest: `intake settings`).
FORM_SETTINGS = ("require_two_factor", "auto_assign", "auto_close_days", "time_zone",
                 "business_hours", "holidays", "breach_warning_minutes", *TARGETS)  # fmt: skip


@admin_bp.route("/admin/settings", methods=["GET", "POST"])
def settings() -> Any:
    """The tenant's sign-in rule, automatic work and service targets."""
    current = TenantSettings(tenant_session()).plain_values()
    shown = {key: current[key] for key in FORM_SETTINGS}
    form = SettingsForm(data={**shown, "seen": seen_values(shown)})
    status = 400
    if request.method == "POST":
        form = SettingsForm()
        if form.validate_on_submit():
            values = {key: form[key].data for key in FORM_SETTINGS}
            for flag in ("require_two_factor", "auto_assign"):
                values[flag] = bool(values[flag])
            # empty: no target, never close
            values.update({key: values[key] or 0 for key in (*TARGETS, "auto_close_days")})
            with state().db.write(tenant().id) as session:
                settings = TenantSettings(session)
                now = {key: value for key, value in settings.plain_values().items()
                       if key in FORM_SETTINGS}  # fmt: skip
                changed, clashes = merge_edits(form.seen.data, now, values)
                if not clashes:
                    change_settings(settings, changed)
            if not clashes:
                flash("Settings saved.")
                return redirect(url_for("desk_admin.settings"), 303)
            show_clashes(form, clashes, now, changed)
            status = 409
    return render_template(
        "desk/admin_settings.html",
        form=form,
        targets=[(p.value, [form[target_key(k, p)] for k in TARGET_KINDS]) for p in TicketPriority],
        agents_without=[a.name for a in _team() if a.active and not a.totp_enabled],
    ), status if form.errors else 200


def _customers_page(status: int = 200, **forms: Any) -> Any:
    return render_template(
        "desk/admin_customers.html",
        export_form=forms.get("export_form") or CustomerForm(prefix="export"),
        erase_form=forms.get("erase_form") or CustomerForm(prefix="erase"),
        erased=forms.get("erased"),
        erasures=erasures(tenant_session()),
    ), status


@admin_bp.route("/admin/customers", methods=["GET"])
def customers() -> Any:
    """Export or erase everything kept about one customer."""
    return _customers_page()


@admin_bp.route("/admin/customers/export", methods=["POST"])
def customer_export() -> Any:
    """Download a zip of the customer's data (data.json and their tickets' files)."""
    form = CustomerForm(prefix="export")
    if not form.validate_on_submit():
        return _customers_page(400, export_form=form)
    try:
        email = clean_email(form.email.data or "")
    except InvalidInput as exc:
        form.email.errors = [exc.message]
        return _customers_page(400, export_form=form)
    with state().db.read(tenant().id) as session:
        data = export_zip(session, state().files, email)
    if not export_counts(data):  # an empty zip would say nothing to whoever asked
        form.email.errors = [f"Nothing is kept about {email} in this help center: there is"
                             " nothing to export."]  # fmt: skip
        return _customers_page(404, export_form=form)
    # Accountability without the address: who took a customer's data out, and when.
    log.info("%s: a customer's data exported by %s (agent %d)", tenant().id, auth.agent().name,
             auth.agent().id)  # fmt: skip
    disposition = f'attachment; filename="customer-{tenant().id}.zip"'
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": disposition, "Cache-Control": "private, no-store"})  # fmt: skip


@admin_bp.route("/admin/customers/erase", methods=["POST"])
def customer_erase() -> Any:
    """Erase the customer's data once the address is typed twice."""
    form = CustomerForm(prefix="erase")
    if not form.validate_on_submit():
        return _customers_page(400, erase_form=form)
    try:
        email = clean_email(form.email.data or "")
    except InvalidInput as exc:
        form.email.errors = [exc.message]
        return _customers_page(400, erase_form=form)
    if address_key(form.confirm.data or "") != address_key(email):  # any spelling, twice
        form.confirm.errors = ["Type the same address twice to erase."]
        return _customers_page(400, erase_form=form)
    erased = erase_customer(state().db, state().files, tenant().id, email, auth.agent(),
                            mailbox_folder(state().config),
                            mailbox_of(state().db, state().secrets, tenant().id),
                            secret=state().config.secret_key)  # fmt: skip
    return _customers_page(erased=erased)


@admin_bp.route("/admin/mail", methods=["GET"])
def mail() -> Any:
    """Mails not delivered yet, and those given up on, with the reason of the last failure."""
    rows = undelivered(state().db, tenant().id)
    return render_template("desk/admin_mail.html", rows=rows, empty=EmptyForm())


@admin_bp.route("/admin/mail/retry", methods=["POST"])
def mail_retry() -> Any:
    """Give every failed mail (or one) a new round of attempts."""
    if EmptyForm().validate_on_submit():
        one = request.form.get("mail", "")
        retry_failed(state().db, tenant().id, int(one) if is_row_id(one) else None)
    return redirect(url_for("desk_admin.mail"), 303)


__all__ = ["group_ids_of"]
