"""Live chat in two headless Chromium pages: a customer on the static site (served from an
origin of its own, as in production) and an agent in the desk."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    WebSocketRoute,
    expect,
)
from sqlalchemy import select

from intake.models import SupportTicket
from intake.state import state
from kbgen.build import build
from kbgen.config import BuildOptions, load_site_config
from kbgen.serve import make_server
from scripts.pgserver import free_port
from tests.conftest import REPO
from tests.e2e.helpers import Service, make_agent, serve_intake, sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.intake.fixtures import DatabaseFactory


@dataclass(frozen=True)
class Chat:
    """The service, and the static site on another origin whose pages load the widget."""

    service: Service
    site: str


@pytest.fixture
def chat(
    browser: Browser, intake_db: DatabaseFactory, kb_root: Path, tmp_path: Path
) -> Iterator[Chat]:
    site_port = free_port()
    site = f"http://127.0.0.1:{site_port}"
    with serve_intake(intake_db.new("chat"), kb_root, tmp_path / "uploads",
                      CHAT_ORIGINS=site) as service:  # fmt: skip
        root = tmp_path / "site-project"
        shutil.copytree(REPO / "content", root / "content")
        config = root / "content" / "site.yaml"
        data = yaml.safe_load(config.read_text())
        for tenant in data["tenants"].values():
            tenant["chat_url"] = service.url  # the widget talks to the service across origins
        config.write_text(yaml.safe_dump(data))
        build(BuildOptions(root=root, today=dt.date(2026, 11, 25)))
        server = make_server(load_site_config(root), root / "site", "127.0.0.1", site_port)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Chat(service, site)
        finally:
            for context in browser.contexts:
                context.close()
            server.shutdown()
            server.server_close()


def errors_of(page: Page) -> list[str]:
    """Collect the page's console errors with where they come from; the test's static server
    has no /favicon.ico, which the browser asks for on its own."""
    errors: list[str] = []

    def note(message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):
            errors.append(f"{message.text} ({where})")

    page.on("console", note)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def until_online(url: str, tenant: str) -> None:
    """Wait (up to 10 s) until the chat's status says an agent of `tenant` is online."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{url}/chat/{tenant}/status", timeout=5) as answer:
            if json.loads(answer.read())["agents_online"]:
                return
        time.sleep(0.1)
    raise AssertionError("the agent never showed as online to the chat widget")


def _tab(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


class Drop:
    """Pass the widget's socket through, and cut it (refusing reconnections) when asked."""

    def __init__(self) -> None:
        self.open: list[WebSocketRoute] = []
        self.blocked = False

    def __call__(self, ws: WebSocketRoute) -> None:
        if self.blocked:
            ws.close(code=1011, reason="network down")
            return
        ws.connect_to_server()
        self.open.append(ws)

    def cut(self) -> None:
        self.blocked = True
        for ws in self.open:
            ws.close(code=1011, reason="network down")
        self.open.clear()


@dataclass
class Started:
    """An agent in the desk and a customer on the site, in one chat over a socket that can be
    cut; the customer's console errors are collected."""

    agent_context: BrowserContext
    agent: Page
    customer_context: BrowserContext
    customer: Page
    panel: Locator
    conversation: Locator
    drop: Drop
    errors: list[str]


def start_chat(browser: Browser, chat: Chat, first: str) -> Started:
    """Sign Sam in to the desk, open the widget as Ada, send `first`; the agent opens it."""
    make_agent(chat.service.app, "sam@example.com", "Sam Agent")
    agent_context, agent = _tab(browser)
    sign_in(agent, chat.service.url, "sam@example.com")
    agent.goto(f"{chat.service.url}/desk/eur/chats")
    expect(agent.get_by_text("Nobody is waiting.")).to_be_visible()
    # The desk page says the agent is online in a request of its own, and the news reaches the
    # widget's status through the events bus, a moment later (on PostgreSQL, through the
    # database's notifications): a widget opened before then offers a message, not a chat.
    until_online(chat.service.url, "eur")

    customer_context, customer = _tab(browser)
    errors = errors_of(customer)
    drop = Drop()
    customer.route_web_socket("**/chat/eur/socket", drop)
    customer.goto(f"{chat.site}/eur/")
    customer.get_by_role("button", name="Chat with us").click()
    panel = customer.get_by_role("dialog", name="Chat with support")
    panel.get_by_label("Your name").fill("Ada Lovelace")
    panel.get_by_label("Your email").fill("ada@example.com")
    panel.get_by_role("button", name="Start chat").click()
    conversation = panel.get_by_role("log", name="Conversation")
    panel.get_by_label("Your message").fill(first)
    panel.get_by_role("button", name="Send").click()
    expect(conversation).to_contain_text(first)

    # The inbox refreshes by itself; the agent opens the chat.
    agent.get_by_role("link", name="Ada Lovelace").click()
    expect(agent.get_by_role("log", name="Conversation")).to_contain_text(first)
    return Started(agent_context, agent, customer_context, customer, panel, conversation, drop,
                   errors)  # fmt: skip


def test_a_customer_and_an_agent_chat_and_the_chat_becomes_a_ticket(
    browser: Browser, chat: Chat
) -> None:
    started = start_chat(browser, chat, "Hello, my invoice export is stuck.")
    agent, customer, panel = started.agent, started.customer, started.panel
    conversation, drop, errors = started.conversation, started.drop, started.errors
    agent_context, customer_context = started.agent_context, started.customer_context
    # The agent sees the customer typing.
    expect(agent.locator("body")).to_have_attribute("data-live", "on")  # hears events now
    panel.get_by_label("Your message").press_sequentially("One more thing")
    expect(agent.locator("#chat-status")).to_have_text("The customer is typing…")
    panel.get_by_label("Your message").fill("")
    agent.get_by_label("Your message").press_sequentially("Hi Ada, let me check.")
    expect(panel.get_by_role("status").filter(has_text="typing")).to_have_text(
        "Sam Agent is typing…"
    )  # a status line: screen readers announce it
    agent.get_by_label("Your message").press("Enter")
    expect(conversation).to_contain_text("Hi Ada, let me check.")
    expect(conversation).to_contain_text("Sam Agent joined the chat.")
    expect(agent.locator("#chat-status")).to_have_text("Read by the customer.")

    # A reload finds the whole history, each message once.
    customer.reload()
    panel = customer.get_by_role("dialog", name="Chat with support")
    expect(panel).to_be_visible()  # it was open: the widget resumes it open by itself
    conversation = panel.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text("Hi Ada, let me check.")
    expect(conversation.locator("li")).to_have_count(3)

    # The connection drops; what the agent sends meanwhile arrives once, in order.
    drop.cut()
    for text in ("First while you were away.", "Second while you were away."):
        agent.get_by_label("Your message").fill(text)
        agent.get_by_role("button", name="Send", exact=True).click()
        expect(agent.get_by_role("log", name="Conversation")).to_contain_text(text)
    drop.blocked = False
    expect(conversation).to_contain_text("Second while you were away.", timeout=30_000)
    texts = conversation.locator("li").all_inner_texts()
    assert len(texts) == 5
    first = next(i for i, t in enumerate(texts) if "First while" in t)
    assert "Second while" in texts[first + 1]
    # A pasted log too long for one message stays in the box, named; nothing is sent.
    panel.get_by_label("Your message").fill("log line\n" * 600)
    panel.get_by_role("button", name="Send").click()
    expect(panel.get_by_role("alert")).to_contain_text(
        "Your message has 5,399 characters; send at most 5,000 at once."
    )
    expect(panel.get_by_label("Your message")).to_have_value("log line\n" * 600)
    panel.get_by_label("Your message").fill("Thanks, I am back.")
    panel.get_by_role("button", name="Send").click()
    expect(agent.get_by_role("log", name="Conversation")).to_contain_text("Thanks, I am back.")
    expect(conversation.locator("li")).to_have_count(6)  # the long one never went

    assert_accessible(customer)  # the widget, open, in a conversation
    agent.get_by_role("button", name="Turn into a ticket").click()
    expect(agent.get_by_role("heading", level=1)).to_contain_text("Chat: Hello, my invoice")
    expect(agent.locator(".thread")).to_contain_text("Ada Lovelace: Thanks, I am back.")
    expect(conversation).to_contain_text("This chat became ticket EUR-")  # the customer is told
    assert errors == [], "\n".join(errors)
    customer_context.close()
    agent_context.close()


def test_with_nobody_online_a_message_becomes_a_ticket(browser: Browser, chat: Chat) -> None:
    context, customer = _tab(browser)
    errors = errors_of(customer)
    customer.goto(f"{chat.site}/km/")
    customer.get_by_role("button", name="Chat with us").click()
    panel = customer.get_by_role("dialog", name="Chat with support")
    expect(panel).to_contain_text("No agent is online right now.")
    assert_accessible(customer)
    panel.get_by_label("Your name").fill("Grace Hopper")
    panel.get_by_label("Your email").fill("not an email")
    panel.get_by_label("What can we help with?").fill("Please call me about my maps.")
    panel.get_by_role("button", name="Leave a message").click()
    expect(customer.locator("#intake-chat-email-error")).not_to_be_empty()
    assert_accessible(customer)  # the form with its error
    panel.get_by_label("Your email").fill("grace@example.com")
    panel.get_by_role("button", name="Leave a message").click()
    expect(panel).to_contain_text("Thank you. We'll answer by email.")
    shown = panel.locator("[data-view=sent] strong")
    expect(shown).to_have_text(re.compile(r"^KM-\d+$"))
    reference = shown.inner_text()
    with state(chat.service.app).db.read("km") as session:
        ticket = session.scalars(select(SupportTicket)).one()
        assert ticket.reference == reference
        assert ticket.description == "Please call me about my maps."
    assert [e for e in errors if "400 (BAD REQUEST)" not in e] == [], errors  # the bad email
    context.close()


def test_a_customer_away_when_the_chat_ends_still_sees_its_last_answers(
    browser: Browser, chat: Chat
) -> None:
    started = start_chat(browser, chat, "Is my export fixed?")
    agent, panel, conversation = started.agent, started.panel, started.conversation
    drop, errors = started.drop, started.errors

    drop.cut()  # away: the widget keeps reconnecting, and is refused
    agent.get_by_label("Your message").fill("Yes: it was fixed this morning.")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(agent.get_by_role("log", name="Conversation")).to_contain_text("fixed this morning")
    agent.get_by_role("button", name="End the chat").click()
    expect(agent.get_by_role("log", name="Conversation")).to_contain_text("Sam Agent ended")
    # Chrome reports each reconnection the cut refuses (a closed route): those and no other.
    cut = len(errors)
    assert all("/chat/eur/socket' failed" in e for e in errors), errors
    drop.blocked = False
    expect(panel).to_contain_text("The chat has ended.", timeout=30_000)
    expect(conversation).to_contain_text("Yes: it was fixed this morning.")
    expect(conversation).to_contain_text("Sam Agent ended the chat.")
    assert errors[cut:] == [], "\n".join(errors)
    started.customer_context.close()
    started.agent_context.close()


def test_a_chat_the_agent_ends_keeps_the_customers_place_text_and_transcript(
    browser: Browser, chat: Chat
) -> None:
    started = start_chat(browser, chat, "Can you move my invoice date?")
    agent, customer, panel = started.agent, started.customer, started.panel
    box = panel.get_by_label("Your message")
    box.fill("Half-typed: also the")
    box.focus()  # typing when the agent ends it
    agent.get_by_role("button", name="End the chat").click()
    expect(panel).to_contain_text("What you were typing is kept for a new chat.", timeout=30_000)
    # The box is gone: the keyboard is on the end's words, not sent back to the page's top,
    # nor on "Start a new chat", which the next key typed would press (and lose the chat).
    expect(panel.locator(".ic-ended")).to_be_focused()
    customer.keyboard.type("more ")
    expect(panel.get_by_role("log", name="Conversation")).to_contain_text("Can you move")
    # Another page: the ended chat is still there, with its transcript to be had.
    customer.goto(f"{chat.site}/eur/faq/")
    customer.get_by_role("button", name="Chat with us").click()
    panel = customer.get_by_role("dialog", name="Chat with support")
    expect(panel.get_by_role("log", name="Conversation")).to_contain_text(
        "Can you move my invoice date?"
    )
    expect(panel.get_by_role("button", name="Start a new chat")).to_be_focused()
    panel.get_by_role("button", name="Email me the transcript").click()
    expect(panel).to_contain_text("The transcript is on its way to your email.")
    assert_accessible(customer)  # the ended chat
    panel.get_by_role("button", name="Start a new chat").click()
    start = panel.get_by_role("button", name="Start chat")
    leave = panel.get_by_role("button", name="Leave a message")
    expect(start.or_(leave)).to_be_visible()
    if leave.is_visible():  # no agent online by now: the message to leave takes the text
        expect(panel.get_by_label("What can we help with?")).to_have_value("Half-typed: also the")
    else:
        panel.get_by_label("Your name").fill("Ada Lovelace")
        panel.get_by_label("Your email").fill("ada@example.com")
        start.click()
        expect(panel.get_by_label("Your message")).to_have_value("Half-typed: also the")
    # Leaving the page cuts the test's socket proxy (start_chat's Drop): Chrome reports that.
    errors = [e for e in started.errors if "/chat/eur/socket' failed" not in e]
    assert errors == [], "\n".join(errors)
    started.customer_context.close()
    started.agent_context.close()


def test_a_customer_nobody_answers_yet_can_be_answered_by_mail_instead(
    browser: Browser, chat: Chat
) -> None:
    started = start_chat(browser, chat, "Where is my refund for March?")
    panel, conversation, errors = started.panel, started.conversation, started.errors
    expect(panel).to_contain_text("Nobody has joined yet.")
    assert_accessible(started.customer)
    panel.get_by_label("Your message").fill("Also: it was invoice 42.")  # typed, not sent
    panel.get_by_role("button", name="Answer me by email instead").click()
    expect(conversation).to_contain_text("You chose an answer by mail, and the chat ended.")
    expect(conversation).to_contain_text(re.compile(r"This chat became ticket EUR-\d+"))
    expect(panel.get_by_role("button", name="Start a new chat")).to_be_visible()
    expect(panel.get_by_role("button", name="Answer me by email instead")).to_be_hidden()
    expect(panel).not_to_contain_text("Waiting for an agent")
    with state(chat.service.app).db.read("eur") as session:
        ticket = session.scalars(select(SupportTicket)).one()
        assert "Where is my refund for March?" in ticket.description
        assert "Also: it was invoice 42." in ticket.description  # what was in the box went too
    # The agent who had it open sees it end, and can no longer join.
    expect(started.agent.get_by_role("log", name="Conversation")).to_contain_text(
        "You chose an answer by mail"
    )
    # As when an agent ends a chat: the development server drops the ended chat's socket.
    errors = [e for e in errors if "/chat/eur/socket' failed" not in e]
    assert errors == [], "\n".join(errors)
    started.customer_context.close()
    started.agent_context.close()


def test_an_agent_on_the_queue_hears_of_a_customer_waiting_in_a_chat(
    browser: Browser, chat: Chat
) -> None:
    make_agent(chat.service.app, "sam@example.com", "Sam Agent")
    context, agent = _tab(browser)
    sign_in(agent, chat.service.url, "sam@example.com")  # on the queue, not the chats' page
    expect(agent.locator("body")).to_have_attribute("data-live", "on")
    menu = agent.get_by_role("navigation", name="Desk")
    expect(menu.get_by_role("link", name="Chats", exact=True)).to_be_visible()
    opened = urllib.request.Request(
        f"{chat.service.url}/chat/eur/sessions", method="POST",
        data=json.dumps({"name": "Ada Lovelace", "email": "ada@example.com"}).encode(),
        headers={"Content-Type": "application/json", "Origin": chat.site})  # fmt: skip
    with urllib.request.urlopen(opened, timeout=10) as answer:
        assert answer.status == 201
    expect(menu.get_by_role("link", name="Chats 1 waiting")).to_be_visible()
    expect(agent).to_have_title(re.compile(r"^\(1\) Queue"))
    expect(agent.locator("#desk-live")).to_have_text("A customer is waiting in a chat.")
    context.close()


def test_after_the_service_was_away_the_widget_is_back_on_its_socket_at_once(
    browser: Browser, chat: Chat
) -> None:
    """A restart makes every call fail for a while, the socket's too: that is no proxy
    refusing sockets, so the widget comes back on a socket (not on slow polling, which said
    "Connection lost" for half a minute after the service was back)."""
    started = start_chat(browser, chat, "Are you there?")
    customer, panel, drop = started.customer, started.panel, started.drop
    away = re.compile(r".*/chat/eur/sessions/.*")
    customer.route(away, lambda route: route.abort())  # the service answers nothing
    drop.cut()
    expect(panel).to_contain_text("Connection lost. Reconnecting…")
    customer.wait_for_timeout(4_000)  # a few attempts at everything, all refused
    customer.unroute(away)
    drop.blocked = False
    expect(panel).not_to_contain_text("Connection lost", timeout=10_000)
    deadline = time.monotonic() + 10
    while not drop.open and time.monotonic() < deadline:  # a socket again, not polling
        customer.wait_for_timeout(100)
    assert drop.open
    started.agent.get_by_label("Your message").fill("Yes, still here.")
    started.agent.get_by_role("button", name="Send", exact=True).click()
    expect(started.conversation).to_contain_text("Yes, still here.")
    started.customer_context.close()
    started.agent_context.close()


def test_on_a_phone_the_open_chat_keeps_the_keyboard_until_closed(
    browser: Browser, chat: Chat
) -> None:
    """At 320 px the panel covers the page: Tab stays in it (and its launcher) rather than
    going on to links hidden beneath, and Escape closes it wherever the focus is."""
    context, customer = _tab(browser)
    customer.set_viewport_size({"width": 320, "height": 640})
    customer.goto(f"{chat.site}/eur/")
    customer.get_by_role("button", name="Chat with us").click()
    panel = customer.get_by_role("dialog", name="Chat with support")
    expect(panel).to_be_visible()
    launcher = customer.get_by_role("button", name="Chat with us")
    for _ in range(30):
        customer.keyboard.press("Tab")
        inside = customer.evaluate("() => !!document.activeElement.closest('.intake-chat')")
        assert inside, customer.evaluate("() => document.activeElement.outerHTML")
    for _ in range(5):
        customer.keyboard.press("Shift+Tab")
        assert customer.evaluate("() => !!document.activeElement.closest('.intake-chat')")
    launcher.focus()
    customer.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    context.close()


def test_an_agent_handed_a_chat_is_told_on_the_page_they_are_on(
    browser: Browser, chat: Chat
) -> None:
    started = start_chat(browser, chat, "Who can help with my export?")
    make_agent(chat.service.app, "kim@example.com", "Kim Agent")
    kim_context, kim = _tab(browser)
    sign_in(kim, chat.service.url, "kim@example.com")  # on the queue
    expect(kim.locator("body")).to_have_attribute("data-live", "on")
    sam = started.agent
    sam.get_by_label("Your message").fill("Let me pass you to Kim.")
    sam.get_by_role("button", name="Send", exact=True).click()
    expect(started.conversation).to_contain_text("Let me pass you to Kim.")
    sam.reload()  # the hand-over list, now that Sam holds the chat
    sam.get_by_label("Hand over to").select_option(label="Kim Agent")
    sam.get_by_role("button", name="Hand over").click()
    expect(sam.locator("#desk-done")).to_contain_text("Handed over to Kim Agent.")
    told = kim.locator("main .notice").filter(has_text="handed you the chat")
    expect(told).to_have_text("Sam Agent handed you the chat with Ada Lovelace. Open the chat")
    expect(kim.locator("#desk-live")).to_have_text(
        "Sam Agent handed you the chat with Ada Lovelace."
    )
    told.get_by_role("link", name="Open the chat").click()
    expect(kim.get_by_role("log", name="Conversation")).to_contain_text("Let me pass you to Kim.")
    kim_context.close()
    started.customer_context.close()
    started.agent_context.close()
