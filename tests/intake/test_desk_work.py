"""Agents at work in the desk's HTML pages, as a browser drives them, and what the customer and
the database see after: replies and notes, field changes, stale pages, merging, bulk actions,
saved views, saved replies, article links, agents' notifications, presence, escaping."""

from __future__ import annotations

import html
import io
import json
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.agents.accounts import change_agent, create_group, get_agent, set_members
from intake.models import (
    Agent,
    AgentGroup,
    AgentNotification,
    AgentRole,
    AuthorType,
    CannedResponse,
    GroupMember,
    KnowledgeBaseArticle,
    NotificationKind,
    OutboxMessage,
    SavedView,
    SupportTicket,
    TicketAttachment,
    TicketCitation,
    TicketEvent,
    TicketResponse,
    TicketStatus,
)
from intake.state import state
from intake.tickets.access import link_token
from intake.tickets.agent_work import STATUS_NOTES
from intake.tickets.loading import ticket_by_reference
from intake.tickets.mail_headers import read_reply_token
from tests.intake.conftest import PNG, SECRET, api_ticket, form_fields, post_ticket
from tests.intake.desk import hidden, make_agent, signed_in

DESK = "/desk/eur"


class _FormReader(HTMLParser):
    """Collect what a browser would send from the form that posts to `action`."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.found = action, False, False
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and not self.found and a.get("action", "") == self.action:
            self.inside = self.found = True
        if not self.inside or (not a.get("name") and tag != "option"):
            return
        name, kind = a.get("name", ""), a.get("type", "text")
        if tag == "input" and kind not in ("file", "submit", "button"):
            if kind not in ("checkbox", "radio") or "checked" in a:
                self.values[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select is not None:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea, self.values[name] = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            value = self.values[self._textarea]
            self.values[self._textarea] = value[2:] if value.startswith("\r\n") else value
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_data(page: str, action: str) -> dict[str, str]:
    """Return the fields a browser would send from the page's form posting to `action`."""
    reader = _FormReader(action)
    reader.feed(page)
    assert reader.found, f"no form posting to {action!r} on the page"
    return reader.values


def post_from(client: FlaskClient, page: str, action: str, **changes: Any) -> Any:
    """Send the page's form to `action` as it stands, with `changes` (None leaves a field out)."""
    data = {**form_data(page, action), **changes}
    return client.post(action, data={k: v for k, v in data.items() if v is not None})


def submit(client: FlaskClient, url: str, action: str = "", **changes: Any) -> Any:
    """Open `url`, fill in its form for `action` (the page itself when "") and send it."""
    page = client.get(url).get_data(as_text=True)
    data = {**form_data(page, action), **changes}
    return client.post(action or url, data={k: v for k, v in data.items() if v is not None})


def on_ticket(client: FlaskClient, ref: str, what: str, **changes: Any) -> Any:
    """Send one of the desk ticket page's forms (reply, fields, merge) from a fresh page."""
    return submit(client, f"{DESK}/tickets/{ref}", f"{DESK}/tickets/{ref}/{what}", **changes)


def text(response: Any) -> str:
    """Return a page's HTML with its character references resolved, for reading its words."""
    return html.unescape(response.get_data(as_text=True))


def outbox(app: Flask) -> list[OutboxMessage]:
    with state(app).db.all_tenants() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def agent_id(app: Flask, email: str) -> int:
    with state(app).db.read("eur") as session:
        return session.scalars(select(Agent.id).where(Agent.email == email)).one()


def ticket_id(app: Flask, ref: str, tenant: str = "eur") -> int:
    with state(app).db.read(tenant) as session:
        return ticket_by_reference(session, ref).id


def trail(app: Flask, ref: str) -> list[tuple[str, str, int | None]]:
    """Return a ticket's audit trail: (what, detail, agent id) in order."""
    with state(app).db.read("eur") as session:
        query = select(TicketEvent).where(
            TicketEvent.ticket_id == ticket_by_reference(session, ref).id
        )
        return [
            (e.kind.value, e.detail, e.agent_id)
            for e in session.scalars(query.order_by(TicketEvent.id))
        ]


def snapshot(app: Flask) -> list[Any]:
    """Return both tenants' tickets, the sizes of their threads, files, trails, and the outbox."""
    with state(app).db.all_tenants() as session:
        tickets = session.scalars(select(SupportTicket).order_by(SupportTicket.id))
        seen: list[Any] = [
            (t.reference, t.status, t.priority, t.category, t.assigned_agent_id, t.group_id,
             t.merged_into_id, t.version, t.notify_customer,
             [tag.tag for tag in t.tags])
            for t in tickets
        ]  # fmt: skip
        for model in (TicketResponse, TicketAttachment, TicketEvent, OutboxMessage, TicketCitation):
            seen.append(session.scalar(select(func.count(model.id))))
        seen.append(
            list(session.scalars(select(TicketAttachment.ticket_id).order_by(TicketAttachment.id)))
        )
    return seen


def customer_page(client: FlaskClient, created: dict[str, Any]) -> str:
    """Return the customer's ticket page, opened by its private link."""
    response = client.get(created["url"].removeprefix("http://desk.test"))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def customer_api(client: FlaskClient, created: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the thread as the customer reads it through the API: (author, body) pairs."""
    ref, token = created["ticket"]["reference"], created["token"]
    got = client.get(f"/api/v1/eur/tickets/{ref}", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200
    return [(r["author"], r["body"]) for r in got.get_json()["ticket"]["replies"]]


# Replies and notes


def test_a_public_reply_reaches_the_customer_in_one_threaded_mail(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    ref = created["ticket"]["reference"]
    number = ticket_id(app, ref)
    sam = signed_in(app, "sam@example.com")
    before = len(outbox(app))  # the confirmation
    sent = on_ticket(sam, ref, "reply", body="Fixed on our side; please try the export again.")
    assert sent.status_code == 303, text(sent)
    assert sent.headers["Location"] == f"{DESK}/tickets/{ref}"
    assert "Reply sent to the customer." in text(sam.get(sent.headers["Location"]))
    assert "Fixed on our side; please try the export again." in customer_page(client, created)
    assert customer_api(client, created) == [
        ("agent", "Fixed on our side; please try the export again.")
    ]
    mails = outbox(app)[before:]
    assert len(mails) == 1
    mail = mails[0]
    assert mail.to_address == "ada@example.com"
    assert mail.subject == f"[{ref}] Re: Cannot export my invoices"
    headers = mail.headers or {}
    reply_to = re.fullmatch(r"support\+(.+)@desk\.test", headers["Reply-To"])
    assert reply_to and read_reply_token(SECRET, reply_to.group(1)) == ("eur", number)
    root = f"<ticket-{reply_to.group(1)}@desk.test>"  # signed as the reply address is
    assert headers["In-Reply-To"] == headers["References"] == root
    assert read_reply_token("another-secret", reply_to.group(1)) is None
    link = re.search(rf"http://desk\.test(/eur/tickets/{ref}/[A-Za-z0-9_-]+)\n", mail.body)
    assert link and link.group(1) != created["url"].removeprefix("http://desk.test")
    opened = client.get(link.group(1))  # the mail's own (derived) link opens the page
    assert opened.status_code == 200 and "Fixed on our side" in opened.get_data(as_text=True)
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert ticket.status == TicketStatus.pending and ticket.first_response_at is not None
    # A reply that also resolves the ticket is still one mail, which says so.
    sent = on_ticket(sam, ref, "reply", body="Closing this as solved.", status_after="resolved")
    assert sent.status_code == 303, text(sent)
    mails = outbox(app)[before + 1 :]
    assert len(mails) == 1
    assert "Closing this as solved." in mails[0].body
    assert STATUS_NOTES[TicketStatus.resolved] in mails[0].body
    with state(app).db.read("eur") as session:
        assert ticket_by_reference(session, ref).status == TicketStatus.resolved
    assert "This request is resolved" in text(client.get(link.group(1)))


def test_an_internal_note_is_never_shown_to_the_customer_nor_mailed(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    ref = created["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    before = len(outbox(app))
    closing = on_ticket(sam, ref, "reply", body="Customer is on the legacy plan.", internal="y",
                        status_after="closed")  # fmt: skip
    assert closing.status_code == 400 and "A note changes no status" in text(closing)
    noted = on_ticket(sam, ref, "reply", body="Customer is on the legacy plan.", internal="y",
                      attachments=(io.BytesIO(PNG), "plan.png"))  # fmt: skip
    assert noted.status_code == 303, text(noted)
    desk_page = text(sam.get(f"{DESK}/tickets/{ref}"))
    assert "Internal note" in desk_page and "Customer is on the legacy plan." in desk_page
    assert "plan.png" in desk_page
    page = customer_page(client, created)
    assert "legacy plan" not in page and "plan.png" not in page
    assert customer_api(client, created) == []
    assert len(outbox(app)) == before
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert ticket.status == TicketStatus.open  # a note leaves the status as it is
        note_file = ticket.attachments[0].id
    link = created["url"].removeprefix("http://desk.test")
    assert client.get(f"{link}/attachments/{note_file}").status_code == 404
    with sam.get(f"{DESK}/tickets/{ref}/attachments/{note_file}") as download:
        assert download.data == PNG
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert [(r.is_internal, r.agent_id) for r in ticket.responses] == [
            (True, agent_id(app, "sam@example.com"))
        ]


def test_a_customer_who_turned_mails_off_gets_none_and_the_trail_says_so(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    ref, link = created["ticket"]["reference"], created["url"].removeprefix("http://desk.test")
    sam = signed_in(app, "sam@example.com")
    token = form_fields(customer_page(client, created))["csrf_token"]
    for odd in ("banana", "", "١"):  # mails stay on: no answer is taken for "off"
        refused = client.post(f"{link}/notifications", data={"csrf_token": token, "notify": odd})
        assert refused.status_code == 400
        assert "notify: send 1 (mails on) or 0 (mails off)." in text(refused)
    assert "We email you when the support team answers" in text(client.get(link))
    turned = client.post(f"{link}/notifications", data={"csrf_token": token, "notify": "0"})
    assert turned.status_code == 303
    assert "You get no emails about this request" in text(client.get(link))
    before = len(outbox(app))
    assert on_ticket(sam, ref, "reply", body="Here is the answer.").status_code == 303
    assert on_ticket(sam, ref, "fields", status="closed").status_code == 303  # nor a status mail
    assert len(outbox(app)) == before
    assert "Here is the answer." in customer_page(client, created)  # the page still has it
    assert ("notifications_changed", "off", None) in trail(app, ref)
    page = text(sam.get(f"{DESK}/tickets/{ref}"))
    assert "the customer turned mails off" in page
    assert "the customer: notifications changed (off)" in page


# Field changes


def test_each_field_change_is_audited_with_its_agent_and_shown_in_the_history(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    sam_id, kim_id = agent_id(app, "sam@example.com"), make_agent(app, "kim@example.com")
    with state(app).db.write("eur") as session:
        group = create_group(session, "Billing desk").id
    saved = on_ticket(sam, ref, "fields", status="pending", priority="urgent", category="technical",
                      tags="VIP, refund", group=str(group), assignee=str(kim_id))  # fmt: skip
    assert saved.status_code == 303, text(saved)
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert (ticket.status.value, ticket.priority.value, ticket.category.value) == (
            "pending", "urgent", "technical")  # fmt: skip
        assert (ticket.tag_names, ticket.group_id, ticket.assigned_agent_id) == (
            ["refund", "vip"], group, kim_id)  # fmt: skip
    changes = [e for e in trail(app, ref) if e[0] != "created"]
    assert changes == [
        ("priority_changed", "high -> urgent", sam_id),
        ("category_changed", "billing -> technical", sam_id),
        ("tags_changed", "- -> refund, vip", sam_id),
        ("group_changed", "Billing desk", sam_id),
        ("assigned", "Kim", sam_id),
        ("status_changed", "open -> in_progress", sam_id),  # being assigned starts the work
        ("status_changed", "in_progress -> pending", sam_id),  # then the status chosen
    ]
    history = text(sam.get(f"{DESK}/tickets/{ref}")).split('id="trail-title"')[1]
    for line in (
        "Sam: priority changed (high -> urgent)",
        "Sam: category changed (billing -> technical)",
        "Sam: tags changed (- -> refund, vip)",
        "Sam: group changed (Billing desk)",
        "Sam: assigned (Kim)",
        "Sam: status changed (in_progress -> pending)",
        "the customer: created",
    ):
        assert line in history, line
    # Saving the page unchanged changes nothing, and records nothing.
    assert on_ticket(sam, ref, "fields").status_code == 303
    assert [e for e in trail(app, ref) if e[0] != "created"] == changes


def test_assigning_from_the_details_form_starts_the_work_and_junk_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    """The form sends the status the page showed ("open") with the new assignee: the status
    the assignment brings stays. An assignee or group that is not a choice is named."""
    ref = api_ticket(client)["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    kim_id = make_agent(app, "kim@example.com")
    for field, junk in (("assignee", "abc"), ("assignee", "\u0661"), ("group", "0")):
        refused = on_ticket(sam, ref, "fields", **{field: junk})
        assert refused.status_code == 400, (field, junk)
        assert ("Choose an agent." if field == "assignee" else "Choose a group.") in text(refused)
    assert [e[0] for e in trail(app, ref)] == ["created"]  # nothing unassigned or changed
    assert on_ticket(sam, ref, "fields", assignee=str(kim_id)).status_code == 303
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert (ticket.assigned_agent_id, ticket.status.value) == (kim_id, "in_progress")
    assert [e[1] for e in trail(app, ref) if e[0] == "status_changed"] == ["open -> in_progress"]


def test_an_inactive_or_foreign_assignee_and_bad_tags_are_refused_by_field(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    api_ticket(client, "km")
    sam = signed_in(app, "sam@example.com")
    gone, stranger = (
        make_agent(app, "lee@example.com"),
        make_agent(app, "kim@example.com", tenant="km"),
    )
    with state(app).db.write("eur") as session:
        change_agent(session, get_agent(session, gone), active=False)
    with state(app).db.write("km") as session:
        foreign_group = create_group(session, "Maps").id
    before = snapshot(app)
    for changes, field, message in (
        ({"assignee": str(gone)}, "assignee", "Choose an active agent of this team."),
        ({"assignee": str(stranger)}, "assignee", "Choose an active agent of this team."),
        ({"assignee": "999999"}, "assignee", "Choose an active agent of this team."),
        ({"group": str(foreign_group)}, "group", "Choose a group of this team."),
        (
            {"tags": "vip, not ok!"},
            "tags",
            "'not ok!': use a-z, 0-9, - and _ only (no accents or other scripts), at most 40.",
        ),
        ({"tags": ", ".join(f"t{n}" for n in range(21))}, "tags", "Use at most 20 tags."),
    ):
        refused = on_ticket(sam, ref, "fields", priority="low", **changes)
        assert refused.status_code == 400, changes
        page = text(refused)
        assert f'<p class="error" id="{field}-error">{message}</p>' in page, changes
        assert snapshot(app) == before, changes  # not even the priority was kept


def test_a_closed_ticket_is_not_reopened_by_hand(app: Flask, client: FlaskClient) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    assert on_ticket(sam, ref, "fields", status="closed").status_code == 303
    before = snapshot(app)
    refused = on_ticket(sam, ref, "fields", status="open", priority="low")
    assert refused.status_code == 409
    assert "A closed ticket stays closed; the customer can open a follow-up." in text(refused)
    refused = on_ticket(sam, ref, "reply", body="Anything more?")
    assert refused.status_code == 409
    assert "This ticket is closed: nothing more goes to the customer from it." in text(refused)
    assert snapshot(app) == before


# Two agents, one ticket


def test_a_save_from_a_stale_page_is_refused_naming_who_changed_it(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    other = api_ticket(client, subject="Export still broken")["ticket"]["reference"]
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    sam_page = sam.get(f"{DESK}/tickets/{ref}").get_data(as_text=True)
    kim_page = kim.get(f"{DESK}/tickets/{ref}").get_data(as_text=True)
    assert hidden(sam_page, "version") == hidden(kim_page, "version")
    first = post_from(sam, sam_page, f"{DESK}/tickets/{ref}/fields", priority="low")
    assert first.status_code == 303, text(first)
    after_first = snapshot(app)
    for what, changes in (
        ("reply", {"body": "Too late, I think."}),
        ("reply", {"body": "A late note.", "internal": "y"}),
        ("fields", {"priority": "urgent", "tags": "late", "status": "resolved"}),
        ("merge", {"into": other}),
    ):
        refused = post_from(kim, kim_page, f"{DESK}/tickets/{ref}/{what}", **changes)
        assert refused.status_code == 409, what
        said = (  # the Details name the field both changed, as it is now
            "Sam changed this to “Low” since this page was opened."
            if what == "fields"
            else "Sam changed this ticket since you opened it; nothing was saved."
        )
        assert said in text(refused), what
        assert snapshot(app) == after_first, what


def test_details_saved_from_an_older_page_keep_a_colleagues_other_changes(
    app: Flask, client: FlaskClient
) -> None:
    """Details saved from a page opened before a colleague's save write only what this agent
    changed: the colleague's change of another field stays. A field both changed, to other
    values, comes back as it is now, with this agent's other changes kept in the form; saving
    again writes theirs."""
    ref = api_ticket(client)["ticket"]["reference"]
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    page = f"{DESK}/tickets/{ref}"
    sam_page, kim_page = sam.get(page).get_data(as_text=True), kim.get(page).get_data(as_text=True)
    assert post_from(sam, sam_page, f"{page}/fields", priority="low").status_code == 303
    kept = post_from(kim, kim_page, f"{page}/fields", tags="billing")  # another field: saved
    assert kept.status_code == 303, text(kept)
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert (ticket.priority.value, ticket.tag_names) == ("low", ["billing"])
    clash = post_from(kim, kim_page, f"{page}/fields", priority="urgent", category="billing")
    assert clash.status_code == 409
    shown = text(clash)
    assert "Sam changed this to “Low” since this page was opened." in shown
    again = post_from(kim, clash.get_data(as_text=True), f"{page}/fields")  # as it came back
    assert again.status_code == 303, text(again)
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert (ticket.priority.value, ticket.category.value) == ("urgent", "billing")
        assert ticket.tag_names == ["billing"]


# Merging


def test_merging_moves_the_thread_and_files_and_a_mailed_link_forwards(
    app: Flask, client: FlaskClient
) -> None:
    posted = post_ticket(
        client, subject="Export broken", attachments=[(io.BytesIO(PNG), "shot.png")]
    )
    old_link = posted.headers["Location"].split("?")[0]
    dup = old_link.split("/")[3]
    keep = api_ticket(client, subject="Invoices export fails")
    into = keep["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    answer = client.post(
        f"/api/v1/eur/tickets/{dup}/attachments",
        data={"body": "Another screenshot.", "file": (io.BytesIO(PNG), "second.png")},
        headers={"Authorization": f"Bearer {old_link.split('/')[4]}"},
    )
    assert answer.status_code == 201, answer.get_json()
    noted = on_ticket(sam, dup, "reply", body="Seen the logs.", internal="y",
                      attachments=(io.BytesIO(PNG), "logs.png"))  # fmt: skip
    assert noted.status_code == 303
    before = len(outbox(app))
    merged = on_ticket(sam, dup, "merge", into=into.lower())
    assert merged.status_code == 303, text(merged)
    assert merged.headers["Location"] == f"{DESK}/tickets/{into}"
    with state(app).db.read("eur") as session:
        source, target = ticket_by_reference(session, dup), ticket_by_reference(session, into)
        assert (source.status, source.merged_into_id) == (TicketStatus.closed, target.id)
        assert source.responses == [] and source.attachments == []
        assert [r.body for r in target.responses] == [
            f"[{dup}] Export broken\n\nThe export button spins forever since Monday.",
            "Another screenshot.",
            "Seen the logs.",
        ]
        names = sorted(a.original_name for a in target.attachments)
        assert names == ["logs.png", "second.png", "shot.png"]
        assert all(a.response_id is not None for a in target.attachments)
    mails = outbox(app)[before:]
    assert [(m.to_address, m.subject) for m in mails] == [
        ("ada@example.com", f"[{dup}] Joined with {into}")
    ]
    assert f"http://desk.test/eur/tickets/{into}/" in mails[0].body
    desk_page = text(sam.get(f"{DESK}/tickets/{dup}"))
    assert f"Merged into {into}." in re.sub(r"<[^>]+>", "", desk_page)
    assert "shot.png" in text(sam.get(f"{DESK}/tickets/{into}"))
    # Anyone may send a ticket in an address's name and sees its first link: that link shows
    # the duplicate alone, saying where it went, and the kept ticket's first link is void.
    shown = client.get(old_link)
    assert shown.status_code == 200
    words = " ".join(re.sub(r"<[^>]+>", " ", text(shown)).split())
    assert f"This request was joined with {into}" in words
    assert "Invoices export fails" not in text(shown) and "shot.png" not in text(shown)
    assert client.get(f"/eur/tickets/{into}/{keep['token']}").status_code == 404
    bearer = {"Authorization": f"Bearer {keep['token']}"}
    assert client.get(f"/api/v1/eur/tickets/{into}", headers=bearer).status_code == 404
    mailed = re.search(r"http://desk\.test(/eur/tickets/\S+)", mails[0].body)
    assert mailed and client.get(mailed.group(1)).status_code == 200
    # A link from the duplicate's mails leads to the ticket kept, files and all.
    with state(app).db.read("eur") as session:
        source_id = ticket_by_reference(session, dup).id
    forwarded = client.get(f"/eur/tickets/{dup}/{link_token(SECRET, 'eur', source_id)}")
    assert forwarded.status_code == 303
    assert forwarded.headers["Location"].startswith(f"/eur/tickets/{into}/")
    page = client.get(forwarded.headers["Location"]).get_data(as_text=True)
    assert "Invoices export fails" in page and f"[{dup}] Export broken" in page
    assert "shot.png" in page and "second.png" in page
    assert "Seen the logs." not in page and "logs.png" not in page  # a note stays the team's
    assert page.index(f"[{dup}] Export broken") < page.index("Another screenshot.")
    download = re.search(r'href="([^"]+/attachments/\d+)" download>shot.png<', page)
    assert download
    with client.get(download.group(1)) as got:
        assert got.data == PNG


def test_a_merge_that_cannot_be_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    dup = api_ticket(client)["ticket"]["reference"]
    closed = api_ticket(client, subject="Old question")["ticket"]["reference"]
    stranger = api_ticket(client, email="bob@example.com")["ticket"]["reference"]
    foreign = api_ticket(client, "km")["ticket"]["reference"]
    tagged = api_ticket(client, subject="Many tags")["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    assert on_ticket(sam, closed, "fields", status="closed").status_code == 303
    for ref, prefix in ((dup, "a"), (tagged, "b")):  # 20 each, 40 together
        tags = ", ".join(f"{prefix}{n}" for n in range(20))
        assert on_ticket(sam, ref, "fields", tags=tags).status_code == 303
    before = snapshot(app)
    for into, status, message in (
        (dup, 400, "A ticket cannot be merged into itself."),
        (closed, 409, f"{closed} is closed; merge into an open ticket."),
        (stranger, 409, "Only tickets of the same customer can be merged"),
        (foreign, 400, f"No ticket '{foreign}' here."),
        ("EUR-99999", 400, "No ticket 'EUR-99999' here."),
        (tagged, 409, "Together the tickets have 40 tags; a ticket takes at most 20"),
    ):
        refused = on_ticket(sam, dup, "merge", into=into)
        assert refused.status_code == status, into
        error = re.search(r'<p class="error" id="into-error">([^<]*)</p>', text(refused))
        assert error and message in error.group(1), into
        assert snapshot(app) == before, into


def test_a_reply_from_a_page_opened_before_the_merge_joins_the_ticket_kept(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    dup, link = created["ticket"]["reference"], created["url"].removeprefix("http://desk.test")
    into = api_ticket(client, subject="Invoices export fails")["ticket"]["reference"]
    token = form_fields(customer_page(client, created))["csrf_token"]  # the page stays open
    sam = signed_in(app, "sam@example.com")
    assert on_ticket(sam, dup, "merge", into=into).status_code == 303
    with state(app).db.read("eur") as session:
        source_id = ticket_by_reference(session, dup).id
    mailed = f"/eur/tickets/{dup}/{link_token(SECRET, 'eur', source_id)}"  # as its mails say
    sent = client.post(f"{mailed}/replies", data={"csrf_token": token, "body": "More details."})
    assert sent.status_code == 303
    assert sent.headers["Location"].startswith(f"/eur/tickets/{into}/")
    # The link shown at creation proves no mailbox: it writes to a request of its own (a
    # follow-up of the closed duplicate), and even refused it shows nothing of the kept one.
    wrong = client.post(
        f"{link}/replies",
        data={"csrf_token": token, "body": "Mine.", "attachments": (io.BytesIO(b"MZ"), "x.exe")},
    )
    assert wrong.status_code == 400 and "More details." not in text(wrong)
    assert "Invoices export fails" not in text(wrong)
    follow = client.post(f"{link}/replies", data={"csrf_token": token, "body": "And more."})
    assert follow.status_code == 303
    assert not follow.headers["Location"].startswith(f"/eur/tickets/{into}/")
    with state(app).db.read("eur") as session:
        assert session.scalar(select(func.count(SupportTicket.id))) == 3  # the follow-up
        kept = ticket_by_reference(session, into)
        assert [r.body for r in kept.responses][-1] == "More details."


# Bulk actions


def bulk(client: FlaskClient, ids: list[int], **values: str) -> Any:
    """Select tickets in the queue and apply one action to them, as the queue's form does."""
    page = client.get(f"{DESK}/").get_data(as_text=True)
    data: dict[str, Any] = {
        **form_data(page, f"{DESK}/bulk"),
        **values,
        "ticket": [str(i) for i in ids],
    }
    return client.post(f"{DESK}/bulk", data=data)


def test_bulk_and_presence_refuse_numbers_and_addresses_that_are_no_choice(
    app: Flask, client: FlaskClient
) -> None:
    """No number past any row's reaches the database (it overflows: a 500), and the page to
    go back to is one of the tenant's desk pages, without a line break (a header's end)."""
    ids = [ticket_id(app, api_ticket(client)["ticket"]["reference"])]
    sam = signed_in(app, "sam@example.com")
    huge = bulk(sam, ids, action="assign", assignee="9" * 20)
    assert huge.status_code == 400 and "Choose an agent." in text(huge)
    long_tag = bulk(sam, ids, action="tag", tag="x" * 41)  # named, not "the form has expired"
    assert long_tag.status_code == 400 and "Tag: " in text(long_tag)
    assert "expired" not in text(long_tag)
    far = sam.get(f"{DESK}/?page=100001")
    assert far.status_code == 400 and "page: use a page number from 1 to 100,000." in text(far)
    # A field the action does not use is not checked: a tag needs no status.
    tagged = bulk(sam, ids, action="tag", tag="later", status="no-such-status")
    assert tagged.status_code == 303
    long_name = submit(sam, f"{DESK}/", f"{DESK}/views", name="v" * 101)
    assert long_name.status_code == 400
    assert "Name of this view: Field cannot be longer than 100 characters." in text(long_name)
    back = bulk(sam, ids, action="tag", tag="vip", back=f"{DESK}/\r\nSet-Cookie: x=1")
    assert back.status_code == 303 and back.headers["Location"] == f"{DESK}/"
    page = sam.get(f"{DESK}/").get_data(as_text=True)
    for wrong in (True, 2**70, "7"):
        refused = presence(sam, page, state="viewing", ticket_id=wrong)
        assert refused.status_code == 400 and "ticket_id" in refused.get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token
    twice = sam.post(
        f"{DESK}/presence",
        data='{"state": "online", "state": "away"}',
        content_type="application/json",
        headers={"X-CSRFToken": token.group(1)},
    )
    assert twice.status_code == 400  # read one way only, and said so  # fmt: skip
    assert twice.get_json()["error"]["field"] == "state"


def test_bulk_actions_apply_to_every_selected_ticket(app: Flask, client: FlaskClient) -> None:
    refs = [
        api_ticket(client, subject=f"Export problem {n}")["ticket"]["reference"] for n in range(3)
    ]
    ids = [ticket_id(app, ref) for ref in refs]
    sam = signed_in(app, "sam@example.com")
    kim_id = make_agent(app, "kim@example.com")
    done = bulk(sam, ids, action="assign", assignee=str(kim_id))
    assert f"{len(ids)} tickets changed." in text(sam.get(done.headers["Location"]))
    assert done.status_code == 303 and done.headers["Location"].startswith(f"{DESK}/")
    done = bulk(sam, ids, action="tag", tag="VIP")
    assert done.status_code == 303
    with state(app).db.read("eur") as session:
        tickets = [ticket_by_reference(session, ref) for ref in refs]
        assert [(t.assigned_agent_id, t.status) for t in tickets] == [
            (kim_id, TicketStatus.in_progress)
        ] * 3
        assert [t.tag_names for t in tickets] == [["vip"]] * 3
    mails = len(outbox(app))
    assert bulk(sam, ids[:2], action="status", status="resolved").status_code == 303
    assert len(outbox(app)) == mails + 2  # each customer hears of their ticket once
    assert bulk(sam, ids[1:], action="merge", into=refs[0]).status_code == 303
    with state(app).db.read("eur") as session:
        tickets = [ticket_by_reference(session, ref) for ref in refs]
        assert [(t.status, t.merged_into_id) for t in tickets] == [
            (TicketStatus.resolved, None),
            (TicketStatus.closed, ids[0]),
            (TicketStatus.closed, ids[0]),
        ]
    sam_id = agent_id(app, "sam@example.com")
    assert ("assigned", "Kim", sam_id) in trail(app, refs[2])
    assert ("merged", f"from {refs[1]}", sam_id) in trail(app, refs[0])


def test_adding_a_tag_keeps_the_tags_a_ticket_has(app: Flask, client: FlaskClient) -> None:
    refs = [
        api_ticket(client, subject=f"Export problem {n}")["ticket"]["reference"] for n in range(3)
    ]
    ids = [ticket_id(app, ref) for ref in refs]
    sam = signed_in(app, "sam@example.com")
    assert on_ticket(sam, refs[0], "fields", tags="refund").status_code == 303
    assert on_ticket(sam, refs[1], "fields", tags="export").status_code == 303
    # In a ticket's details, in the queue for several at once, and by merging a duplicate.
    assert on_ticket(sam, refs[0], "fields", tags="refund, vip").status_code == 303
    assert bulk(sam, ids, action="tag", tag="urgent-fix").status_code == 303
    assert on_ticket(sam, refs[1], "merge", into=refs[0]).status_code == 303
    with state(app).db.read("eur") as session:
        assert [ticket_by_reference(session, ref).tag_names for ref in refs] == [
            ["export", "refund", "urgent-fix", "vip"],
            ["export", "urgent-fix"],
            ["urgent-fix"],
        ]
    assert ("tags_changed", "refund -> refund, vip", agent_id(app, "sam@example.com")) in trail(
        app, refs[0]
    )


def test_a_bulk_action_one_ticket_refuses_changes_none(app: Flask, client: FlaskClient) -> None:
    refs = [
        api_ticket(client, subject=f"Export problem {n}")["ticket"]["reference"] for n in range(3)
    ]
    stranger = api_ticket(client, email="bob@example.com")["ticket"]["reference"]
    foreign = api_ticket(client, "km")["ticket"]["reference"]
    ids = [ticket_id(app, ref) for ref in refs]
    sam = signed_in(app, "sam@example.com")
    assert on_ticket(sam, refs[0], "fields", status="pending").status_code == 303
    assert on_ticket(sam, refs[1], "fields", status="closed").status_code == 303
    before = snapshot(app)
    refused = bulk(sam, ids, action="status", status="open")
    assert refused.status_code == 409
    assert f"{refs[1]}: A closed ticket stays closed" in text(refused)
    # Said on the queue itself, the tickets still ticked, not on a page of the customers'.
    assert 'class="site-header desk-header"' in text(refused)
    ticked = re.findall(
        r'value="(\d+)" form="bulk" id="pick-\d+" aria-label="[^"]+" checked', text(refused)
    )
    assert sorted(map(int, ticked)) == [ids[0], ids[2]]  # the closed one is not listed
    assert snapshot(app) == before  # not even the pending ticket before it was reopened
    refused = bulk(sam, [ids[0], ids[2], ticket_id(app, stranger)], action="merge", into=refs[0])
    assert (
        refused.status_code == 400
        and f"{refs[0]}: A ticket cannot be merged into itself." in text(refused)
    )
    refused = bulk(sam, [ids[2], ticket_id(app, stranger)], action="merge", into=refs[0])
    assert refused.status_code == 409 and f"{stranger}: Only tickets of the same customer" in text(
        refused
    )
    refused = bulk(sam, [ids[2], ticket_id(app, foreign, "km")], action="tag", tag="vip")
    assert refused.status_code == 404
    assert snapshot(app) == before


# Saved views


def test_saved_views_are_kept_used_and_deleted_by_their_agent_alone(
    app: Flask, client: FlaskClient
) -> None:
    waiting = api_ticket(client, subject="Waiting for the customer")["ticket"]["reference"]
    fresh = api_ticket(client, subject="Brand new problem")["ticket"]["reference"]
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    assert on_ticket(sam, waiting, "fields", status="pending").status_code == 303
    query = "status=pending&priority=high"
    kept = submit(sam, f"{DESK}/?{query}", f"{DESK}/views", name="Waiting, high")
    assert kept.status_code == 303 and kept.headers["Location"] == f"{DESK}/?{query}"
    queue = sam.get(f"{DESK}/").get_data(as_text=True)
    listed = re.search(r'<li><a href="\?([^"]+)">Waiting, high</a>', queue)
    assert listed and html.unescape(listed.group(1)) == query
    used = text(sam.get(f"{DESK}/?{html.unescape(listed.group(1))}"))
    assert waiting in used and fresh not in used
    assert "Waiting, high" not in text(kim.get(f"{DESK}/"))
    with state(app).db.read("eur") as session:
        view = session.scalars(select(SavedView)).one()
        assert (view.agent_id, view.query) == (agent_id(app, "sam@example.com"), query)
    # Another agent can neither see nor delete it.
    assert f"{DESK}/views/{view.id}/delete" not in kim.get(f"{DESK}/").get_data(as_text=True)
    kim_token = hidden(kim.get(f"{DESK}/").get_data(as_text=True))
    kim.post(f"{DESK}/views/{view.id}/delete", data={"csrf_token": kim_token})
    with state(app).db.read("eur") as session:
        assert session.scalar(select(func.count(SavedView.id))) == 1
    assert submit(sam, f"{DESK}/", f"{DESK}/views/{view.id}/delete").status_code == 303
    assert "Waiting, high" not in text(sam.get(f"{DESK}/"))
    # A query the queue would refuse is not kept.
    refused = submit(sam, f"{DESK}/", f"{DESK}/views", name="Broken", query="priority=bogus")
    assert refused.status_code == 400 and "priority: use one of" in text(refused)
    with state(app).db.read("eur") as session:
        assert session.scalar(select(func.count(SavedView.id))) == 0
    # Kept as the queue writes it: escapes read, line breaks and unknown keys gone.
    odd = "status=op%65n&zzz=a%0D%0ASet-Cookie:+x=1&q=" + "%C3%A9t%C3%A9+" * 30
    saved = submit(sam, f"{DESK}/", f"{DESK}/views", name="Odd", query=odd)
    assert saved.status_code == 303 and "\n" not in saved.headers["Location"]
    with state(app).db.read("eur") as session:
        kept_query = session.scalars(select(SavedView.query)).one()
    assert kept_query.startswith("status=open&q=") and "zzz" not in kept_query


def test_deactivating_an_agent_gives_their_open_tickets_back_to_the_queue(
    app: Flask, client: FlaskClient
) -> None:
    """Open work goes back to the queue (a customer's reply would otherwise reach nobody);
    a finished ticket keeps who had it, shown as deactivated, and a save of its details
    keeps them."""
    ref = api_ticket(client)["ticket"]["reference"]
    done_ticket = api_ticket(client, subject="Printing works again")
    done = done_ticket["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    cat = make_agent(app, "cat@example.com")
    assert on_ticket(sam, ref, "fields", assignee=str(cat)).status_code == 303
    assert on_ticket(sam, done, "fields", assignee=str(cat)).status_code == 303
    assert on_ticket(sam, done, "fields", status="resolved").status_code == 303
    with state(app).db.write("eur") as session:
        change_agent(session, get_agent(session, cat), active=False)
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, ref)
        assert (ticket.assigned_agent_id, ticket.status) == (None, TicketStatus.open)
        trail = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .order_by(TicketEvent.id)).all()  # fmt: skip
        assert [(e.detail, e.actor) for e in trail[-2:]] == [
            ("nobody (Cat was deactivated)", AuthorType.system),
            ("in_progress -> open", AuthorType.system)]  # fmt: skip
        assert ticket_by_reference(session, done).assigned_agent_id == cat
    page = text(sam.get(f"{DESK}/tickets/{done}"))
    assert form_data(page, f"{DESK}/tickets/{done}/fields")["assignee"] == str(cat)
    assert "(deactivated)" in page
    assert on_ticket(sam, done, "fields", priority="high").status_code == 303  # only that
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, done)
        assert (ticket.assigned_agent_id, ticket.priority.value) == (cat, "high")
    # Its customer writes again: reopened, it goes back to the queue, not to nobody's notice.
    token = done_ticket["token"]
    said = client.post(f"/api/v1/eur/tickets/{done}/replies", json={"body": "It broke again."},
                       headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert said.status_code == 201
    with state(app).db.read("eur") as session:
        ticket = ticket_by_reference(session, done)
        assert (ticket.assigned_agent_id, ticket.status) == (None, TicketStatus.open)


def test_agents_files_leave_the_customers_allowance_alone(app: Flask, client: FlaskClient) -> None:
    """A customer may send MAX_ATTACHMENTS files (3 in tests) whatever agents sent them; an
    agent's reply takes as many, each reply."""
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    sam = signed_in(app, "sam@example.com")
    three = [(io.BytesIO(PNG), f"step{n}.png") for n in range(3)]
    assert on_ticket(sam, ref, "reply", body="Here are the steps.", attachments=three
                     ).status_code == 303  # fmt: skip
    theirs = {"file": [(io.BytesIO(PNG), f"shot{n}.png") for n in range(3)]}
    sent = client.post(f"/api/v1/eur/tickets/{ref}/attachments", headers=auth, data=theirs,
                       content_type="multipart/form-data")  # fmt: skip
    assert sent.status_code == 201, sent.get_json()
    four = [(io.BytesIO(PNG), f"more{n}.png") for n in range(4)]
    refused = on_ticket(sam, ref, "reply", body="More.", attachments=four)
    assert refused.status_code == 400 and "Attach at most 3 files per reply." in text(refused)


def test_an_admin_renames_a_group_and_its_queue_stays(app: Flask, client: FlaskClient) -> None:
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    groups = f"{DESK}/admin/groups"
    for name in ("Billing", "Sales"):
        assert submit(boss, groups, name=name).status_code == 303
    with state(app).db.read("eur") as session:
        billing = session.scalars(select(AgentGroup.id).where(AgentGroup.name == "Billing")).one()
    ref = api_ticket(client)["ticket"]["reference"]
    assert on_ticket(boss, ref, "fields", group=str(billing)).status_code == 303
    rename = f"{groups}/{billing}/name"

    def told(name: str) -> str:
        answer = submit(boss, groups, rename, name=name)
        assert answer.status_code == 303
        return html.unescape(text(boss.get(answer.headers["Location"])))

    assert "A group with this name already exists." in told("sales")
    assert "Enter a name of 1 to 100 characters on one line." in told(" ")
    assert "The group \u201cBilling\u201d is now \u201cInvoices\u201d." in told("Invoices")
    with state(app).db.read("eur") as session:
        assert sorted(session.scalars(select(AgentGroup.name))) == ["Invoices", "Sales"]
        assert ticket_by_reference(session, ref).group_id == billing  # its tickets stay
    sam = signed_in(app, "sam@example.com")
    csrf = hidden(sam.get(f"{DESK}/").get_data(as_text=True))
    assert sam.post(rename, data={"csrf_token": csrf, "name": "Mine"}).status_code == 404


def test_an_admin_sets_a_groups_members_and_junk_is_named_not_dropped(app: Flask) -> None:
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    sam, kim = (make_agent(app, f"{name}@example.com") for name in ("sam", "kim"))
    groups = f"{DESK}/admin/groups"
    assert submit(boss, groups, name="Billing").status_code == 303
    with state(app).db.read("eur") as session:
        group = session.scalars(select(AgentGroup)).one().id
    members = f"{groups}/{group}/members"
    page = boss.get(groups).get_data(as_text=True)
    token = hidden(page)
    saved = boss.post(members, data={"csrf_token": token, "member": [str(sam), str(kim)]})
    assert saved.status_code == 303
    for junk in ("\u0663", "x", "0", str(2**70)):
        refused = boss.post(members, data={"csrf_token": token, "member": [str(sam), junk]})
        assert refused.status_code == 400 and "is no agent's id" in text(refused), junk
    with state(app).db.read("eur") as session:
        kept = set(session.scalars(select(GroupMember.agent_id)))
    assert kept == {sam, kim}  # nothing of the refused saves


def test_names_are_kept_in_one_spelling_and_look_alikes_are_refused(app: Flask) -> None:
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    groups = f"{DESK}/admin/groups"
    assert submit(boss, groups, name="  Billing\u00a0 team ").status_code == 303
    for look_alike in ("Billing team", "billing  TEAM", "Billing\u2003team"):
        refused = submit(boss, groups, name=look_alike)
        assert refused.status_code == 400, ascii(look_alike)
        assert "A group with this name already exists." in text(refused)
    # A joiner joining nothing is dropped from a name: alone, nothing is left of it.
    for invisible, said in (("\u200d\u200d", "Name the group."), ("\u200c", "Name the group."),
                            ("Billing team\u200d", "A group with this name already exists."),
                            ("Billing\nteam", "must be a single line")):  # fmt: skip
        refused = submit(boss, groups, name=invisible)
        assert refused.status_code == 400 and said in text(refused), ascii(invisible)
    canned = f"{DESK}/admin/canned"
    saved = submit(boss, canned, title="Refund\u00a0\u00a0steps", body="We refunded it.")
    assert saved.status_code == 303
    again = submit(boss, canned, title="refund STEPS", body="Another text.")
    assert again.status_code == 400 and "A saved reply with this title exists." in text(again)
    with state(app).db.read("eur") as session:
        assert list(session.scalars(select(AgentGroup.name))) == ["Billing team"]
        assert list(session.scalars(select(CannedResponse.title))) == ["Refund steps"]


# Saved replies


def test_an_admin_keeps_saved_replies_that_fill_in_the_reply_box(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    sam = signed_in(app, "sam@example.com")
    body = "Hello {customer_name},\nyour refund for {reference} is on its way.\n{agent_name}"
    added = submit(boss, f"{DESK}/admin/canned", title="Refund on its way", body=body)
    assert added.status_code == 303, text(added)
    with state(app).db.read("eur") as session:
        canned = session.scalars(select(CannedResponse)).one()
    assert canned.body == body
    for client_, name in ((boss, "Boss"), (sam, "Sam")):
        page = client_.get(f"{DESK}/tickets/{ref}?canned={canned.id}").get_data(as_text=True)
        box = form_data(page, f"{DESK}/tickets/{ref}/reply")["body"]
        assert box == f"Hello Ada Lovelace,\nyour refund for {ref} is on its way.\n{name}"
    assert sam.get(f"{DESK}/admin/canned").status_code == 404
    csrf = hidden(sam.get(f"{DESK}/").get_data(as_text=True))
    for url in (f"{DESK}/admin/canned", f"{DESK}/admin/canned/{canned.id}/delete"):
        answer = sam.post(url, data={"csrf_token": csrf, "title": "Mine", "body": "Hi."})
        assert answer.status_code == 404, url
    with state(app).db.read("eur") as session:
        assert list(session.scalars(select(CannedResponse.title))) == ["Refund on its way"]


def test_an_admin_corrects_and_deletes_saved_replies(app: Flask) -> None:
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    canned = f"{DESK}/admin/canned"
    for title in ("Refund on its way", "Thanks"):
        assert (
            submit(boss, canned, title=title, body="Hello {customer_name}, done.").status_code
            == 303
        )
    with state(app).db.read("eur") as session:
        refund = session.scalars(select(CannedResponse).where(
            CannedResponse.title == "Refund on its way")).one().id  # fmt: skip
    page = f"{canned}/{refund}"
    assert f'href="{page}"' in boss.get(canned).get_data(as_text=True)  # "Edit" on the list
    clash = submit(boss, page, title="thanks")
    assert clash.status_code == 400 and "A saved reply with this title exists." in text(clash)
    typo = submit(boss, page, body="Hi {custmer_name}")
    assert typo.status_code == 400 and "{custmer_name} is no placeholder" in html.unescape(
        text(typo))  # fmt: skip
    fixed = submit(boss, page, title="Refund sent", body="Hello {customer_name}, it is sent.")
    assert fixed.status_code == 303
    assert "Saved reply \u201cRefund sent\u201d saved." in text(boss.get(fixed.headers["Location"]))
    with state(app).db.read("eur") as session:
        row = session.get(CannedResponse, refund)
        assert row is not None and (row.title, row.body) == (
            "Refund sent", "Hello {customer_name}, it is sent.")  # fmt: skip
    sam = signed_in(app, "sam@example.com")
    assert sam.get(page).status_code == 404
    assert boss.get(f"{canned}/999999").status_code == 404
    gone = submit(boss, canned, f"{canned}/{refund}/delete")
    assert "Saved reply \u201cRefund sent\u201d deleted." in text(
        boss.get(gone.headers["Location"])
    )
    with state(app).db.read("eur") as session:
        assert list(session.scalars(select(CannedResponse.title))) == ["Thanks"]


def test_a_saved_reply_fills_in_placeholders_only_never_format_codes(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    typo = submit(boss, f"{DESK}/admin/canned", title="Typo", body="Hi {custmer_name}")
    assert typo.status_code == 400
    assert "{custmer_name} is no placeholder; use {customer_name}" in html.unescape(text(typo))
    # Written before that rule (or by hand): format codes stay text, and the page still opens.
    codes = "{customer_name[x]} {customer_name:>5000000} {customer_name.__class__} {0} {}"
    with state(app).db.write("eur") as session:
        session.add(CannedResponse(title="Odd", body="Dear {customer_name}, " + codes
                                   + " {{kept}}"))  # a brace as str.format wrote it  # fmt: skip
    with state(app).db.read("eur") as session:
        canned = session.scalars(select(CannedResponse)).one()
    page = boss.get(f"{DESK}/tickets/{ref}?canned={canned.id}")
    assert page.status_code == 200
    box = form_data(page.get_data(as_text=True), f"{DESK}/tickets/{ref}/reply")["body"]
    assert box == "Dear Ada Lovelace, " + codes + " {kept}"


# The knowledge base


def test_an_article_found_with_a_typo_and_linked_in_a_reply_is_cited(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    ref = created["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    found = sam.get(f"{DESK}/kb.json?q=refnd").get_json()
    hit = next(h for h in found["results"] if h["kind"] == "article" and h["slug"] == "refunds")
    assert re.fullmatch(r"https?://[^/]+/eur/articles/refunds/", hit["url"])
    assert hit["url"] in text(sam.get(f"{DESK}/tickets/{ref}?kbq=refnd"))
    for _ in range(2):  # linking it again cites nothing new
        sent = on_ticket(sam, ref, "reply", body=f"Our refund policy is here: {hit['url']}")
        assert sent.status_code == 303
    with state(app).db.read("eur") as session:
        cited = session.scalars(
            select(KnowledgeBaseArticle.slug).join(
                TicketCitation, TicketCitation.article_id == KnowledgeBaseArticle.id
            )
        ).all()
    assert cited == ["refunds"]
    assert (
        trail(app, ref).count(("article_cited", "refunds", agent_id(app, "sam@example.com"))) == 1
    )
    page = text(sam.get(f"{DESK}/tickets/{ref}"))
    assert '<h2 id="cited-title">Articles cited</h2>\n<ul><li>Request a refund</li></ul>' in page
    assert hit["url"] in customer_page(client, created)


# Agents' notifications


def unread_badge(page: str) -> int:
    """Return the header's count of unread notifications (0 when it shows none)."""
    found = re.search(
        r'<span class="badge">(\d+)<span class="visually-hidden"> unread</span>', page
    )
    return int(found.group(1)) if found else 0


def test_agents_hear_of_assignments_and_replies_until_they_open_the_ticket(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    ref = created["ticket"]["reference"]
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    lee = signed_in(app, "lee@example.com")
    kim_id, lee_id = agent_id(app, "kim@example.com"), agent_id(app, "lee@example.com")
    turned_on = submit(kim, f"{DESK}/account", f"{DESK}/account/preferences", notify_by_mail="y")
    assert turned_on.status_code == 303
    other = api_ticket(client, subject="Something else")["ticket"]["reference"]
    before = len(outbox(app))
    assert on_ticket(sam, ref, "fields", assignee=str(kim_id)).status_code == 303
    assert on_ticket(sam, other, "fields", assignee=str(lee_id)).status_code == 303
    mails = outbox(app)[before:]
    assert [(m.to_address, m.subject) for m in mails] == [
        ("kim@example.com", f"[{ref}] A ticket was assigned to you: Cannot export my invoices")
    ]  # Lee keeps the default: no mails
    assert f"http://desk.test/desk/eur/tickets/{ref}" in mails[0].body
    said = client.post(f"/api/v1/eur/tickets/{ref}/replies", json={"body": "Any news?"},
                       headers={"Authorization": f"Bearer {created['token']}"})  # fmt: skip
    assert said.status_code == 201
    with state(app).db.read("eur") as session:
        notes = session.scalars(select(AgentNotification).order_by(AgentNotification.id)).all()
        assert [(n.agent_id, n.kind, n.read_at) for n in notes] == [
            (kim_id, NotificationKind.assigned, None),
            (lee_id, NotificationKind.assigned, None),
            (kim_id, NotificationKind.customer_reply, None),
        ]
    assert [m.to_address for m in outbox(app)[before + 1 :]] == ["kim@example.com"]
    queue = kim.get(f"{DESK}/").get_data(as_text=True)
    assert (
        unread_badge(queue) == 2 and unread_badge(sam.get(f"{DESK}/").get_data(as_text=True)) == 0
    )
    listed = text(kim.get(f"{DESK}/notifications"))
    assert "Assigned to you" in listed and "The customer replied" in listed
    # Each link names its ticket (a list of "open the ticket" told nothing apart).
    links = re.findall(r'<a href="/desk/eur/tickets/id/\d+">([^<]+)</a>', listed)
    assert len(links) == 2 and all(link.startswith(f"{ref} ") for link in links), links
    opened = kim.get(f"{DESK}/tickets/id/{ticket_id(app, ref)}")
    assert opened.status_code == 303 and opened.headers["Location"] == f"{DESK}/tickets/{ref}"
    page = kim.get(opened.headers["Location"]).get_data(as_text=True)
    with state(app).db.read("eur") as session:
        still = session.scalars(
            select(AgentNotification.agent_id).where(AgentNotification.read_at.is_(None))
        )
        assert list(still) == [lee_id]
    assert unread_badge(page) == 0  # the page that read them counts them no more
    assert unread_badge(kim.get(f"{DESK}/").get_data(as_text=True)) == 0
    assert unread_badge(lee.get(f"{DESK}/").get_data(as_text=True)) == 1


def test_putting_a_ticket_in_a_group_and_assigning_it_at_once_tells_the_assignee_once(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    sam = signed_in(app, "sam@example.com")
    kim, lee = make_agent(app, "kim@example.com"), make_agent(app, "lee@example.com")
    with state(app).db.write("eur") as session:
        billing = create_group(session, "Billing")
        set_members(session, billing, {kim, lee})
        group = billing.id
    saved = on_ticket(sam, ref, "fields", group=str(group), assignee=str(kim))
    assert saved.status_code == 303
    with state(app).db.read("eur") as session:
        told = session.execute(select(AgentNotification.agent_id, AgentNotification.kind)
                               .order_by(AgentNotification.id)).all()  # fmt: skip
    assert sorted(tuple(t) for t in told) == sorted(
        [(lee, NotificationKind.new_ticket), (kim, NotificationKind.assigned)])  # fmt: skip


# Presence and the live ticket page


def presence(client: FlaskClient, page: str, **body: Any) -> Any:
    """Tell the desk what this agent's page is doing, as desk.js does."""
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token
    return client.post(f"{DESK}/presence", json=body, headers={"X-CSRFToken": token.group(1)})


def frames_of(stream: Any) -> Iterator[str]:
    """Yield a live stream's frames, without its heartbeats."""
    for chunk in stream.iter_encoded():
        for frame in chunk.decode().split("\n\n"):
            if frame and not frame.startswith(":"):
                yield frame + "\n\n"


def event_of(frame: str) -> tuple[str, Any]:
    """Return an event frame's name and data (its keys in any order: across processes the
    events travel as JSON with sorted keys)."""
    head, data = frame.strip().split("\n")
    assert head.startswith("event: ") and data.startswith("data: "), frame
    return head[7:], json.loads(data[6:])


def test_agents_see_who_views_and_types_and_hear_of_each_others_replies(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    number = ticket_id(app, ref)
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    sam_id = agent_id(app, "sam@example.com")
    sam_page = sam.get(f"{DESK}/tickets/{ref}").get_data(as_text=True)
    assert presence(sam, sam_page, state="viewing", ticket_id=number).status_code == 204
    assert presence(sam, sam_page, state="dancing", ticket_id=number).status_code == 400
    assert sam.post(f"{DESK}/presence", json={"state": "viewing"}).status_code == 400  # no token
    for _ in range(50):  # PostgreSQL's events arrive through their listener's thread
        kim_page = text(kim.get(f"{DESK}/tickets/{ref}"))
        if "Sam is viewing this ticket." in kim_page:
            break
        time.sleep(0.05)
    assert "Sam is viewing this ticket." in kim_page
    assert "Sam is viewing" not in text(
        kim.get(f"{DESK}/tickets/{api_ticket(client)['ticket']['reference']}")
    )
    stream = kim.get(f"{DESK}/tickets/{ref}/stream", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    frames = frames_of(stream)
    assert next(frames).startswith("retry: ")
    kim_html = kim.get(f"{DESK}/tickets/{ref}").get_data(as_text=True)
    assert presence(kim, kim_html, state="typing", ticket_id=number).status_code == 204  # her own
    assert on_ticket(sam, ref, "reply", body="On it.").status_code == 303
    expected = {"id": number, "what": "replied", "customer_sees": True}
    assert event_of(next(frames)) == ("ticket.updated", expected)
    assert presence(sam, sam_page, state="typing", ticket_id=number).status_code == 204
    typing = {"agent_id": sam_id, "name": "Sam", "ticket_id": number}
    assert event_of(next(frames)) == ("presence.typing", typing)
    stream.close()


def test_an_agent_is_not_told_that_they_themselves_view_the_ticket(
    app: Flask, client: FlaskClient
) -> None:
    ref = api_ticket(client)["ticket"]["reference"]
    number = ticket_id(app, ref)
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    kim_page = kim.get(f"{DESK}/tickets/{ref}").get_data(as_text=True)
    sam_page = sam.get(f"{DESK}/tickets/{ref}").get_data(as_text=True)
    assert presence(kim, kim_page, state="viewing", ticket_id=number).status_code == 204
    assert presence(sam, sam_page, state="viewing", ticket_id=number).status_code == 204
    for _ in range(50):  # Sam's announcement came after Kim's: once it shows, both arrived
        again = text(kim.get(f"{DESK}/tickets/{ref}"))
        if "Sam is viewing this ticket." in again:
            break
        time.sleep(0.05)
    assert "Sam is viewing this ticket." in again
    assert "Kim is viewing" not in again  # her page reloaded: she is no news to herself


# Escaping


def test_text_agents_write_is_shown_as_text(app: Flask, client: FlaskClient) -> None:
    created = api_ticket(client)
    ref = created["ticket"]["reference"]
    boss = signed_in(app, "boss@example.com", AgentRole.admin)
    script = "<script>alert('x')</script>"
    for extra in ({}, {"internal": "y"}):
        assert on_ticket(boss, ref, "reply", body=f"Try {script} now", **extra).status_code == 303
    assert (
        submit(
            boss, f"{DESK}/admin/canned", title=f"Hi {script}", body=f"Body {script}"
        ).status_code
        == 303
    )
    assert submit(boss, f"{DESK}/", f"{DESK}/views", name=f"View {script}").status_code == 303
    with state(app).db.read("eur") as session:
        canned = session.scalars(select(CannedResponse.id)).one()
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    for page in (
        boss.get(f"{DESK}/tickets/{ref}?canned={canned}").get_data(as_text=True),
        boss.get(f"{DESK}/admin/canned").get_data(as_text=True),
        boss.get(f"{DESK}/").get_data(as_text=True),
        customer_page(client, created),
    ):
        assert "<script>alert" not in page
    desk_page = boss.get(f"{DESK}/tickets/{ref}?canned={canned}").get_data(as_text=True)
    assert desk_page.count(f"Try {escaped} now") == 2  # the reply and the note
    assert f"Body {escaped}" in desk_page and f"Hi {escaped}" in desk_page
    assert f"View {escaped}" in boss.get(f"{DESK}/").get_data(as_text=True)
    assert customer_page(client, created).count(f"Try {escaped} now") == 1  # the reply only
