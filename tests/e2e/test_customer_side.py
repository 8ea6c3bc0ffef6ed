"""The customer's side in a real browser: a lost link found again through the local mailbox,
a form sent back naming its problems and the files to attach again, a rate-limited form that
keeps its text, the ticket page's times in the reader's zone, image previews."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import update

from intake.mail.mailbox import mailbox_folder, write_to_mailbox
from intake.mail.outbox import send_pending
from intake.models import SupportTicket
from intake.settings import TenantSettings
from intake.state import state
from tests.e2e.helpers import Service, console_errors, fill_ticket, png, serve_intake
from tests.intake.fixtures import DatabaseFactory


def mailed_to(service: Service, address: str) -> list[str]:
    """Deliver the outbox into the local mailbox; return the bodies of the mails to `address`."""
    config = state(service.app).config
    send_pending(config, state(service.app).db, write_to_mailbox)
    bodies = []
    for path in sorted(mailbox_folder(config).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            part = message.get_body(("plain",))
            assert part is not None
            bodies.append(part.get_content())
    return bodies


def test_a_lost_link_is_found_again_through_the_mailbox(page: Page, intake: Service) -> None:
    errors = console_errors(page)
    page.goto(f"{intake.url}/eur/tickets/new")
    fill_ticket(page, "lost.link@example.com")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("Thank you, we received")
    reference = page.locator(".reference").inner_text()
    page.reload()  # the thanks were for the moment of sending
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices are missing")
    expect(page.locator(".notice[role=status]")).to_have_count(0)

    # Days later the link is lost: a wrong one leads to the way back.
    assert not errors, errors
    page.goto(f"{intake.url}/eur/tickets/{reference}/not-the-token")
    errors.clear()  # the browser logs the 404 it was sent to
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn't find that page")
    page.get_by_role("link", name="Get your links by email").click()
    page.get_by_label("Email").fill("lost.link@example.com")
    page.get_by_role("button", name="Email me my links").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("Check your mail")

    answer = mailed_to(intake, "lost.link@example.com")[-1]
    link = re.search(rf"http://\S+/eur/tickets/{reference}/\S+", answer)
    assert link is not None, answer
    path = link.group(0).split("/eur/", 1)[1]
    page.goto(f"{intake.url}/eur/{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices are missing")
    expect(page.locator(".reference")).to_have_text(reference)
    assert not errors, errors


def test_a_form_sent_back_focuses_its_problems_and_names_the_files(
    page: Page, intake: Service, tmp_path: Path
) -> None:
    shot = tmp_path / "screen shot.png"
    shot.write_bytes(png(4, 4, (200, 30, 30)))
    page.goto(f"{intake.url}/eur/tickets/new")
    fill_ticket(page, "files@example.com", subject="")
    page.get_by_label("Attachments (optional)").set_input_files(str(shot))
    page.get_by_role("button", name="Send request").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Attach again: screen shot.png.")
    summary.get_by_role("link", name="Subject: Enter a subject.").click()
    expect(page.get_by_label("Subject")).to_be_focused()
    expect(page.get_by_label("Describe the problem")).to_have_value(
        "The November invoice is not in the list."
    )
    # Corrected and attached again, it goes through, the image shown in the page.
    page.get_by_label("Subject").fill("Invoices are missing")
    page.get_by_label("Attachments (optional)").set_input_files(str(shot))
    page.get_by_role("button", name="Send request").click()
    preview = page.locator(".files img.preview")  # beside its link, named by the link
    expect(preview).to_be_visible()
    # Visible is not loaded: decode() waits for the image (and fails if it is broken).
    assert preview.evaluate("img => img.decode().then(() => img.naturalWidth)") == 4


@pytest.fixture
def limited(
    browser: Browser, intake_db: DatabaseFactory, kb_root: Path, tmp_path: Path
) -> Iterator[Service]:
    """The service with one ticket a minute per address."""
    with serve_intake(intake_db.new("limited"), kb_root, tmp_path / "uploads",
                      TICKET_RATE_LIMIT="1 per minute") as service:  # fmt: skip
        yield service
        for context in browser.contexts:
            context.close()


def test_a_rate_limited_form_keeps_what_was_typed(
    page: Page, limited: Service, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    log.write_text("error: export timed out\n")
    page.goto(f"{limited.url}/eur/tickets/new")
    fill_ticket(page, "busy@example.com", subject="First request")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("Thank you")
    page.goto(f"{limited.url}/eur/tickets/new")
    fill_ticket(page, "busy@example.com", subject="Second request")
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_label("Attachments (optional)").set_input_files(str(log))
    page.get_by_role("button", name="Send request").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(re.compile(r"send this again in \d+ seconds"))
    expect(summary).to_contain_text("Attach again: app.log.")
    expect(page.get_by_label("Subject")).to_have_value("Second request")
    expect(page.get_by_label("Describe the problem")).to_have_value(
        "The November invoice is not in the list."
    )
    expect(page.get_by_label("Priority")).to_have_value("urgent")


def test_the_ticket_page_says_times_in_the_readers_zone(browser: Browser, intake: Service) -> None:
    with state(intake.app).db.write("eur") as session:  # medium tickets: answered within 48 h
        TenantSettings(session, state(intake.app).secrets).set("first_response_hours_medium", 48)
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    page = context.new_page()
    page.goto(f"{intake.url}/eur/tickets/new")
    fill_ticket(page, "tokyo@example.com")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".meta time").first).to_have_text("now")
    # When to expect an answer: the exact time where the reader is.
    expectation = page.locator(".expectation")
    expect(expectation).to_contain_text("within 48 hours: expect our answer by")
    expect(expectation.locator("time")).to_have_text(
        re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d\s[AP]M GMT\+9$")
    )
    reference = page.locator(".reference").inner_text()
    opened = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC).replace(tzinfo=None)
    with state(intake.app).db.write("eur") as session:
        session.execute(update(SupportTicket).where(SupportTicket.reference == reference)
                        .values(created_at=opened))  # fmt: skip
    page.reload()
    stamp = page.locator(".meta time").first
    expect(stamp).to_have_attribute("datetime", "2026-03-01T01:30:00Z")
    expect(stamp).to_have_text(re.compile(r"^\d+ months? ago$"))
    # 01:30 UTC is 10:30 in Tokyo, the exact time on hover.
    expect(stamp).to_have_attribute("title", re.compile(r"Mar 1, 2026, 10:30\sAM GMT\+9"))
    context.close()


def test_unknown_tenants_get_the_help_centers_404(page: Page, intake: Service) -> None:
    answer = page.goto(f"{intake.url}/nowhere/tickets/new")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn't find that page")
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.get_by_role("link", name="help center home")).to_have_attribute("href", "/eur/")


def test_a_form_clicked_twice_is_sent_once(page: Page, intake: Service) -> None:
    page.goto(f"{intake.url}/eur/tickets/new")
    fill_ticket(page, "twice@example.com", subject="Sent with a double click")
    held: list[Route] = []  # the first request waits at the network, as on a slow line
    page.route("**/eur/tickets/new", lambda route: held.append(route)
               if route.request.method == "POST" else route.continue_())  # fmt: skip
    # Both clicks from the page itself, the second a moment after the first (as a double
    # click's): Playwright's own clicks wait for the navigation the first one starts.
    page.evaluate("""() => new Promise((done) => {
        const send = document.querySelector("form.ticket-form button.primary");
        send.click();
        setTimeout(() => { send.click(); done(); }, 300);
    })""")
    page.wait_for_timeout(500)
    sent = len(held)
    for extra in held[1:]:
        extra.abort()
    if sent == 1:
        with page.expect_navigation():
            held[0].continue_()
        expect(page.locator(".notice[role=status]")).to_contain_text("Thank you")
    assert sent == 1, f"{sent} requests sent"  # a second would open a second ticket
