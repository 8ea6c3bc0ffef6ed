"""A customer opens a ticket in a real browser: suggestions while typing, submit, reply."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import api_reply, is_event_stream


def test_fill_see_suggestions_submit_and_reply(page: Page, intake_url: str) -> None:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{intake_url}/eur/tickets/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact support")
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Subject").press_sequentially("refund for my plan", delay=20)
    suggestions = page.locator("#suggestions li a")
    expect(suggestions.first).to_have_text("Request a refund")
    assert suggestions.count() <= 5
    with page.context.expect_page() as article:
        suggestions.first.click()  # opens in a new tab; the form stays as it was
    expect(article.value).to_have_url(re.compile(r"/eur/articles/refunds/$"))
    article.value.close()
    page.get_by_label("Describe the problem").fill("I was charged twice for November.")
    page.get_by_label("Category").select_option("billing")
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/eur/tickets/EUR-10001/[A-Za-z0-9_-]{40,}$"))
    expect(page.locator(".notice[role=status]")).to_contain_text("Your reference is EUR-10001")
    expect(page.get_by_role("heading", level=1)).to_have_text("refund for my plan")
    page.get_by_label("Your reply").fill("Here is the second charge's date: 3 November.")
    # The reply reloads the page: its new event stream must listen before the next reply is
    # sent (an event published before it subscribes never reaches the page).
    with page.expect_response(is_event_stream):
        page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".thread .message").last).to_contain_text("second charge's date")
    expect(page.locator(".thread .message").last).to_be_focused()  # read out, not the top
    # A reply from elsewhere (the API here, an agent later) is announced on the open page.
    reference, token = page.url.split("/tickets/")[1].split("#")[0].split("/")[:2]
    api_reply(intake_url, reference, token, "Sent from my phone.")
    page.get_by_label("Your reply").fill("Half of what I meant to")  # typing as it comes
    update = page.locator("#ticket-updated")
    expect(update).to_contain_text("This request has been updated.")
    update.get_by_role("button", name="Show the update").click()
    expect(page.locator(".thread .message").last).to_contain_text("Sent from my phone.")
    expect(page.get_by_label("Your reply")).to_have_value("Half of what I meant to")
    page.reload()  # kept for that one reload, not for ever
    expect(page.get_by_label("Your reply")).to_have_value("")
    page.get_by_role("button", name="Mark as resolved").click()
    expect(page.locator(".status")).to_have_text("Resolved")
    assert not problems, problems  # no script errors, nothing blocked by the CSP


def test_the_form_works_without_javascript(browser_no_js_page: Page, intake_url: str) -> None:
    page = browser_no_js_page
    page.goto(f"{intake_url}/km/tickets/new")
    page.get_by_label("Your name").fill("Lin")
    page.get_by_label("Email").fill("not an email")
    page.get_by_label("Subject").fill("Tiles do not load")
    page.get_by_label("Describe the problem").fill("Map tiles stay grey in the mobile SDK.")
    page.get_by_label("Category").select_option("technical")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#email-error")).to_have_text(
        "Enter an email address like name@example.com."
    )
    expect(page.get_by_label("Subject")).to_have_value("Tiles do not load")  # nothing typed is lost
    page.get_by_label("Email").fill("lin@example.com")
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/km/tickets/KM-10001/"))
