"""An agent answers in the desk; the customer presses Reply in their mail client; the agent's
open queue shows the ticket back with the team, and its page shows the reply, without a
reload."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from intake.mail.inbound import receive
from intake.models import AgentRole
from intake.state import state
from tests.e2e.helpers import Service, api_ticket, console_errors, make_agent, open_live, sign_in
from tests.intake.mailing import mail, reply_address

LIVE = 10_000  # ms


def test_a_reply_by_mail_reaches_the_open_queue(browser: Browser, intake: Service) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    created = api_ticket(intake.url, "Cannot export my invoices")
    context = browser.new_context()
    desk = context.new_page()
    desk.set_default_timeout(15_000)
    errors = console_errors(desk)
    sign_in(desk, intake.url, "alex@example.com")
    desk.goto(f"{intake.url}/desk/eur/tickets/{created.reference}")
    desk.get_by_label("Message").fill("Please try the export again now.")
    desk.get_by_role("button", name="Send", exact=True).click()
    expect(desk.locator(".thread .message").last).to_contain_text("Please try the export again")

    open_live(desk, f"{intake.url}/desk/eur/")
    row = desk.locator("#queue-rows tr", has_text=created.reference)
    expect(row.locator(".status")).to_have_text("pending")
    desk.evaluate("window.sameDocument = true")  # gone if the page were loaded again

    address, _root = reply_address(intake.app, created.reference)
    said = mail(
        "Ada Lovelace <ada@example.com>",
        address,
        f"Re: [{created.reference}] Re: Cannot export my invoices",
        "It works now, thank you!\n\nOn Mon, Dec 7, 2026 Support wrote:\n> Please try",
    )
    assert receive(state(intake.app).mailroom, "eur", said).outcome == "reply"
    expect(row.locator(".status")).to_have_text("open", timeout=LIVE)
    assert desk.evaluate("window.sameDocument") is True
    row.get_by_role("link", name=created.reference).click()
    last = desk.locator(".thread .message").last
    expect(last).to_contain_text("It works now, thank you!")
    expect(last).not_to_contain_text("Please try")  # the quote was cut
    assert not errors, errors
    context.close()
