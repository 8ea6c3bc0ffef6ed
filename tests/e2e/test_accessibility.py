"""axe-core on every page type, of the static site and of the service, in light and dark.

A page passes when axe finds no violation of impact "serious" or "critical" while the
browser prefers the light colour scheme, nor after it switches to dark, so the contrast of
both palettes is measured as readers see them. Each page is loaded once for both schemes.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from intake.agents.accounts import create_group, get_agent, set_members
from intake.agents.second_factor import new_secret
from intake.agents.sessions import enable_second_factor
from intake.chat.messages import post_text
from intake.chat.sessions import get_chat, join
from intake.models import AgentNotification, AgentRole, CannedResponse, NotificationKind
from intake.state import state
from intake.tickets.loading import ticket_by_reference
from intake.tickets.replies import resolve
from tests.e2e.helpers import (
    PASSWORD,
    Created,
    Service,
    api_ticket,
    fill_ticket,
    make_agent,
    png,
    serve_intake,
    sign_in,
)
from tests.intake.conftest import PNG
from tests.intake.fixtures import DatabaseFactory

SCHEMES = ("light", "dark")
FAILING = ("serious", "critical")
AXE = Axe()


def too_faint(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the nodes axe left undecided for contrast although it measured too little.

    axe files short text (a count in a badge) under "incomplete" even when the contrast it
    measured is below the minimum; those are failures all the same.
    """
    faint = []
    for node in result["nodes"]:
        data = (node.get("any") or [{}])[0].get("data") or {}
        measured, expected = data.get("contrastRatio"), data.get("expectedContrastRatio")
        if measured and expected and measured < float(expected.split(":")[0]):
            faint.append({**node, "failureSummary": f"contrast {measured}:1, needs {expected}"})
    return faint


def axe_results(page: Page) -> dict[str, Any]:
    """Run axe-core on the page as it is now (injected once per document)."""
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(AXE.axe_script)
    found: dict[str, Any] = page.evaluate(
        "axe.run(document, {resultTypes: ['violations', 'incomplete']})"
    )
    return found


def assert_accessible(page: Page) -> None:
    """Fail with every serious or critical violation of the page, in light and in dark."""
    lines: list[str] = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        results = axe_results(page)
        failing = [v for v in results["violations"] if v.get("impact") in FAILING]
        for v in results["incomplete"]:
            if v["id"] == "color-contrast" and (faint := too_faint(v)):
                failing.append({**v, "nodes": faint})
        for v in failing:
            lines.append(f"{scheme}: {v['id']} ({v['impact']}): {v['help']}")
            lines += [f"    {n['target']}: {n.get('failureSummary', '')}" for n in v["nodes"]]
    assert not lines, f"{page.url}\n" + "\n".join(lines)


@contextlib.contextmanager
def tab(browser: Browser, device: str = "desktop", state: Any = None) -> Iterator[Page]:
    """Yield a tab of its own (no cookies but `state`'s) at a device's size, starting in the
    light scheme."""
    context = browser.new_context(color_scheme="light", storage_state=state,
                                  **DEVICES[device])  # type: ignore[arg-type]  # fmt: skip
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
    finally:
        context.close()


# The static site ------------------------------------------------------------------------------


DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
SITE_PAGES = {
    "home": "/eur/",
    "category": "/eur/categories/billing/",
    "article": "/eur/articles/custom-domain/",  # code, a table, an alert and an image
    "faq list": "/eur/faq/",
    "faq entry": "/eur/faq/refund-time/",
    "search": "/eur/search/?q=refund",
    "search, nothing found": "/eur/search/?q=quokka+zebra",
    "search box open": "/km/articles/troubleshoot-429-errors/",
    "article with a long URL in inline code": "/km/articles/geocoding/",
    "second brand's home": "/km/",  # km's own accents, in light and dark
    "tag": "/km/tags/rate-limit/",
    "tags": "/km/tags/",
    "second brand's 404 (a template override)": "/km/no-such-page/",
    "404": "/eur/no-such-page/",
}


@pytest.mark.parametrize("name", SITE_PAGES)
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_site_page(browser: Browser, site_url: str, name: str, device: str) -> None:
    with tab(browser, device) as page:
        _check_site_page(page, site_url, name, device)


def _check_site_page(tab: Page, site_url: str, name: str, device: str) -> None:
    answer = tab.goto(site_url + SITE_PAGES[name])
    assert answer is not None and answer.status == (404 if "404" in name else 200)
    if name == "search":  # Pagefind's results are drawn by script: wait for them, filled in
        expect(tab.locator(".pagefind-ui__result").first).to_be_visible()
        expect(tab.locator(".pagefind-ui__loading")).to_have_count(0)  # grey placeholders
    if name == "search, nothing found":
        expect(tab.locator("#no-results")).to_be_visible()
    if name == "search box open":  # the header's results as the reader types, one chosen
        box = tab.get_by_role("combobox", name="Search the help center")
        box.fill("rate limit")
        expect(tab.get_by_role("option").first).to_be_visible()
        box.press("ArrowDown")
    if name == "article" and device == "phone":  # the folded parts, unfolded
        tab.get_by_role("button", name="Menu").tap()
        tab.locator(".toc-phone summary").tap()
    assert_accessible(tab)
    if device == "phone":
        assert_reflows(tab, name)


def assert_reflows(page: Page, name: str) -> None:
    """Reflow (WCAG 1.4.10): at 320 px wide, nothing makes the page scroll sideways."""
    page.set_viewport_size({"width": 320, "height": 640})
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 320, f"{name}: {wide} px wide at 320 px"


# The service: customers' pages and the desk ---------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """A served app with a team, a group, a saved reply and a ticket with a thread."""

    service: Service
    ticket: Created
    admin_state: Any  # the signed-in admin's cookies (Playwright's storage state)
    agent_id: int
    totp_email: str
    chat_id: int
    canned_id: int

    @property
    def url(self) -> str:
        """Return the address of the service."""
        return self.service.url


@pytest.fixture(scope="module")
def desk(
    browser: Browser,
    intake_db: DatabaseFactory,
    kb_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    """Serve one app for the whole module, with something to show on every desk page."""
    database = intake_db.new("a11y")
    with serve_intake(database, kb_root, tmp_path_factory.mktemp("uploads")) as service:
        app = service.app
        admin = make_agent(app, "alex@example.com", "Alex Admin", AgentRole.admin)
        sam = make_agent(app, "sam@example.com", "Sam Agent")
        tess = make_agent(app, "tess@example.com", "Tess Totp")
        secret = new_secret()
        with state(app).db.write("eur") as session:
            code, box = pyotp.TOTP(secret).now(), state(app).secrets
            enable_second_factor(session, box, get_agent(session, tess), secret, code)
            set_members(session, create_group(session, "Billing"), {sam, tess})
            thanks = CannedResponse(title="Thanks", body="Thank you for writing.")
            session.add(thanks)
            session.flush()
            canned_id = thanks.id
        ticket = api_ticket(service.url, "Cannot export my invoices")
        shot = {"file": (io.BytesIO(png(40, 20, (30, 90, 200))), "screen.png")}
        assert service.app.test_client().post(
            f"/api/v1/eur/tickets/{ticket.reference}/attachments", data=shot,
            headers={"Authorization": f"Bearer {ticket.token}"}).status_code == 201  # fmt: skip
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, service.url, "alex@example.com")
        page.goto(f"{service.url}/desk/eur/tickets/{ticket.reference}")
        for text, internal in (("We are looking into it.", False), ("Checked the logs.", True)):
            page.get_by_label("Message").fill(text)
            page.get_by_label("Internal note").set_checked(internal)
            page.get_by_role("button", name="Send", exact=True).click()
            expect(page.locator(".thread .message").last).to_contain_text(text)
        admin_state = context.storage_state()
        context.close()
        other = api_ticket(service.url, "Change the invoice address", priority="low")
        with state(app).db.write("eur") as session:  # unread (no test opens it): a count shows
            ticket_id = ticket_by_reference(session, other.reference).id
            for kind in (NotificationKind.new_ticket, NotificationKind.customer_reply):
                session.add(AgentNotification(agent_id=admin, ticket_id=ticket_id, kind=kind))
        yield Desk(service, ticket, admin_state, sam, "tess@example.com", _chats(app, admin),
                   canned_id)  # fmt: skip


def _chats(app: Flask, admin_id: int) -> int:
    """Open a waiting chat and one the admin has joined (text, a picture, a file); return the
    latter's id."""
    client = app.test_client()
    origin = {"Origin": "https://help.nimbus.example"}
    ids = []
    for name, email in (("Ada Lovelace", "ada@example.com"), ("Grace Hopper", "grace@example.com")):
        opened = client.post("/chat/eur/sessions", json={"name": name, "email": email},
                             headers=origin).get_json()  # fmt: skip
        auth = {**origin, "Authorization": f"Bearer {opened['token']}"}
        text = {"text": "My export is stuck since Monday."}
        said = client.post(f"/chat/eur/sessions/{opened['session']['id']}/messages",
                           json=text, headers=auth)  # fmt: skip
        assert said.status_code == 201
        ids.append((opened["session"]["id"], opened["token"]))
    chat_id, token = ids[1]
    auth = {**origin, "Authorization": f"Bearer {token}"}
    for data in (
        {"file": (io.BytesIO(PNG), "screen.png")},
        {"file": (io.BytesIO(b"log\n"), "app.log")},
    ):
        assert client.post(f"/chat/eur/sessions/{chat_id}/files", data=data,
                           headers=auth).status_code == 201  # fmt: skip
    with state(app).db.write("eur") as session:
        chat = get_chat(session, chat_id)
        admin = get_agent(session, admin_id)
        join(session, chat, admin)
        post_text(session, chat, "Hello Grace, let me look at the logs.", admin)
    return int(chat_id)


def _go(path: str, status: int = 200) -> Callable[[Page, Desk], None]:
    def go(page: Page, desk: Desk) -> None:
        answer = page.goto(desk.url + path.format(desk=desk))
        assert answer is not None and answer.status == status, answer and answer.status

    return go


def _ticket_form_with_errors(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/eur/tickets/new")
    page.get_by_label("Your name").fill("Lin")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#email-error")).to_be_visible()


def _new_ticket(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/eur/tickets/new")
    fill_ticket(page, "lin@example.com")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("Thank you")


def _recover_with_errors(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/eur/tickets/recover")
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Email me my links").click()
    expect(page.locator("#error-summary")).to_be_focused()


def _recover_sent(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/eur/tickets/recover")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Email me my links").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("Check your mail")


def _login_with_errors(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/desk/eur/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#error-summary")).to_be_visible()


def _second_factor(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/desk/eur/login")
    page.get_by_label("Email").fill(desk.totp_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("One more step")


def _shortcuts(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/desk/eur/")
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def _ticket_with_an_error(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/desk/eur/tickets/{desk.ticket.reference}")
    now = page.get_by_label("Priority").input_value()
    was, mine = [p for p in ("low", "medium", "high", "urgent") if p != now][:2]
    # As if the page were older than a colleague's change of the priority, which this agent
    # changes too, to something else: a clash, shown on the field and at the form's top.
    older = "(field, was) => { const seen = JSON.parse(field.value); seen.priority = was;"
    older += " field.value = JSON.stringify(seen); }"
    page.locator("form[action$='/fields'] input[name=seen]").evaluate(older, was)
    page.get_by_label("Priority").select_option(mine)
    with page.expect_response(lambda r: r.url.endswith("/fields")) as answer:
        page.get_by_role("button", name="Save details").click()
    assert answer.value.status == 409
    expect(page.locator("#fields-error")).to_be_visible()


def _new_token(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/desk/eur/account")
    page.get_by_label("What is it for?").fill("Laptop")
    page.get_by_role("button", name="Make a token").click()
    expect(page.locator(".notice code")).to_be_visible()


def _chat_with_an_error(page: Page, desk: Desk) -> None:
    page.goto(f"{desk.url}/desk/eur/chats/{desk.chat_id}")
    page.get_by_label("Your message").fill(" ")
    with page.expect_response(lambda r: r.url.endswith("/messages")) as answer:
        page.get_by_role("button", name="Send", exact=True).click()
    assert answer.value.status == 400
    expect(page.locator("#text-error")).to_be_visible()


def _resolved_ticket_asks(page: Page, desk: Desk) -> None:
    """A resolved ticket's page asks how we did; sent without a choice, it says what to do."""
    ticket = api_ticket(desk.url, "Where is my refund?")
    with state(desk.service.app).db.write("eur") as session:
        resolve(session, ticket_by_reference(session, ticket.reference))
    page.goto(ticket.url)
    page.get_by_role("button", name="Send my answer").click()
    expect(page.locator("#error-summary")).to_contain_text("Choose yes or no.")


def _long_words(page: Page, desk: Desk) -> None:
    """Customers write words no line holds (a pasted key, an order number): they wrap."""
    word = "INV" + "7" * 96
    ticket = api_ticket(desk.url, f"Refund for {word}", name="Wolfeschlegelsteinhausenberger" * 3)
    page.goto(ticket.url)
    page.get_by_role("button", name="Send reply").click()  # and the reply form's error summary
    expect(page.locator("#error-summary")).to_be_focused()


# name -> (signed in as the admin, how to get there)
SERVICE_PAGES: dict[str, tuple[bool, Callable[[Page, Desk], None]]] = {
    "ticket form": (False, _go("/eur/tickets/new")),
    "ticket form with errors": (False, _ticket_form_with_errors),
    "customer's ticket": (False, _go("/eur/tickets/{desk.ticket.reference}/{desk.ticket.token}")),
    "customer's new ticket": (False, _new_ticket),
    "customer's ticket with long words, reply with errors": (False, _long_words),
    "service 404": (False, _go("/eur/tickets/EUR-99999/no-such-token", 404)),
    "unknown tenant 404": (False, _go("/nowhere/tickets/new", 404)),
    "find your requests": (False, _go("/eur/tickets/recover")),
    "search results": (False, _go("/eur/tickets/search?q=refnd")),
    "search, nothing found": (False, _go("/eur/tickets/search?q=quokka+zebra")),
    "find your requests with errors": (False, _recover_with_errors),
    "find your requests, sent": (False, _recover_sent),
    "desk login": (False, _go("/desk/eur/login")),
    "desk login with errors": (False, _login_with_errors),
    "desk second factor": (False, _second_factor),
    "desk queue": (True, _go("/desk/eur/")),
    "desk queue, bad filter": (True, _go("/desk/eur/?priority=nope", 400)),
    "desk keyboard shortcuts": (True, _shortcuts),
    "desk ticket": (True, _go("/desk/eur/tickets/{desk.ticket.reference}?kbq=refund")),
    "desk ticket with an error": (True, _ticket_with_an_error),
    "desk notifications": (True, _go("/desk/eur/notifications")),
    "desk account": (True, _go("/desk/eur/account")),
    "desk account, new token": (True, _new_token),
    "desk two-factor set-up": (True, _go("/desk/eur/account/two-factor")),
    "desk team": (True, _go("/desk/eur/admin/agents")),
    "desk agent": (True, _go("/desk/eur/admin/agents/{desk.agent_id}")),
    "desk groups": (True, _go("/desk/eur/admin/groups")),
    "desk saved replies": (True, _go("/desk/eur/admin/canned")),
    "desk saved reply": (True, _go("/desk/eur/admin/canned/{desk.canned_id}")),
    "desk settings": (True, _go("/desk/eur/admin/settings")),
    "desk customers' data": (True, _go("/desk/eur/admin/customers")),
    "desk mail": (True, _go("/desk/eur/admin/mail")),
    "desk incoming mail": (True, _go("/desk/eur/admin/mail/incoming")),
    "desk chats": (True, _go("/desk/eur/chats")),
    "desk chat": (True, _go("/desk/eur/chats/{desk.chat_id}?kbq=refund")),
    "desk chat with an error": (True, _chat_with_an_error),
    "customer's resolved ticket, satisfaction form with errors": (False, _resolved_ticket_asks),
    "desk dashboard": (True, _go("/desk/eur/dashboard")),
    "desk dashboard, bad period": (True, _go("/desk/eur/dashboard?from=nope", 400)),
}


@pytest.mark.parametrize("name", SERVICE_PAGES)
def test_service_page(browser: Browser, desk: Desk, name: str) -> None:
    signed_in, go = SERVICE_PAGES[name]
    with tab(browser, state=desk.admin_state if signed_in else None) as page:
        go(page, desk)
        assert_accessible(page)


# Customers reach these from a phone as often as from a desk (agents work at a desk).
CUSTOMER_PAGES = [name for name, (signed_in, _go) in SERVICE_PAGES.items()
                  if not signed_in and not name.startswith("desk")]  # fmt: skip


@pytest.mark.parametrize("name", CUSTOMER_PAGES)
def test_customer_page_on_a_phone(browser: Browser, desk: Desk, name: str) -> None:
    _signed_in, go = SERVICE_PAGES[name]
    with tab(browser, "phone") as page:
        go(page, desk)
        assert_accessible(page)
        assert_reflows(page, name)
