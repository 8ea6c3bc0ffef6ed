"""Live chat over HTTP: the widget's calls (docs/chat.md) and the desk's chat inbox."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.chat.lapse import Lapsed, lapse_chats
from intake.chat.tickets import convert_chat
from intake.customers.privacy import erase_customer
from intake.events import presence as presence_board
from intake.models import (
    CannedResponse,
    ChatMessage,
    ChatSession,
    ChatStatus,
    OutboxMessage,
    SupportTicket,
    TicketAttachment,
)
from intake.state import state, tenant_brand
from tests.intake.chat import CHATS, SITE, SITES, Customer, desk_send
from tests.intake.conftest import PNG, json_of
from tests.intake.desk import at_desk, hidden, make_agent, post_form, signed_in
from tests.intake.test_desk_work import agent_id, form_data, post_from, presence


def test_a_customer_and_an_agent_chat_both_ways_in_the_order_of_storage(app: Flask) -> None:
    ada = Customer(app.test_client())
    agent = signed_in(app, "sam@example.com")
    inbox = agent.get(CHATS).get_data(as_text=True)
    assert "Ada Lovelace" in inbox and "waiting under a minute" in inbox
    with state(app).db.write("eur") as session:  # as if she came seven minutes ago
        session.get_one(ChatSession, ada.id).created_at -= dt.timedelta(minutes=7)
    assert "waiting 7 min" in agent.get(CHATS).get_data(as_text=True)  # how long, not since
    first = ada.say("Hello, my export is stuck", client_id="m-1")
    again = ada.say("Hello, my export is stuck", client_id="m-1")  # resent after a drop
    assert first.status_code == again.status_code == 201
    assert first.json["message"]["id"] == again.json["message"]["id"]
    sent = desk_send(agent, ada.id, "Hi Ada, looking now.")
    assert sent.status_code == 201
    ada.say("Thanks!")
    log = ada.messages()
    assert [(m["author"], m["text"]) for m in log] == [
        ("customer", "Hello, my export is stuck"),
        ("system", "Sam joined the chat."),
        ("agent", "Hi Ada, looking now."),
        ("customer", "Thanks!"),
    ]
    assert [m["id"] for m in log] == sorted(m["id"] for m in log)
    assert log[2]["name"] == "Sam" and [m["id"] for m in ada.messages(after=log[1]["id"])] == [
        log[2]["id"], log[3]["id"]]  # fmt: skip
    assert "Sam" in ada.call("GET", "").json["session"]["agent"]
    assert "No chat in progress" not in agent.get(CHATS).get_data(as_text=True)


def test_text_is_shown_escaped_on_both_sides(app: Flask) -> None:
    ada = Customer(app.test_client(), name="<b>Ada</b>")
    ada.say('<img src=x onerror="alert(1)">')
    agent = signed_in(app, "sam@example.com")
    page = agent.get(f"{CHATS}/{ada.id}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page
    assert "<b>Ada</b>" not in agent.get(CHATS).get_data(as_text=True)


def _online(client: FlaskClient, tenant: str, expected: bool) -> bool:
    """Return whether the widget hears `expected` within 5 s (PostgreSQL delivers presence
    a moment later, through NOTIFY)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if client.get(f"/chat/{tenant}/status").json == {"agents_online": expected}:
            return True
        time.sleep(0.05)
    return False


def test_the_widget_hears_whether_an_agent_is_online(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/chat/eur/status").json == {"agents_online": False}
    agent_id = make_agent(app, "sam@example.com")
    state(app).presence.announce("eur", agent_id, "Sam", "online")
    assert _online(client, "eur", True)
    assert client.get("/chat/km/status").json == {"agents_online": False}  # another tenant
    state(app).presence.announce("eur", agent_id, "Sam", "away")
    assert _online(client, "eur", False)


def test_long_polling_answers_as_soon_as_a_message_is_stored(app: Flask) -> None:
    ada = Customer(app.test_client())
    agent = signed_in(app, "sam@example.com")
    answers: list[list[dict[str, Any]]] = []
    waiting = threading.Thread(target=lambda: answers.append(ada.messages(wait=20)))
    started = time.monotonic()
    waiting.start()
    time.sleep(0.3)
    assert desk_send(agent, ada.id, "Here I am.").status_code == 201
    waiting.join(15)
    assert time.monotonic() - started < 10
    assert [m["text"] for m in answers[0]][-1] == "Here I am."
    quiet = time.monotonic()
    assert ada.messages(after=answers[0][-1]["id"], wait=1) == []
    assert time.monotonic() - quiet >= 1


def test_the_widget_answers_only_the_tenants_site_and_the_service(app: Flask) -> None:
    client = app.test_client()
    body = {"name": "Eve", "email": "eve@example.com"}
    for origin in ("https://evil.example", "null", "https://help.nimbus.example.evil.example"):
        refused = client.post("/chat/eur/sessions", json=body, headers={"Origin": origin})
        assert refused.status_code == 403 and json_of(refused)["error"]["field"] == "Origin"
        assert "Access-Control-Allow-Origin" not in refused.headers
    assert client.get("/chat/eur/status", headers={"Origin": "https://evil.example"}
                      ).status_code == 403  # fmt: skip
    preflight = client.options("/chat/eur/sessions", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    own = client.get("/chat/eur/status", headers={"Origin": "http://desk.test"})
    assert (
        own.status_code == 200 and own.headers["Access-Control-Allow-Origin"] == "http://desk.test"
    )
    assert client.get("/chat/km/status", headers={"Origin": SITE}).status_code == 403
    for path in ("/chat/zz/status", "/chat/zz/socket", "/api/v1/zz/kb/search?q=a"):
        unknown = client.get(path, headers={"Origin": SITE})  # an unknown tenant: just a 404
        assert unknown.status_code == 404, path
        assert "Access-Control-Allow-Origin" not in unknown.headers


def test_tokens_open_only_their_own_chat_of_their_own_tenant(app: Flask) -> None:
    client = app.test_client()
    ada, bob = Customer(client), Customer(client, name="Bob", email="bob@example.com")
    assert ada.call("GET", "/messages", headers={"Authorization": ""}).status_code == 401
    wrong = ada.call("GET", "/messages", headers={"Authorization": f"Bearer {bob.token}"})
    assert wrong.status_code == 404
    km = Customer(client, tenant="km", name="Kay Km", email="kay@example.com")
    foreign = client.get(f"/chat/km/sessions/{ada.id}/messages", headers={
        "Authorization": f"Bearer {ada.token}"})  # fmt: skip
    assert foreign.status_code == 404
    cross = client.get(f"/chat/eur/sessions/{km.id}/messages", headers={
        "Authorization": f"Bearer {km.token}"})  # fmt: skip
    assert cross.status_code == 404
    agent = signed_in(app, "sam@example.com")
    assert agent.get(f"{CHATS}/{km.id}").status_code == 404
    assert "Ada Lovelace" not in signed_in(app, "kim@example.com", tenant="km").get(
        "/desk/km/chats").get_data(as_text=True)  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"text": "bell\x07"}, "text"),
        ({"text": "hi", "client_id": "not ok!"}, "client_id"),
        ({"text": "hi", "client_id": 7}, "client_id"),
        ({"text": None}, "text"),
        ({"text": 12}, "text"),
        ({"text": ["hi"]}, "text"),
        ({"text": {"a": 1}}, "text"),
    ],
)
def test_bad_messages_name_their_field(app: Flask, body: dict[str, Any], field: str) -> None:
    ada = Customer(app.test_client())
    answer = ada.call("POST", "/messages", json=body)
    assert answer.status_code == 400 and answer.json["error"]["field"] == field
    assert ada.messages() == []


def test_bad_requests_are_refused_clearly(app: Flask) -> None:
    client = app.test_client()
    no_json = client.post("/chat/eur/sessions", data="name=Ada", headers={"Origin": SITE})
    assert no_json.status_code == 400 and no_json.is_json
    no_email = client.post("/chat/eur/sessions", json={"name": "Ada", "email": "ada"})
    assert no_email.status_code == 400 and json_of(no_email)["error"]["field"] == "email"
    ada = Customer(client)
    assert ada.call("GET", "/messages?after=-1").json["error"]["field"] == "after"
    assert ada.call("POST", "/read", json={"up_to": "7"}).json["error"]["field"] == "up_to"
    # Numbers past any row's: refused by name, never handed to the database (which overflows).
    assert ada.call("POST", "/read", json={"up_to": 2**70}).json["error"]["field"] == "up_to"
    assert ada.call("POST", "/read", json={"up_to": 2**31}).json["error"]["field"] == "up_to"
    assert ada.call("GET", f"/messages?after={10**11}").json["error"]["field"] == "after"
    # Text fields that are not text: refused by name, never stored as "None", "12" or "{'a': 1}"
    # (five chats opened here and three messages left, within the hourly limits).
    for field, wrong in (("name", 12), ("name", {"a": 1}), ("name", True), ("email", 12)):
        fields = {"name": "Ada", "email": "ada@example.com", field: wrong}
        answer = client.post("/chat/eur/sessions", json=fields)
        assert json_of(answer)["error"]["field"] == field, (field, wrong)
    unnamed = client.post("/chat/eur/sessions", json={"email": "ada@example.com", "name": None})
    assert json_of(unnamed)["error"]["field"] == "name"
    left = {"email": "ada@example.com", "message": "Please call me back about my invoice."}
    for name in (12, ["Ada"], False):
        offline = client.post("/chat/eur/offline", json={**left, "name": name})
        assert json_of(offline)["error"]["field"] == "name", name
    assert ada.call("GET", "/../sessions").status_code in (404, 405)


def test_a_closed_chat_takes_no_more_messages(app: Flask) -> None:
    ada = Customer(app.test_client())
    closed = ada.call("POST", "/close")
    assert closed.json["session"]["status"] == "closed"
    refused = ada.say("one more thing")
    assert refused.status_code == 409 and json_of(refused)["error"]["field"] == "session"
    assert ada.call("POST", "/typing").status_code == 409
    assert [m["text"] for m in ada.messages()] == ["Ada Lovelace ended the chat."]
    agent = signed_in(app, "sam@example.com")
    assert desk_send(agent, ada.id, "Hello?").status_code == 409


def test_files_have_the_ticket_forms_limits_and_checks(app: Flask) -> None:
    client = app.test_client()
    ada = Customer(client)
    shown = ada.call("POST", "/files", data={"file": (io.BytesIO(PNG), "screen.png")})
    assert shown.status_code == 201 and shown.json["message"]["kind"] == "image"
    url = shown.json["message"]["file"]["url"]
    with client.get(url, headers={"Authorization": f"Bearer {ada.token}"}) as got:
        assert got.data == PNG
        assert "attachment" not in got.headers.get("Content-Disposition", "")
    assert client.get(url).status_code == 401
    bob = Customer(client, name="Bob", email="bob@example.com")
    assert client.get(url, headers={"Authorization": f"Bearer {bob.token}"}).status_code == 404
    fake = ada.call("POST", "/files", data={"file": (io.BytesIO(b"MZ\x90\x00" * 10), "a.png")})
    assert fake.status_code == 400 and fake.json["error"]["field"] == "file"
    big = ada.call("POST", "/files", data={"file": (io.BytesIO(b"a" * 70_000), "big.txt")})
    assert big.status_code in (400, 413) and big.json["error"]["field"] == "file"
    empty = ada.call("POST", "/files", data={})
    assert empty.status_code == 400 and empty.json["error"]["field"] == "file"
    text = ada.call("POST", "/files", data={"file": (io.BytesIO(b"log line\n"), "app.log")})
    assert text.status_code == 201 and text.json["message"]["kind"] == "file"
    agent = signed_in(app, "sam@example.com")
    with agent.get(f"{CHATS}/{ada.id}/files/{text.json['message']['id']}") as download:
        assert download.data == b"log line\n"
        assert "attachment" in download.headers["Content-Disposition"]


def test_typing_and_read_marks_reach_the_other_side(app: Flask) -> None:
    ada = Customer(app.test_client())
    agent = signed_in(app, "sam@example.com")
    ada.say("First")
    # A mark past the chat's last message counts up to it: no "read" on what is still to come.
    assert ada.call("POST", "/read", json={"up_to": 99_999}).status_code == 204
    with state(app).db.read("eur") as session:
        chat = session.get(ChatSession, ada.id)
        assert chat is not None and chat.customer_read_up_to == ada.messages()[-1]["id"]
    bus = state(app).events
    with bus.subscribe("eur", [f"chat.{ada.id}."]) as heard:
        assert ada.call("POST", "/typing").status_code == 204
        typing = heard.get(5)
        assert typing is not None and typing.topic == f"chat.{ada.id}.typing"
        assert typing.data["who"] == "customer"
        desk_send(agent, ada.id, "Hello")
        last = ada.messages()[-1]["id"]
        assert ada.call("POST", "/read", json={"up_to": last}).status_code == 204
        topics = [e.topic for e in iter(lambda: heard.get(2), None)]
        assert f"chat.{ada.id}.read" in topics
    assert ada.call("POST", "/read", json={"up_to": last}).status_code == 204  # no news twice
    page = agent.get(f"{CHATS}/{ada.id}").get_data(as_text=True)
    assert "Read by the customer." in page
    huge = agent.get(f"{CHATS}/{ada.id}/messages.json?after={10**25}")
    assert huge.status_code == 400  # the desk's scripts read JSON errors, naming the field
    assert huge.get_json()["error"] == {"message": "after: use a message id.", "field": "after"}
    csrf = hidden(page)
    bad = agent.post(f"{CHATS}/{ada.id}/read", json={"up_to": -5}, headers={"X-CSRFToken": csrf})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "up_to"


def test_agents_join_hand_over_and_close_with_system_messages(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = Customer(app.test_client())
    sam = signed_in(app, "sam@example.com")
    kim = make_agent(app, "kim@example.com", name="Kim")
    page = f"{CHATS}/{ada.id}"
    assert "You have this chat now." in told(sam, post_form(sam, page, f"{page}/join"))
    # Just started, a process cannot know who is online: every colleague is offered.
    assert f'<option value="{kim}">Kim</option>' in sam.get(page).get_data(as_text=True)
    monkeypatch.setattr(presence_board, "BEAT", 0.0)  # it has listened a page's beat since
    # A colleague without the desk open would never see the chat: not offered, and refused
    # from a page that showed them before they left.
    html = sam.get(page).get_data(as_text=True)
    assert "No colleague has the desk open to hand this chat over to." in html
    at_desk(app, kim, "Kim", "away")
    html = sam.get(page).get_data(as_text=True)
    assert f'<option value="{kim}">Kim (away)</option>' in html
    with monkeypatch.context() as lapsed:
        lapsed.setattr(presence_board, "TTL", -1.0)  # Kim's pages have said nothing since
        refused = told(sam, post_from(sam, html, f"{page}/handover", agent=str(kim)))
    assert "Kim is offline now and would not see the chat" in refused
    at_desk(app, kim, "Kim")
    html = sam.get(page).get_data(as_text=True)
    kim_id = re.search(r'<option value="(\d+)">Kim</option>', html)
    assert kim_id and ">Sam</option>" not in html  # nor oneself
    sams = str(agent_id(app, "sam@example.com"))
    assert "Choose a colleague" in told(sam, post_from(sam, html, f"{page}/handover", agent=sams))
    digit = chr(ord("٠") + int(kim_id.group(1))) if int(kim_id.group(1)) < 10 else "²"
    for odd in (digit, "²", "9" * 25, "abc"):  # int() takes the first; others raised a 500
        refused = told(sam, post_form(sam, page, f"{page}/handover", agent=odd))
        assert "Choose an active agent of this team." in refused, odd
    handed = told(sam, post_form(sam, page, f"{page}/handover", agent=kim_id.group(1)))
    assert "Handed over to Kim." in handed
    assert "The chat has ended." in told(sam, post_form(sam, page, f"{page}/close"))
    assert [m["text"] for m in ada.messages()] == [
        "Sam joined the chat.",
        "Sam handed the chat over to Kim.",
        "Sam ended the chat.",
    ]
    assert ada.call("GET", "").json["session"]["status"] == "closed"
    inbox = sam.get(CHATS).get_data(as_text=True)
    assert "Nobody is waiting" in inbox
    ended = inbox.split("Ended recently", 1)[1]  # found again once it ended
    assert f'href="{CHATS}/{ada.id}"><bdi>Ada Lovelace</bdi></a> with Kim' in ended


def told(agent: FlaskClient, answer: Any) -> str:
    """Follow an action's redirect to the desk page that says how it went; return its text."""
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    page = agent.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'id="desk-done"' in page  # the desk's own page, its notice focused
    return page


def test_an_agent_acting_on_a_page_older_than_anothers_join_is_told(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = Customer(app.test_client())
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    monkeypatch.setattr(presence_board, "BEAT", 0.0)  # the board knows who is online
    at_desk(app, agent_id(app, "kim@example.com"), "Kim")  # to be handed chats
    page = f"{CHATS}/{ada.id}"
    sams, kims = (client.get(page).get_data(as_text=True) for client in (sam, kim))
    assert post_from(sam, sams, f"{page}/join").status_code == 303
    late = told(kim, post_from(kim, kims, f"{page}/join"))  # both clicked Join on "waiting"
    assert "Sam has this chat now, since this page was opened" in late
    assert [m["text"] for m in ada.messages()] == ["Sam joined the chat."]
    kims = kim.get(page).get_data(as_text=True)  # now it says "Take over"
    assert post_from(kim, kims, f"{page}/join").status_code == 303
    stale = post_from(sam, sams, f"{page}/handover", agent=str(agent_id(app, "kim@example.com")))
    assert "Kim has this chat now" in told(sam, stale)
    assert [m["text"] for m in ada.messages()][-1] == "Kim took the chat over from Sam."
    # The inbox's Join says whom it saw too.
    bob = Customer(app.test_client(), name="Bob", email="bob@example.com")
    inbox = sam.get(CHATS).get_data(as_text=True)
    assert post_from(kim, kim.get(CHATS).get_data(as_text=True),
                     f"{CHATS}/{bob.id}/join").status_code == 303  # fmt: skip
    late = post_from(sam, inbox, f"{CHATS}/{bob.id}/join")
    assert "Kim has this chat now" in told(sam, late)
    # Who joined by sending (the page still shows nobody) may hand the chat over from it.
    cy = Customer(app.test_client(), name="Cy", email="cy@example.com")
    page = f"{CHATS}/{cy.id}"
    shown = sam.get(page).get_data(as_text=True)
    desk_send(sam, cy.id, "Hello Cy, I'm Sam.")
    passed = post_from(sam, shown, f"{page}/handover", agent=str(agent_id(app, "kim@example.com")))
    assert passed.status_code == 303
    assert [m["text"] for m in cy.messages()][-1] == "Sam handed the chat over to Kim."


def send_from(agent: FlaskClient, page: str, chat_id: int, text: str, script: bool) -> Any:
    """Send the chat page's message form as the page stands (`script`: as its script does)."""
    action = f"{CHATS}/{chat_id}/messages"
    headers = {"X-Requested-With": "fetch"} if script else {}
    return agent.post(action, data={**form_data(page, action), "text": text}, headers=headers)


@pytest.mark.parametrize("script", [True, False], ids=["sent by the page's script", "no script"])
def test_a_message_from_a_page_older_than_anothers_answer_is_refused(
    app: Flask, script: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two agents on a waiting chat both answer: the second is told who has it, and the
    customer never reads two agents at once; the same for a page from before a hand-over."""
    ada = Customer(app.test_client())
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    monkeypatch.setattr(presence_board, "BEAT", 0.0)  # the board knows who is online
    at_desk(app, agent_id(app, "sam@example.com"), "Sam")  # to be handed the chat
    page = f"{CHATS}/{ada.id}"
    sams, kims = (client.get(page).get_data(as_text=True) for client in (sam, kim))
    assert send_from(kim, kims, ada.id, "Hello Ada, Kim here.", script).status_code in (201, 303)
    late = send_from(sam, sams, ada.id, "Hello Ada, I'm Sam.", script)
    assert late.status_code == 409
    said = late.get_json()["error"]["message"] if script else late.get_data(as_text=True)
    assert "Kim has this chat now, since this page was opened" in said
    if not script:
        assert "Hello Ada, I&#39;m Sam." in said  # the text stays in the box
    kims = kim.get(page).get_data(as_text=True)
    to_sam = str(agent_id(app, "sam@example.com"))
    assert post_from(kim, kims, f"{page}/handover", agent=to_sam).status_code == 303
    after = send_from(kim, kims, ada.id, "Still me.", script)  # her page from before
    assert after.status_code == 409
    ended = post_from(kim, kims, f"{page}/close")  # nor end Sam's chat from there
    assert "Sam has this chat now" in told(kim, ended)
    assert ada.call("GET", "").json["session"]["status"] == "active"
    texts = [m["text"] for m in ada.messages()]
    assert texts == [
        "Kim joined the chat.",
        "Hello Ada, Kim here.",
        "Kim handed the chat over to Sam.",
    ]


def test_an_agent_turns_a_chat_into_a_ticket_with_its_transcript(app: Flask) -> None:
    ada = Customer(app.test_client())
    ada.say("My invoices do not export")
    sam = signed_in(app, "sam@example.com")
    desk_send(sam, ada.id, "Let me open a ticket for this.")
    page = f"{CHATS}/{ada.id}"
    made = post_form(sam, page, f"{page}/ticket")
    assert made.status_code == 303 and "/desk/eur/tickets/" in made.location
    again = post_form(sam, page, f"{page}/ticket")  # a second click: the same ticket
    assert again.location == made.location
    with state(app).db.read("eur") as session:
        (ticket,) = session.scalars(select(SupportTicket))
        assert ticket.subject == "Chat: My invoices do not export"
        assert "Ada Lovelace: My invoices do not export" in ticket.description
        assert "Sam: Let me open a ticket for this." in ticket.description
        assert ticket.customer_email == "ada@example.com"
    shown = sam.get(page).get_data(as_text=True)  # the chat's page links its ticket
    assert f'This chat became ticket <a href="{made.location}">{ticket.reference}</a>.' in shown


def test_a_long_chat_becomes_a_ticket_whole_and_the_customer_is_told(app: Flask) -> None:
    ada = Customer(app.test_client())
    parts = [f"PART{n} " + "word " * 790 + f"END{n}" for n in range(4)]  # 4 x 4,000 characters
    for part in parts:
        assert ada.say(part).status_code == 201
    sam = signed_in(app, "sam@example.com")
    desk_send(sam, ada.id, "AGENT FINAL ANSWER")
    page = f"{CHATS}/{ada.id}"
    made = post_form(sam, page, f"{page}/ticket")
    assert made.status_code == 303
    with state(app).db.read("eur") as session:
        (ticket,) = session.scalars(select(SupportTicket))
        (attached,) = session.scalars(select(TicketAttachment))
    stored = state(app).files.open("eur", attached.stored_name)
    assert stored is not None
    with stored:
        data = stored.read()
    assert len(ticket.description) <= 10_000 and "PART0" in ticket.description
    assert ticket.description.endswith(
        f"[The chat goes on: the whole of it is in the attached file chat-{ada.id}.txt.]\n"
    )
    whole = data.decode()
    assert attached.original_name == f"chat-{ada.id}.txt"
    assert all(f"END{n}" in whole for n in range(4)) and "Sam: AGENT FINAL ANSWER" in whole
    said = [m["text"] for m in ada.messages()]
    assert said[-1] == (f"This chat became ticket {ticket.reference}: the conversation so far is"
                        " there, and its answers come by mail.")  # fmt: skip


def test_a_chats_address_is_kept_as_tickets_keep_it_not_lower_cased(app: Flask) -> None:
    """Lower-casing a whole address may make another mailbox of it (İ becomes i̇): a chat keeps
    it as a ticket does, email-validator's normal form."""
    for typed, kept in (("Long.Talker@ＥＸＡＭＰＬＥ.com", "Long.Talker@example.com"),
                        ("İstanbul@Example.com", "İstanbul@example.com")):  # fmt: skip
        chat = Customer(app.test_client(), email=typed)
        with state(app).db.read("eur") as session:
            assert session.get(ChatSession, chat.id).customer_email == kept  # type: ignore[union-attr]
    offline = app.test_client().post(
        "/chat/km/offline",
        headers={"Origin": SITES["km"]},
        json={"name": "Ida", "email": "Ida.B@Example.com", "message": "Please call me about maps."},
    )
    assert offline.status_code == 201
    with state(app).db.read("km") as session:
        assert session.scalars(select(SupportTicket.customer_email)).one() == "Ida.B@example.com"


def test_two_clicks_at_once_make_one_ticket_and_an_erased_chat_none(app: Flask) -> None:
    ada, bob = Customer(app.test_client()), Customer(app.test_client(), email="bob@example.com")
    agents = [signed_in(app, f"{name}@example.com") for name in ("sam", "kim")]
    page = f"{CHATS}/{ada.id}"
    forms = [hidden(agent.get(page).get_data(as_text=True)) for agent in agents]
    made: list[str] = []

    def click(agent: FlaskClient, form: str) -> None:
        made.append(agent.post(f"{page}/ticket", data={"csrf_token": form}).location)

    clicks = [threading.Thread(target=click, args=pair) for pair in zip(agents, forms, strict=True)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(20)
    assert len(made) == 2 and made[0] == made[1] and "/desk/eur/tickets/" in made[0]
    erase_customer(state(app).db, state(app).files, "eur", "bob@example.com", None)
    erased = post_form(agents[0], f"{CHATS}/{bob.id}", f"{CHATS}/{bob.id}/ticket")
    assert erased.status_code == 409 and "customer was erased" in erased.get_data(as_text=True)
    with state(app).db.read("eur") as session:
        assert len(session.scalars(select(SupportTicket)).all()) == 1  # Ada's, once
    assert bob.call("POST", "/messages", json={"text": "still there?"}).status_code == 404


def test_a_message_left_while_nobody_is_online_becomes_a_ticket(app: Flask) -> None:
    client = app.test_client()
    left = client.post("/chat/eur/offline", headers={"Origin": SITE}, json={
        "name": "Ada", "email": "ada@example.com",
        "message": "Please call me back about my invoices."})  # fmt: skip
    assert left.status_code == 201 and left.headers["Access-Control-Allow-Origin"] == SITE
    with state(app).db.read("eur") as session:
        ticket = session.scalars(select(SupportTicket)).one()
        assert ticket.reference == json_of(left)["reference"]
        assert ticket.description == "Please call me back about my invoices."
    short = client.post("/chat/eur/offline", json={"name": "Ada", "email": "ada@example.com",
                                                   "message": "hi"})  # fmt: skip
    assert short.status_code == 400 and json_of(short)["error"]["field"] == "message"


def test_the_customer_can_have_the_transcript_mailed(app: Flask) -> None:
    ada = Customer(app.test_client())
    ada.say("Where is my invoice?")
    assert ada.call("POST", "/transcript").status_code == 202
    with state(app).db.read("eur") as session:
        mail = session.scalars(select(OutboxMessage)).one()
        assert mail.to_address == "ada@example.com"
        assert "Ada Lovelace: Where is my invoice?" in mail.body


def test_transcripts_and_files_have_limits_no_address_changes(
    make_app: Callable[..., Flask],
) -> None:
    """Anyone may type any address into a chat: its transcripts go to one address three times
    an hour, from any number of chats and client addresses; and a chat takes 20 files."""
    app = make_app(RATELIMIT_ENABLED="1")
    for n in range(4):
        client = app.test_client()
        chat = Customer(client, email="Victim@Example.com" if n % 2 else "victim@example.com")
        chat.say(f"Spam number {n}")
        sent = chat.call("POST", "/transcript", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert sent.status_code == (202 if n < 3 else 429), n
    assert "three times this hour" in json_of(sent)["error"]["message"]
    ada = Customer(app.test_client(), email="ada@example.com")
    for n in range(21):
        env = {"REMOTE_ADDR": f"10.1.{n}.1"}  # past the per-address rate, as a botnet would
        up = ada.call("POST", "/files", data={"file": (io.BytesIO(PNG), f"s{n}.png")},
                      environ_base=env)  # fmt: skip
        assert up.status_code == (201 if n < 20 else 400), n
    assert json_of(up)["error"] == {"field": "file", "message": "A chat takes at most 20 files; "
                                    "send more by opening a ticket, or as a link."}  # fmt: skip


def _age(app: Flask, chat_id: int, days: int) -> None:
    with state(app).db.write("eur") as session:
        chat = session.get(ChatSession, chat_id)
        assert chat is not None and chat.closed_at is not None
        chat.closed_at -= dt.timedelta(days=days)


def test_retention_archives_then_deletes_old_chats_with_their_files(app: Flask) -> None:
    client = app.test_client()
    old, recent = Customer(client), Customer(client, name="Bob", email="bob@example.com")
    kept = Customer(client, name="Cy", email="cy@example.com")  # still going
    left = Customer(client, name="Di", email="di@example.com")  # its tab closed long ago
    left.say("Hello? Anyone there?")
    old.call("POST", "/files", data={"file": (io.BytesIO(PNG), "screen.png")})
    old.call("POST", "/close")
    recent.call("POST", "/close")
    _age(app, old.id, 100)  # chat_retention_days is 90 by default
    with state(app).db.write("eur") as session:  # silent for 100 days, never closed
        session.get_one(ChatSession, left.id).created_at -= dt.timedelta(days=100)
        for said in session.scalars(select(ChatMessage).where(ChatMessage.session_id == left.id)):
            said.created_at -= dt.timedelta(days=100)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["chat", "retention"], catch_exceptions=False)
    assert "eur: 1 archived, 0 deleted (after 90 days), 1 left open ended" in first.output
    with state(app).db.read("eur") as session:
        statuses = {c.id: c.status for c in session.scalars(select(ChatSession))}
        stored = [m.stored_name for m in session.scalars(select(ChatMessage)) if m.stored_name]
    assert statuses == {old.id: ChatStatus.archived, recent.id: ChatStatus.closed,
                        kept.id: ChatStatus.active, left.id: ChatStatus.closed}  # fmt: skip
    assert old.call("GET", "/messages").status_code == 200  # archived: still readable
    with state(app).db.write("eur") as session:
        chat = session.get(ChatSession, old.id)
        assert chat is not None and chat.archived_at is not None
        chat.archived_at -= dt.timedelta(days=91)
    second = runner.invoke(args=["chat", "retention"], catch_exceptions=False)
    assert "eur: 0 archived, 1 deleted" in second.output
    assert old.call("GET", "/messages").status_code == 404
    assert stored and all(state(app).files.open("eur", name) is None for name in stored)


def test_resends_racing_their_original_store_one_message(app: Flask) -> None:
    ada = Customer(app.test_client())
    barrier = threading.Barrier(6)
    answers: list[Any] = []

    def send() -> None:
        tab = app.test_client()  # the same chat, from a client of its own
        barrier.wait(5)
        answers.append(tab.post(f"/chat/eur/sessions/{ada.id}/messages", headers={
            "Authorization": f"Bearer {ada.token}"}, json={"text": "Are you there?",
                                                          "client_id": "same-1"}))  # fmt: skip

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert [a.status_code for a in answers] == [201] * 6
    assert len({a.json["message"]["id"] for a in answers}) == 1
    assert [m["text"] for m in ada.messages()] == ["Are you there?"]


def test_a_saved_reply_a_chat_cannot_fill_is_named_not_sent_with_braces(app: Flask) -> None:
    ada = Customer(app.test_client())
    sam = signed_in(app, "sam@example.com")
    with state(app).db.write("eur") as session:
        greeting = CannedResponse(title="Greeting", body="Hello {customer_name}, about {subject}.")
        thanks = CannedResponse(title="Thanks", body="Thanks, {customer_name}! {agent_name}")
        session.add_all([greeting, thanks])
        session.flush()
        ids = greeting.id, thanks.id
    refused = sam.get(f"{CHATS}/{ada.id}?canned={ids[0]}")
    assert refused.status_code == 400
    said = refused.get_data(as_text=True).replace("&#34;", '"')
    assert "\u201cGreeting\u201d uses {subject}, which only a ticket has" in said
    assert "about {subject}" not in said  # nothing put in the box to send as is
    filled = sam.get(f"{CHATS}/{ada.id}?canned={ids[1]}").get_data(as_text=True)
    assert "Thanks, Ada Lovelace! Sam" in filled


def test_every_desk_page_says_how_many_customers_wait_in_a_chat(app: Flask) -> None:
    sam = signed_in(app, "sam@example.com")
    badge = re.compile(r'Chats <span class="badge">(\d+)<span class="visually-hidden"> waiting')
    assert not badge.search(sam.get("/desk/eur/").get_data(as_text=True))
    ada = Customer(app.test_client())
    Customer(app.test_client(), name="Grace Hopper")
    for page in ("/desk/eur/", "/desk/eur/notifications", "/desk/eur/account"):
        found = badge.search(sam.get(page).get_data(as_text=True))
        assert found and found.group(1) == "2", page
    desk_send(sam, ada.id, "Hello Ada, I am here.")  # Sam joins Ada's chat
    found = badge.search(sam.get("/desk/eur/").get_data(as_text=True))
    assert found and found.group(1) == "1"  # Grace still waits


def _lapse(app: Flask, minutes_later: int) -> dict[str, Any]:
    current = state(app)
    brand = lambda tenant_id: tenant_brand(current.config, current.site, tenant_id)  # noqa: E731
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes_later)
    return lapse_chats(current.db, current.writer, current.files, current.events, brand,
                       ["eur", "km"], now=later)  # fmt: skip


def test_a_chat_no_agent_joins_becomes_a_ticket_and_the_customer_is_told(app: Flask) -> None:
    ada = Customer(app.test_client())
    ada.say("My invoices do not export")
    silent = Customer(app.test_client(), name="Bob", email="bob@example.com")  # said nothing
    assert _lapse(app, 9)["eur"] == Lapsed(0, 0)  # within chat_wait_minutes (10)
    assert _lapse(app, 11)["eur"] == Lapsed(to_tickets=1, ended=1)
    told = [m["text"] for m in ada.messages()]
    assert told[-1] == "No agent could join within 10 minutes: we answer by mail instead."
    assert told[-2].startswith("This chat became ticket EUR-")
    assert ada.call("GET", "").json["session"]["status"] == "closed"
    assert [m["text"] for m in silent.messages()] == [
        "No agent could join within 10 minutes, and the chat ended."]  # fmt: skip
    with state(app).db.read("eur") as session:
        (ticket,) = session.scalars(select(SupportTicket))
        assert "Ada Lovelace: My invoices do not export" in ticket.description
        assert ticket.customer_email == "ada@example.com"
    assert _lapse(app, 11)["eur"] == Lapsed(0, 0)  # done once
    with state(app).db.read("eur") as session:  # nobody asked: no confirmation mail to her
        mailed = session.scalars(select(OutboxMessage.to_address)).all()
        assert "ada@example.com" not in mailed


def test_an_agent_joining_while_the_chat_turns_into_a_ticket_is_told_it_ended(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chat ends before its ticket is made, in the transaction that saw nobody had joined:
    an agent joining meanwhile is refused, rather than answering a chat gone to the mail."""
    ada = Customer(app.test_client())
    ada.say("My invoices do not export")
    sam = signed_in(app, "sam@example.com")
    page = f"{CHATS}/{ada.id}"
    shown = sam.get(page).get_data(as_text=True)
    joins: list[str] = []

    def joined_first(*args: Any, **kwargs: Any) -> Any:
        joins.append(told(sam, post_from(sam, shown, f"{page}/join")))
        return convert_chat(*args, **kwargs)

    monkeypatch.setattr("intake.chat.lapse.convert_chat", joined_first)
    assert ada.call("POST", "/by-mail").status_code == 201
    assert "This chat has ended." in joins[0]
    texts = [m["text"] for m in ada.messages()]
    assert "Sam joined the chat." not in texts
    assert texts[-1] == "You chose an answer by mail, and the chat ended."


def test_a_chat_nobody_writes_in_ends_and_a_live_one_stays(app: Flask) -> None:
    sam = signed_in(app, "sam@example.com")
    left, talking = Customer(app.test_client()), Customer(app.test_client(), name="Cy")
    desk_send(sam, left.id, "Hello, how can I help?")
    desk_send(sam, talking.id, "Hello Cy")
    with state(app).db.write("eur") as session:  # Cy's chat went on an hour later
        for message in session.scalars(select(ChatMessage).where(
                ChatMessage.session_id == talking.id)):  # fmt: skip
            message.created_at += dt.timedelta(minutes=60)
    assert _lapse(app, 61)["eur"] == Lapsed(0, 1)
    assert [m["text"] for m in left.messages()][-1] == (
        "The chat ended after 60 minutes without a message."
    )
    assert talking.call("GET", "").json["session"]["status"] == "active"


def test_a_customer_can_be_answered_by_mail_only_while_nobody_has_joined(app: Flask) -> None:
    ada = Customer(app.test_client())
    early = ada.call("POST", "/by-mail")
    assert early.status_code == 400 and early.json["error"]["field"] == "text"  # nothing said
    ada.say("Where is my refund?")
    sam = signed_in(app, "sam@example.com")
    bob = Customer(app.test_client(), name="Bob", email="bob@example.com")
    bob.say("Hello?")
    desk_send(sam, bob.id, "Hi Bob, Sam here.")
    joined = bob.call("POST", "/by-mail")
    assert joined.status_code == 409 and "An agent has joined" in joined.json["error"]["message"]
    done = ada.call("POST", "/by-mail")
    assert done.status_code == 201 and done.json["session"]["status"] == "closed"
    assert [m["text"] for m in ada.messages()][-1] == (
        "You chose an answer by mail, and the chat ended."
    )
    with state(app).db.read("eur") as session:
        (ticket,) = session.scalars(select(SupportTicket))
        assert ticket.customer_email == "ada@example.com"
    assert ada.call("POST", "/by-mail").status_code == 409  # ended: once is all


def test_a_chat_whose_agent_went_offline_says_so_in_the_inbox(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent's browser gone mid-chat leaves the customer waiting on them: the inbox marks
    the chat, so a colleague takes it over."""
    ada = Customer(app.test_client())
    sam, kim = signed_in(app, "sam@example.com"), signed_in(app, "kim@example.com")
    desk_send(sam, ada.id, "Hello Ada, Sam here.")
    assert presence(sam, sam.get(CHATS).get_data(as_text=True), state="online").status_code == 204
    inbox = kim.get(CHATS).get_data(as_text=True)
    assert "Ada Lovelace</bdi></a> with Sam</li>" in inbox  # online: nothing to do
    monkeypatch.setattr(presence_board, "TTL", -1.0)  # Sam's page has said nothing since
    inbox = kim.get(CHATS).get_data(as_text=True)
    assert "Ada Lovelace</bdi></a> with Sam <strong>(offline: take it over)</strong>" in inbox


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [
        ("\tAda Lovelace", "ada@example.com", None),  # white space around: trimmed, as the API
        ("Ada Lovelace\n", "ada@example.com", None),
        ("Ada Lovelace", "\x1fada@example.com", "email"),  # a control: refused, as the API
        ("\u200d", "ada@example.com", "name"),  # a joiner alone is no name
    ],
)
def test_the_chat_takes_names_and_addresses_as_the_api_does(
    app: Flask, name: str, email: str, field: str | None
) -> None:
    client = app.test_client()
    body = {"name": name, "email": email, "subject": "Refund please",
            "description": "Charged twice this month.", "category": "billing"}  # fmt: skip
    api = client.post("/api/v1/eur/tickets", json=body)
    chat = client.post("/chat/eur/sessions", json={"name": name, "email": email},
                       headers={"Origin": SITE})  # fmt: skip
    if field is None:
        assert api.status_code == chat.status_code == 201
        assert json_of(chat)["session"]["name"] == "Ada Lovelace"
    else:
        assert api.status_code == chat.status_code == 400
        assert json_of(api)["error"]["field"] == json_of(chat)["error"]["field"] == field
