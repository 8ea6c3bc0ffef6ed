"""A customer's data leaves whole on export and goes whole on erasure: every table is covered."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import threading
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import String, Text, make_url, select

from intake.chat.tickets import convert_chat
from intake.customers.privacy import erase_customer, erasures, export, export_zip
from intake.mail.mailbox import mailbox_folder, write_to_mailbox
from intake.mail.outbox import send_pending
from intake.models import (
    Agent,
    AgentRole,
    ArticleFeedback,
    Base,
    ChatMessage,
    ChatSession,
    ChatStatus,
    InboundMail,
    OutboxMessage,
    SatisfactionRating,
    SearchMiss,
    SupportTicket,
    TicketAttachment,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from intake.state import state
from intake.tickets.access import link_token
from intake.tickets.agent_work import Changes, Desk, change_fields, merge, reply
from intake.tickets.loading import page_extras, ticket_by_reference
from intake.tickets.mails import Brand
from intake.tickets.satisfaction import rate
from tests.intake.chat import Customer
from tests.intake.conftest import PNG, api_ticket, json_of, post_ticket
from tests.intake.desk import make_agent, post_form, signed_in
from tests.intake.mailing import bounce, deliver, mail, reply_address, with_files

# Every table either holds customer data (export and erase cover it) or does not; a new table
# must be put in one of the two sets, which makes its author decide.
CUSTOMER_TABLES = {
    "support_tickets",
    "ticket_responses",
    "ticket_attachments",
    "ticket_events",
    "ticket_tags",
    "outbox",
    "chat_sessions",
    "chat_messages",
    "stored_files",
    "ticket_satisfaction",
    "inbound_mail",
    "failing_addresses",
}
OTHER_TABLES = {
    "agents", "agent_sessions", "agent_recovery_codes", "agent_api_tokens", "agent_groups",
    "agent_group_members", "saved_views", "canned_responses", "agent_notifications",
    # Who erased, when, how much, and a keyed digest of the address (to erase them again in a
    # restored backup): no address, no name.
    "customer_erasures",
    "knowledge_base_articles", "faqs", "ticket_counters", "ticket_citations", "tenant_settings",
    # Anonymous: a vote or an opened suggestion carries no address or name.
    "article_feedback", "deflection_events",
    # A search's words (and the page opened from its results) only, counted per day: no
    # address, name or visit.
    "kb_search_misses", "kb_search_opens",
}  # fmt: skip
SECRET = "my cat's name is Whiskers"


def test_every_table_is_decided() -> None:
    assert set(Base.metadata.tables) == CUSTOMER_TABLES | OTHER_TABLES


def _fill(app: Flask) -> str:
    """Give customer ada@example.com every kind of data; return a ticket reference."""
    client, ada = app.test_client(), "ada@example.com"
    created = api_ticket(client, description=f"Please help. {SECRET}.")
    ref, token = created["ticket"]["reference"], created["token"]
    sent = client.post(f"/api/v1/eur/tickets/{ref}/attachments", headers={
        "Authorization": f"Bearer {token}"}, content_type="multipart/form-data",
        data={"file": (io.BytesIO(PNG), "passport.png"), "body": f"Here, {SECRET}"})  # fmt: skip
    assert sent.status_code == 201
    agent_id = make_agent(app, "agent@example.com")
    watcher_id = make_agent(app, "watcher@example.com")
    desk = Desk(Brand("EUR", "http://desk.test/eur/tickets", "Help", "k" * 20, "s@desk.test"))
    with state(app).db.write("eur") as session:
        ticket = ticket_by_reference(session, ref)
        me = session.get(Agent, agent_id)
        assert me is not None
        reply(session, ticket, me, "Thanks Ada, we are on it.", desk)
        reply(session, ticket, me, "Ada sounds upset; VIP customer.", desk, internal=True)
        # Long enough to need overflow pages, which an erasure frees.
        reply(session, ticket, me, f"Log: {SECRET}. " * 400, desk, internal=True)
        change_fields(session, ticket, me, Changes(tags=["vip"]), desk)
        # An agent told by mail: the notice quotes the ticket's subject, the customer's words.
        watcher = session.get(Agent, watcher_id)
        assert watcher is not None
        watcher.notify_by_mail = True
        change_fields(session, ticket, me, Changes(assignee_id=watcher.id), desk)
        change_fields(session, ticket, me, Changes(status=TicketStatus.resolved), desk)
        rate(session, ticket, False, f"Slow answer. {SECRET}")
    opened = client.post("/chat/eur/sessions", json={"name": "Ada Lovelace", "email": ada})
    chat_id, auth = (
        json_of(opened)["session"]["id"],
        {"Authorization": f"Bearer {json_of(opened)['token']}"},
    )
    said = client.post(f"/chat/eur/sessions/{chat_id}/messages", headers=auth,
                       json={"text": f"Chat: {SECRET}", "client_id": "c1"})  # fmt: skip
    shown = client.post(f"/chat/eur/sessions/{chat_id}/files", headers=auth,
                        data={"file": (io.BytesIO(PNG), "scan.png")})  # fmt: skip
    assert said.status_code == shown.status_code == 201
    address, _root = reply_address(app, ref)
    got = deliver(app, mail(f"Ada Lovelace <{ada}>", address, f"About {SECRET}", "More words."))
    assert got.outcome == "reply"
    bounced = bounce(ada, "support@desk.test", "Hello Ada", reason="550 Ada Lovelace is gone")
    assert deliver(app, bounced).outcome == "bounce"
    api_ticket(client, email="grace@example.com", name="Grace Hopper")  # someone else
    api_ticket(client, tenant="km")  # the same address at another tenant
    return str(ref)


def test_the_export_holds_everything_kept_about_the_customer(app: Flask) -> None:
    ref = _fill(app)
    with state(app).db.read("eur") as session:
        data = export(session, "ADA@example.com")  # any case of the address
        archive = zipfile.ZipFile(
            io.BytesIO(export_zip(session, state(app).files, "ada@example.com"))
        )
    (ticket,) = data["tickets"]
    assert ticket["reference"] == ref and SECRET in ticket["description"]
    bodies = [m["body"] for m in ticket["messages"]]
    assert any(SECRET in b for b in bodies) and "Thanks Ada, we are on it." in bodies
    assert "Ada sounds upset; VIP customer." in bodies  # notes about them are theirs to see
    assert ticket["tags"] == ["vip"] and ticket["history"]
    assert [m["subject"] for m in data["mails_received"]] == [f"About {SECRET}"]
    assert "gone" in data["address_bounces"][0]["reason"]
    (verdict,) = ticket["satisfaction"]
    assert verdict["satisfied"] is False and SECRET in verdict["comment"]
    assert {m["subject"] for m in data["mails"]} >= {f"[{ref}] Re: Cannot export my invoices"}
    assert data["chats"][0]["messages"][0]["body"] == f"Chat: {SECRET}"
    names = archive.namelist()
    assert "data.json" in names and json.loads(archive.read("data.json")) == data | {
        "email": "ada@example.com"}  # fmt: skip
    (png,) = [n for n in names if n.endswith("passport.png")]
    assert archive.read(png) == PNG
    chat_file = data["chats"][0]["messages"][1]["file"]
    assert chat_file["name"] == "scan.png" and archive.read(chat_file["in_export_as"]) == PNG
    assert "Grace" not in json.dumps(data) and data["tenant"] == "eur"
    times = list(_times(data))
    assert len(times) > 20
    assert [t for t in times if not t.endswith("+00:00")] == []  # when, in any zone


def _times(data: object) -> Iterator[str]:
    """Yield every time of an export (its keys are "at", "since", or end in "_at")."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and (key.endswith("_at") or key in ("at", "since")):
                yield value
            else:
                yield from _times(value)
    elif isinstance(data, list):
        for item in data:
            yield from _times(item)


def _texts(app: Flask, tenant: str) -> str:
    """Return every text column of every customer table of a tenant, joined."""
    found: list[str] = []
    with state(app).db.all_tenants() as session:
        for name in sorted(CUSTOMER_TABLES - {"stored_files"}):
            table = Base.metadata.tables[name]
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            query = select(*columns).where(table.c.tenant_id == tenant)
            for row in session.execute(query):
                found += [str(v) for v in row if v is not None]
    return "\n".join(found)


def _database_bytes(app: Flask) -> bytes | None:
    """Return a SQLite database's files as they are on disk, free pages included (None on
    PostgreSQL, whose files this test does not read)."""
    url = make_url(state(app).config.database_url)
    if url.get_backend_name() != "sqlite":
        return None
    with state(app).db.engine.connect() as conn:  # freed pages are zeroed, whatever the build
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    paths = [Path(str(url.database) + suffix) for suffix in ("", "-wal")]
    return b"".join(path.read_bytes() for path in paths if path.exists())


def test_erasure_leaves_nothing_of_the_customer_and_touches_nobody_else(app: Flask) -> None:
    ref = _fill(app)
    store = state(app).files
    with state(app).db.read("eur") as session:
        files = [a.stored_name for a in ticket_by_reference(session, ref).attachments]
        files += [m.stored_name for m in session.scalars(select(ChatMessage)) if m.stored_name]
    state(app).db.purge_freed()
    before = _database_bytes(app)
    assert before is None or SECRET.encode() in before  # the check below can see the words
    erased = erase_customer(state(app).db, store, "eur", "ada@example.com", None)
    assert (erased.tickets, erased.chats) == (1, 1) and erased.mails >= 2
    after = _database_bytes(app) or b""
    for trace in (SECRET, "Slow answer", "passport.png", "VIP customer"):
        assert trace.encode() not in after, trace  # not in freed pages either
    assert (
        len(files) == 2
        and erased.stored_files == files
        and all(store.open("eur", n) is None for n in files)
    )
    left = _texts(app, "eur")
    traces = ("ada@example.com", "Ada Lovelace", SECRET, "passport.png", "scan.png", "VIP")
    for trace in traces:
        assert trace.lower() not in left.lower(), trace
    assert "grace@example.com" in left and "Grace Hopper" in left  # someone else stays
    assert "ada@example.com" in _texts(app, "km")  # the other tenant's customer stays
    with state(app).db.read("eur") as session:
        shell = session.scalars(select(SupportTicket).where(SupportTicket.reference == ref)).one()
        assert shell.subject == "[erased]" and shell.status is not None  # counts still add up
        kept_work = select(TicketEvent.kind, TicketEvent.detail).where(
            TicketEvent.ticket_id == shell.id, TicketEvent.detail != ""
        )
        work = {tuple(row) for row in session.execute(kept_work)}
        assert work == {
            (TicketEventKind.status_changed, "open -> pending"),  # the agents' work
            (TicketEventKind.status_changed, "pending -> resolved"),
            (TicketEventKind.status_changed, "resolved -> open"),  # (her mail)
            (TicketEventKind.assigned, "Watcher"),
        }  # stays on record
        kept = session.scalars(select(SatisfactionRating)).one()
        assert kept.satisfied is False and kept.comment == ""  # the figures still add up
        quoting = session.scalars(select(OutboxMessage.to_address).where(
            OutboxMessage.subject.contains(f"[{ref}]"))).all()  # fmt: skip
        assert quoting == [], quoting  # the watcher's notice quoted the customer's subject
        (chat,) = session.scalars(select(ChatSession))  # ended, its token opening nothing
        assert (chat.status, chat.token_hash) == (ChatStatus.closed, None)
        (record,) = erasures(session)  # recorded: who, when, how much; never whom
        assert (record.by, record.agent_id, record.tickets, record.files) == (
            "the command line", None, 1, 2)  # fmt: skip
        found = app.test_client().get("/api/v1/eur/kb/articles")
        assert found.status_code == 200


def test_after_erasure_no_old_link_token_or_mail_reaches_the_ticket(app: Flask) -> None:
    client = app.test_client()
    created = api_ticket(client, email="ada@example.com", name="Ada Lovelace")
    ref, token = created["ticket"]["reference"], created["token"]
    auth = {"Authorization": f"Bearer {token}"}
    page = created["url"].removeprefix("http://desk.test")
    address, _root = reply_address(app, ref)
    with state(app).db.read("eur") as session:
        shell_id = ticket_by_reference(session, ref).id
    mailed = f"/eur/tickets/{ref}/{link_token(state(app).config.secret_key, 'eur', shell_id)}"
    assert client.get(page).status_code == client.get(mailed).status_code == 200
    erase_customer(state(app).db, state(app).files, "eur", "ada@example.com", None)
    assert client.get(page).status_code == client.get(mailed).status_code == 404
    assert client.get(f"/api/v1/eur/tickets/{ref}", headers=auth).status_code == 404
    again = client.post(f"/api/v1/eur/tickets/{ref}/replies", headers=auth,
                        json={"body": "Back again with new words."})  # fmt: skip
    assert again.status_code == 404
    # A mail to the old thread starts anew: the customer's again, to export or erase.
    got = deliver(app, mail("Ada <ada@example.com>", address, f"Re: [{ref}] hi", "I am back."))
    assert got.outcome == "ticket" and got.ticket_id != shell_id
    with state(app).db.read("eur") as session:
        shell = session.get(SupportTicket, shell_id)
        assert shell is not None and {r.body for r in shell.responses} <= {"[erased]"}
        (ticket,) = export(session, "ada@example.com")["tickets"]
    assert "I am back." in ticket["description"]


def test_erasure_leaves_others_mail_that_names_the_reference(app: Flask) -> None:
    client = app.test_client()
    ref = api_ticket(client, email="ada@example.com")["ticket"]["reference"]
    api_ticket(client, email="hugo@example.com", subject=f"Same as {ref}, [{ref}] problem")
    bounce = mail("MAILER-DAEMON@mx.example", "support@desk.test",
                  f"Undelivered: [{ref}] We received your request", "x")  # fmt: skip
    deliver(app, bounce)
    erase_customer(state(app).db, state(app).files, "eur", "ada@example.com", None)
    with state(app).db.read("eur") as session:
        hugo = export(session, "hugo@example.com")
        received = session.scalars(select(InboundMail.subject)).all()
    assert [m["subject"] for m in hugo["mails"]] == [
        f"[EUR-10002] We received your request: Same as {ref}, [{ref}] problem"]  # fmt: skip
    assert received == ["[erased]"]  # the mail server's bounce quoted Ada's subject


def test_admins_export_and_erase_from_the_desk(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    _fill(app)
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    page = "/desk/eur/admin/customers"
    ada = "ada@example.com"
    with caplog.at_level(logging.INFO, logger="intake.desk.admin"):
        got = post_form(admin, page, f"{page}/export", **{"export-email": ada})
    assert got.status_code == 200 and got.mimetype == "application/zip"
    said = [r.getMessage() for r in caplog.records if "exported" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("eur: a customer's data exported by Boss (agent")
    assert ada not in caplog.text  # who took the data out is on record, not whose it was
    assert SECRET in zipfile.ZipFile(io.BytesIO(got.data)).read("data.json").decode()
    nobody = post_form(admin, page, f"{page}/export", **{"export-email": "nobody@example.com"})
    assert nobody.status_code == 404 and nobody.mimetype == "text/html"
    assert "Nothing is kept about nobody@example.com in this help center" in nobody.get_data(
        as_text=True
    )
    typo = {"erase-email": ada, "erase-confirm": "ad@example.com"}
    mismatch = post_form(admin, page, f"{page}/erase", **typo)
    assert mismatch.status_code == 400 and SECRET in _texts(app, "eur")
    done = post_form(admin, page, f"{page}/erase", **{"erase-email": ada, "erase-confirm": ada})
    assert done.status_code == 200 and "Erased: 1 tickets" in done.get_data(as_text=True)
    assert "Boss erased 1 tickets, 2 files" in done.get_data(as_text=True)
    assert SECRET not in _texts(app, "eur")
    agent = signed_in(app, "plain@example.com")
    assert agent.get(page).status_code == 404


def test_an_address_is_found_in_any_case_of_any_letter(app: Flask) -> None:
    """SQLite's own lower() changes only ASCII letters: "Émile@" and "émile@" are one
    customer for the export, the erasure and the desk's list of their other tickets."""
    client = app.test_client()
    first = api_ticket(client, email="Émile@example.com", name="Émile Zola")
    api_ticket(client, email="ÉMILE@example.com", name="Émile Zola", subject="Second problem")
    assert Customer(client, name="Émile Zola", email="émile@EXAMPLE.com").id
    with state(app).db.read("eur") as session:
        data = export(session, "émile@example.com")
        assert len(data["tickets"]) == 2 and len(data["chats"]) == 1
        shown = ticket_by_reference(session, first["ticket"]["reference"])
        assert [t.subject for t in page_extras(session, shown).others] == ["Second problem"]
    erased = erase_customer(state(app).db, state(app).files, "eur", "EMILE@example.com", None)
    assert (erased.tickets, erased.chats) == (0, 0)  # E is not É: another address
    erased = erase_customer(state(app).db, state(app).files, "eur", "émile@example.com", None)
    assert (erased.tickets, erased.chats) == (2, 1)
    assert "Zola" not in _texts(app, "eur")


def test_an_address_is_found_in_any_of_its_spellings(app: Flask) -> None:
    """The form and the API store an address in one form (NFC, the domain in Unicode), so
    "é" typed as e and an accent, or a domain typed as xn--, is the same customer."""
    composed = unicodedata.normalize("NFD", "émile@bücher.example")
    assert post_ticket(app.test_client(), email=composed, name="Émile").status_code == 303
    api_ticket(app.test_client(), email="emile2@xn--bcher-kva.example", subject="Punycode")
    with state(app).db.read("eur") as session:
        assert len(export(session, "émile@bücher.example")["tickets"]) == 1
        assert len(export(session, composed)["tickets"]) == 1
        (punycode,) = export(session, "emile2@bücher.example")["tickets"]
        assert punycode["subject"] == "Punycode"
    erased = erase_customer(state(app).db, state(app).files, "eur", composed, None)
    assert erased.tickets == 1


def test_the_command_line_exports_for_its_owner_alone_and_erases_the_local_mailbox(
    app: Flask, tmp_path: Path
) -> None:
    client = app.test_client()
    api_ticket(client, email="ada@example.com", name="Ada Lovelace")
    api_ticket(client, email="grace@example.com", name="Grace Hopper")
    api_ticket(client, tenant="km", email="ada@example.com", name="Ada Lovelace")
    config = state(app).config
    assert send_pending(config, state(app).db, write_to_mailbox) == (3, 0)
    folder = mailbox_folder(config)
    older = folder / "20261101T000000.000000Z-0123456789ab.eml"  # named before the tenant was
    older.write_bytes(b"To: ada@example.com\nSubject: An old mail\n\nHello Ada.\n")
    links = folder / "20261201T000000.000000Z+eur+0123456789ab.eml"  # mail names it xn--
    links.write_bytes(b"To: zoe@xn--bcher-kva.example\nSubject: Your requests\n\nHi.\n")
    out = tmp_path / "ada.zip"
    out.write_bytes(b"an older file anyone could read")
    out.chmod(0o644)
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["customers", "export", "--tenant", "eur",
                                   "--email", "ada@example.com", "--out", str(out)])  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert out.stat().st_mode & 0o777 == 0o600
    assert "Ada Lovelace" in zipfile.ZipFile(out).read("data.json").decode()
    assert "bytes; tickets: 1, mails: 1" in exported.output  # what it holds, said
    nobody = tmp_path / "nobody.zip"
    empty = runner.invoke(args=["customers", "export", "--tenant", "eur",
                                "--email", "nobody@example.com", "--out", str(nobody)])  # fmt: skip
    assert empty.exit_code == 0 and "nothing is kept about this address in eur" in empty.output
    erased = runner.invoke(args=["customers", "erase", "--tenant", "eur",
                                 "--email", "ADA@example.com", "--yes"])  # fmt: skip
    assert erased.exit_code == 0, erased.output
    zoe = runner.invoke(args=["customers", "erase", "--tenant", "eur",
                              "--email", "zoe@bücher.example", "--yes"])  # fmt: skip
    assert zoe.exit_code == 0, zoe.output
    assert not older.exists() and not links.exists()
    left = sorted((p.name.split("+")[1], p.read_bytes()) for p in folder.glob("*.eml"))
    assert [tenant for tenant, _mail in left] == ["eur", "km"]
    assert b"Grace Hopper" in left[0][1]  # someone else's mail stays
    assert b"ada@example.com" in left[1][1]  # and the other tenant's customer's


def test_a_mail_into_another_customers_thread_is_its_senders(app: Flask) -> None:
    client = app.test_client()
    ref = api_ticket(client, email="ada@example.com", name="Ada Lovelace")["ticket"]["reference"]
    address, _root = reply_address(app, ref)
    said = "Fiona here, my number is +49 30 999."
    got = deliver(app, mail("Fiona Fremd <Fiona@example.org>", address, f"Re: [{ref}]", said))
    assert got.outcome == "note"
    with state(app).db.read("eur") as session:
        ada = export(session, "ada@example.com")
        fiona = export(session, "fiona@example.org")
    assert said not in json.dumps(ada, ensure_ascii=False)  # not Ada's to take away
    (theirs,) = fiona["mails_on_others_tickets"]
    assert said in theirs["body"]
    erase_customer(state(app).db, state(app).files, "eur", "FIONA@example.org", None)
    left = _texts(app, "eur")
    assert "+49 30 999" not in left and "fiona@example.org" not in left.lower()
    assert "Ada Lovelace" in left  # Ada's ticket stays hers


def test_an_erasure_waits_for_a_reader_before_emptying_the_log(app: Flask) -> None:
    """A reader open at the erasure (a backup, a long report) keeps SQLite's write-ahead log,
    erased words and all: the erasure waits for it to end, then empties the log."""
    db = state(app).db
    url = make_url(state(app).config.database_url)
    if url.get_backend_name() != "sqlite":
        assert db.purge_freed() is True  # PostgreSQL: nothing SQLite-like to empty
        return
    api_ticket(app.test_client(), email="ada@example.com", description=f"About {SECRET} here.")
    reader = sqlite3.connect(str(url.database), check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM support_tickets").fetchone()
    threading.Timer(0.5, reader.rollback).start()
    erase_customer(db, state(app).files, "eur", "ada@example.com", None)
    reader.close()
    wal = Path(str(url.database) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert SECRET.encode() not in Path(str(url.database)).read_bytes()


def test_searches_and_feedback_that_name_the_address_go_with_it(app: Flask) -> None:
    client = app.test_client()
    for query in ("where is ADA@example.com ticket", "zzqx nothing"):  # the site's reports
        assert client.post("/api/v1/eur/kb/searches", json={"query": query}).status_code == 204
    said = client.post(
        "/api/v1/eur/kb/articles/refunds/feedback",
        json={"helpful": False, "comment": "Write to Ada@Example.com please"},
    )
    assert said.status_code == 201
    state(app).search_counts.flush()
    with state(app).db.read("eur") as session:
        data = export(session, "ada@example.com")
    assert [s["query"] for s in data["searches_naming_the_address"]] == [
        "where is ada@example.com ticket"]  # fmt: skip
    assert data["feedback_comments_naming_the_address"][0]["comment"].startswith("Write to Ada")
    erase_customer(state(app).db, state(app).files, "eur", "ada@example.com", None)
    with state(app).db.read("eur") as session:
        assert [m.query for m in session.scalars(select(SearchMiss))] == ["zzqx nothing"]
        assert [f.comment for f in session.scalars(select(ArticleFeedback))] == [""]


def test_the_export_says_how_tickets_and_chats_are_linked(app: Flask) -> None:
    client = app.test_client()
    first = api_ticket(client, email="ada@example.com")["ticket"]["reference"]
    second = api_ticket(client, email="ada@example.com", subject="Same again")["ticket"]
    chat_id = Customer(client, name="Ada Lovelace", email="ada@example.com").id
    brand = Brand("EUR", "http://desk.test/eur/tickets", "Help", "k" * 20, "s@desk.test")
    made = convert_chat(state(app).db, state(app).writer, state(app).files, brand, "eur", chat_id)
    agent_id = make_agent(app, "agent@example.com")
    with state(app).db.write("eur") as session:
        me = session.get(Agent, agent_id)
        assert me is not None
        merge(session, ticket_by_reference(session, second["reference"]),
              ticket_by_reference(session, first), me, Desk(brand))  # fmt: skip
    with state(app).db.read("eur") as session:
        data = export(session, "ada@example.com")
    merged = {t["reference"]: t["merged_into"] for t in data["tickets"]}
    assert merged[second["reference"]] == first and merged[first] is None
    assert data["chats"][0]["became_ticket"] == made.reference


def test_an_address_inside_a_longer_one_or_quoted_by_a_stranger_is_not_theirs(
    app: Flask,
) -> None:
    client = app.test_client()
    assert (
        client.post("/api/v1/eur/kb/searches", json={"query": "lisa@b.com cancel"}).status_code
        == 204
    )
    said = client.post(
        "/api/v1/eur/kb/articles/refunds/feedback",
        json={"helpful": False, "comment": "Write to lisa@b.com, 555-0100."},
    )
    assert said.status_code == 201
    bob = api_ticket(client, email="bob@example.com")["ticket"]["reference"]
    address, _root = reply_address(app, bob)
    quoted = "Please write to Ada Lovelace <ada@example.com>. My number is 555-0123."
    got = deliver(app, mail("Carol <carol@example.org>", address, f"Re: [{bob}]", quoted))
    assert got.outcome == "note"
    state(app).search_counts.flush()
    with state(app).db.read("eur") as session:
        short = export(session, "a@b.co")
        ada = export(session, "ada@example.com")
        carol = export(session, "carol@example.org")
    assert short["searches_naming_the_address"] == []
    assert short["feedback_comments_naming_the_address"] == []
    assert ada["mails_on_others_tickets"] == []  # Carol's mail, Carol's words
    assert "555-0123" in carol["mails_on_others_tickets"][0]["body"]
    erase_customer(state(app).db, state(app).files, "eur", "a@b.co", None)
    erase_customer(state(app).db, state(app).files, "eur", "ada@example.com", None)
    left = _texts(app, "eur")
    assert "555-0123" in left
    with state(app).db.read("eur") as session:
        assert [m.query for m in session.scalars(select(SearchMiss))] == ["lisa@b.com cancel"]
        assert "lisa@b.com" in session.scalars(select(ArticleFeedback.comment)).one()


def _zip_names(app: Flask, email: str) -> dict[str, bytes]:
    with state(app).db.read("eur") as session:
        packed = export_zip(session, state(app).files, email)
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _stored(app: Flask) -> set[str]:
    with state(app).db.read("eur") as session:
        return set(session.scalars(select(TicketAttachment.stored_name)))


@pytest.mark.parametrize("robot", [False, True], ids=["a colleague's mail", "an auto-reply"])
def test_a_strangers_mail_and_its_files_are_theirs_not_the_tickets_customers(
    app: Flask, robot: bool
) -> None:
    """A mail someone else sends into a customer's thread is kept for the agents, with its
    files: those go with its sender's data, never in the customer's export."""
    client = app.test_client()
    ref = api_ticket(client, email="ivy@example.com", name="Ivy Iris")["ticket"]["reference"]
    address, _root = reply_address(app, ref)
    headers = {"Auto_Submitted": "auto-replied"} if robot else {}
    said = "Kit here: my number is +44 7700 900999."
    raw = with_files(mail("Kit Kane <Kit@Example.com>", address, f"Re: [{ref}]", said, **headers),
                     ("kit-kane-medical.png", PNG))  # fmt: skip
    assert deliver(app, raw).outcome == "note"
    (kits_file,) = _stored(app)
    ivy_zip = _zip_names(app, "ivy@example.com")
    ivy = json.loads(ivy_zip["data.json"])
    assert "kit-kane" not in json.dumps(ivy) and "7700" not in json.dumps(ivy)
    assert [name for name in ivy_zip if name.startswith("files/")] == []
    kit_zip = _zip_names(app, "kit@example.com")
    (theirs,) = json.loads(kit_zip["data.json"])["mails_on_others_tickets"]
    assert said in theirs["body"] and theirs["ticket"] == ref
    (file,) = theirs["files"]
    assert file["name"] == "kit-kane-medical.png" and kit_zip[file["in_export_as"]] == PNG
    erased = erase_customer(state(app).db, state(app).files, "eur", "kit@example.com", None)
    assert (erased.mails, erased.stored_files) == (1, [kits_file])
    assert _stored(app) == set()
    assert state(app).files.open("eur", kits_file) is None
    left = _texts(app, "eur")
    assert "7700" not in left and "kit-kane" not in left and "kit@example.com" not in left
    assert "Ivy Iris" in left  # Ivy's ticket stays hers


def test_an_address_in_a_search_or_comment_is_found_in_any_spelling(app: Flask) -> None:
    client = app.test_client()
    spellings = [
        unicodedata.normalize("NFD", "zoë@exämple.com"),
        "ZOË@xn--exmple-cua.com",
        "zoë@exämple.com",
    ]
    for number, spelled in enumerate(spellings):
        query = {"query": f"{spelled} help {number}"}
        assert client.post("/api/v1/eur/kb/searches", json=query).status_code == 204
        said = client.post("/api/v1/eur/kb/articles/refunds/feedback",
                           json={"helpful": False, "comment": f"Write to {spelled}"})  # fmt: skip
        assert said.status_code == 201
    state(app).search_counts.flush()
    with state(app).db.read("eur") as session:
        data = export(session, "Zoë@Exämple.com")
    assert len(data["searches_naming_the_address"]) == 3
    assert len(data["feedback_comments_naming_the_address"]) == 3
    erase_customer(state(app).db, state(app).files, "eur", "zoë@exämple.com", None)
    with state(app).db.read("eur") as session:
        assert list(session.scalars(select(SearchMiss))) == []
        assert set(session.scalars(select(ArticleFeedback.comment))) == {""}


def test_a_strangers_mail_stays_theirs_when_its_ticket_is_merged(app: Flask) -> None:
    """A merge moves messages and files to the kept ticket, and leaves the history where it
    was: the stranger's files' lines stay out of the customer's export, and go with them."""
    client = app.test_client()
    kept = api_ticket(client, email="ivy@example.com", name="Ivy Iris")["ticket"]["reference"]
    other = api_ticket(client, email="ivy@example.com", name="Ivy Iris", subject="Again, sorry")
    ref = other["ticket"]["reference"]
    address, _root = reply_address(app, ref)
    raw = with_files(mail("Kit Kane <kit@example.com>", address, f"Re: [{ref}]", "Kit: 7700"),
                     ("kit-kane-medical.png", PNG))  # fmt: skip
    assert deliver(app, raw).outcome == "note"
    agent_id = make_agent(app, "agent@example.com")
    desk = Desk(Brand("EUR", "http://desk.test/eur/tickets", "Help", "k" * 20, "s@desk.test"))
    with state(app).db.write("eur") as session:
        merge(session, ticket_by_reference(session, ref), ticket_by_reference(session, kept),
              session.get_one(Agent, agent_id), desk)  # fmt: skip
    with state(app).db.read("eur") as session:
        ivy = json.dumps(export(session, "ivy@example.com"))
    assert "kit-kane" not in ivy and "7700" not in ivy
    erase_customer(state(app).db, state(app).files, "eur", "kit@example.com", None)
    left = _texts(app, "eur")
    assert "kit-kane" not in left and "7700" not in left and "Ivy Iris" in left
