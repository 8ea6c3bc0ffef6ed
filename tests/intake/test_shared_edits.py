"""Two admins saving one page: neither undoes the other's change without being told, and the
mailbox's stored password goes only where it was given for."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from intake.agents.accounts import get_agent
from intake.models import AgentRole
from intake.settings import TenantSettings
from intake.state import state
from tests.intake.desk import post_form, signed_in
from tests.intake.test_desk_work import agent_id, form_data

SETTINGS = "/desk/eur/admin/settings"
MAILBOX = "/desk/eur/admin/mail/incoming"


def _page(client: FlaskClient, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def send(client: FlaskClient, page: str, url: str, **changes: object) -> Any:
    """Send the page's own form (it posts to itself) as it stands, with `changes` (None: the
    field left out, as an unticked box)."""
    data = {**form_data(page, ""), **changes}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def _settings(app: Flask) -> dict[str, object]:
    with state(app).db.read("eur") as session:
        return TenantSettings(session, state(app).secrets).plain_values()


def test_a_stale_settings_page_saves_only_what_its_admin_changed(app: Flask) -> None:
    one = signed_in(app, "one@example.com", AgentRole.admin)
    two = signed_in(app, "two@example.com", AgentRole.admin)
    page_one, page_two = _page(one, SETTINGS), _page(two, SETTINGS)
    assert send(one, page_one, SETTINGS, time_zone="Europe/Paris").status_code == 303
    assert send(two, page_two, SETTINGS, breach_warning_minutes="30").status_code == 303
    saved = _settings(app)
    assert (saved["time_zone"], saved["breach_warning_minutes"]) == ("Europe/Paris", 30)
    # Both change one field, differently: the second is told, with the value it has now.
    page_one, page_two = _page(one, SETTINGS), _page(two, SETTINGS)
    assert (
        send(one, page_one, SETTINGS, time_zone="Asia/Tokyo", auto_close_days="9").status_code
        == 303
    )
    clash = send(two, page_two, SETTINGS, time_zone="America/Lima")
    assert clash.status_code == 409
    said = html.unescape(clash.get_data(as_text=True))
    assert "Another admin changed this to “Asia/Tokyo” since this page was opened" in said
    assert _settings(app)["time_zone"] == "Asia/Tokyo"
    again = send(two, clash.get_data(as_text=True), SETTINGS)  # the page as it came back
    assert again.status_code == 303 and _settings(app)["time_zone"] == "America/Lima"
    assert _settings(app)["auto_close_days"] == 9  # the other admin's change, not undone


def test_a_long_wrong_holiday_is_named_shortly(app: Flask) -> None:
    admin = signed_in(app, "one@example.com", AgentRole.admin)
    wrong = send(admin, _page(admin, SETTINGS), SETTINGS, holidays="2026-12-25, " + "9" * 4000)
    assert wrong.status_code == 400
    said = html.unescape(wrong.get_data(as_text=True))
    assert f"'{'9' * 30}…' is not a date like 2026-12-25." in said
    assert len(re.findall("9{31,}", said)) == 1  # only in the field, as typed


def test_a_stale_account_page_does_not_bring_a_deactivated_agent_back(app: Flask) -> None:
    one = signed_in(app, "one@example.com", AgentRole.admin)
    two = signed_in(app, "two@example.com", AgentRole.admin)
    signed_in(app, "cat@example.com")
    url = f"/desk/eur/admin/agents/{agent_id(app, 'cat@example.com')}"
    page_one, page_two = _page(one, url), _page(two, url)
    assert send(one, page_one, url, active=None).status_code == 303  # unticked
    assert send(two, page_two, url, name="Cat (support)").status_code == 303
    with state(app).db.read("eur") as session:
        cat = get_agent(session, agent_id(app, "cat@example.com"))
        assert (cat.name, cat.active) == ("Cat (support)", False)
    # Active again; then one admin deactivates and renames while the other renames: a clash,
    # and saving the page as it came back must not bring the agent back.
    assert send(one, _page(one, url), url, active="y").status_code == 303
    page_one, page_two = _page(one, url), _page(two, url)
    assert send(one, page_one, url, name="Cat A", active=None).status_code == 303
    clash = send(two, page_two, url, name="Cat B")
    assert clash.status_code == 409
    assert "changed this to “Cat A”" in html.unescape(clash.get_data(as_text=True))
    with state(app).db.read("eur") as session:
        cat = get_agent(session, agent_id(app, "cat@example.com"))
        assert cat.name == "Cat A"  # nothing of the clashing save
    # Saving the page as it came back writes this admin's change only: no re-activation.
    again = send(two, clash.get_data(as_text=True), url)
    assert again.status_code == 303
    with state(app).db.read("eur") as session:
        cat = get_agent(session, agent_id(app, "cat@example.com"))
        assert (cat.name, cat.active) == ("Cat B", False)


def test_an_admins_page_saved_as_it_stands_keeps_the_admin_an_admin(app: Flask) -> None:
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    deputy = signed_in(app, "deputy@example.com", AgentRole.admin)
    for who in ("deputy@example.com", "boss@example.com"):  # another admin, and oneself
        url = f"/desk/eur/admin/agents/{agent_id(app, who)}"
        page = _page(boss, url)
        assert form_data(page, "")["role"] == "admin"  # the option the page shows selected
        assert send(boss, page, url, name="Renamed").status_code == 303
        with state(app).db.read("eur") as session:
            kept = get_agent(session, agent_id(app, who))
            assert (kept.name, kept.role) == ("Renamed", AgentRole.admin), who
    assert deputy.get("/desk/eur/admin/agents").status_code == 200  # still an admin


def test_the_stored_mailbox_password_is_sent_only_where_it_was_given_for(app: Flask) -> None:
    admin = signed_in(app, "boss@example.com", AgentRole.admin)
    fields = {"mail_address": "support@eur.example.com", "mail_host": "imap.eur.example.com",
              "mail_port": "993", "mail_security": "ssl", "mail_username": "support",
              "mail_password": "S3cret-imap", "mail_folder": "INBOX",
              "mail_done_folder": "Processed"}  # fmt: skip
    assert post_form(admin, MAILBOX, MAILBOX, **fields).status_code == 303
    for moved in ({"mail_host": "127.0.0.1", "mail_security": "none", "mail_port": "8612"},
                  {"mail_username": "someone-else"}, {"mail_port": "143"}):  # fmt: skip
        refused = send(admin, _page(admin, MAILBOX), MAILBOX, mail_password="", **moved)
        assert refused.status_code == 400, moved
        said = html.unescape(refused.get_data(as_text=True))
        assert "Type the password again: the stored one is sent only to the server" in said
        assert _settings(app)["mail_host"] == "imap.eur.example.com"
    # Emptying the server (to stop reading the mailbox) sends the password nowhere: no asking.
    stopped = send(admin, _page(admin, MAILBOX), MAILBOX, mail_password="", mail_host="")
    assert stopped.status_code == 303 and _settings(app)["mail_host"] == ""
    assert send(admin, _page(admin, MAILBOX), MAILBOX, mail_host="imap.eur.example.com",
                mail_password="S3cret-imap").status_code == 303  # fmt: skip
    # Other fields keep the password with an empty field; a move with the password typed saves.
    kept = send(admin, _page(admin, MAILBOX), MAILBOX, mail_password="", mail_folder="In")
    assert kept.status_code == 303
    moved = send(admin, _page(admin, MAILBOX), MAILBOX, mail_host="imap2.eur.example.com",
                      mail_password="S3cret-imap")  # fmt: skip
    assert moved.status_code == 303
    with state(app).db.read("eur") as session:
        stored = TenantSettings(session, state(app).secrets)
        assert (stored.get("mail_host"), stored.get("mail_folder")) == ("imap2.eur.example.com",
                                                                         "In")  # fmt: skip
        assert stored.get("mail_password") == "S3cret-imap"


def _told(client: FlaskClient, answer: Any) -> str:
    """Follow a save's redirect; return the notice the desk's page focuses."""
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    notice = re.search(r'id="desk-done"[^>]*>(.*?)</(?:div|p)>', page, re.S)
    assert notice, page[:500]
    return html.unescape(re.sub(r"<[^>]+>", "", notice.group(1)))


def test_every_admin_save_says_what_it_did(app: Flask) -> None:
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    assert _told(boss, send(boss, _page(boss, MAILBOX), MAILBOX)) == (
        "Nothing changed: the settings were already so."
    )
    saved = send(boss, _page(boss, MAILBOX), MAILBOX, mail_folder="Support")
    assert _told(boss, saved) == "Incoming mail settings saved."
    agents = "/desk/eur/admin/agents"
    made = post_form(boss, agents, agents, name="Cat Lee", email="Cat@Example.com",
                     password="correct horse battery staple", role="agent")  # fmt: skip
    assert _told(boss, made) == "Account created for Cat Lee (cat@example.com)."
    cat = agent_id(app, "cat@example.com")
    page = f"/desk/eur/admin/agents/{cat}"
    gone = send(boss, _page(boss, page), page, active=None)  # unticked
    assert _told(boss, gone) == (
        "Cat Lee's account is deactivated: signed out everywhere, and their 0 unfinished"
        " tickets went back to the queue."
    )
    me = f"/desk/eur/admin/agents/{agent_id(app, 'boss@example.com')}"
    last = send(boss, _page(boss, me), me, active=None)  # the last admin unticks Active
    assert last.status_code == 400
    said = html.unescape(last.get_data(as_text=True))
    field = said[said.index('name="active"') - 600 : said.index('name="active"') + 600]
    assert "This is the last active admin" in field  # said at the box unticked, not Role


def test_a_changed_password_is_said_on_the_sign_in_page(app: Flask) -> None:
    kim = signed_in(app, "kim@example.com")
    account = "/desk/eur/account"
    changed = post_form(kim, account, f"{account}/password",
                        current="correct horse battery staple",
                        new="a much longer new password")  # fmt: skip
    assert _told(kim, changed) == (
        "Your password is changed, and you are signed out everywhere: sign in with the new one."
    )


def test_a_notice_shows_on_its_own_teams_desk_only(app: Flask) -> None:
    """One browser at two teams' desks: eur's "saved" is never said on km's pages."""
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    saved = send(boss, _page(boss, MAILBOX), MAILBOX, mail_folder="Support")
    assert saved.status_code == 303  # the browser goes to km's desk before reading it
    elsewhere = boss.get("/desk/km/login").get_data(as_text=True)
    assert 'id="desk-done"' not in elsewhere and "settings saved" not in elsewhere
    assert "Incoming mail settings saved." in boss.get(MAILBOX).get_data(as_text=True)  # waited
    read = post_form(boss, MAILBOX, f"{MAILBOX}/read")  # the result of "read it now" too
    assert read.status_code == 303
    assert "The mailbox was read" not in boss.get("/desk/km/login").get_data(as_text=True)
    assert "No IMAP server is set" in boss.get(MAILBOX).get_data(as_text=True)
