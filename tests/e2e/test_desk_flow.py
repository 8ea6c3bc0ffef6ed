"""Agents at the desk in a real browser, with customers beside them on the same service.

An agent finds and answers a ticket a customer has just sent through the form (the customer
sees the reply, never the internal note); the queue shows a new ticket without a reload; two
agents on one ticket see each other, and the later save from a stale page is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from intake.models import AgentRole
from tests.e2e.helpers import (
    Service,
    api_reply,
    api_ticket,
    console_errors,
    is_event_stream,
    make_agent,
    open_live,
    sign_in,
)

LIVE = 10_000  # ms: events reach open pages within a second; presence on page load


@pytest.fixture
def contexts() -> Iterator[list[BrowserContext]]:
    """Hand out browser contexts (one person each), closed after the test."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def person(browser: Browser, contexts: list[BrowserContext]) -> tuple[Page, list[str]]:
    """Open a tab in a browser context of its own; return it and its console errors."""
    context = browser.new_context()
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page, console_errors(page)


def test_agent_finds_answers_and_notes_a_new_ticket(
    browser: Browser, contexts: list[BrowserContext], intake: Service
) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    api_ticket(intake.url, "Password reset mail never arrives", category="technical")
    customer, customer_errors = person(browser, contexts)
    customer.goto(f"{intake.url}/eur/tickets/new")
    customer.get_by_label("Your name").fill("Grace Hopper")
    customer.get_by_label("Email").fill("grace@example.com")
    customer.get_by_label("Subject").fill("Invoice PDF is blank")
    customer.get_by_label("Describe the problem").fill("November's invoice is a white page.")
    customer.get_by_label("Category").select_option("billing")
    with customer.expect_response(is_event_stream):  # the ticket page listens for news
        customer.get_by_role("button", name="Send request").click()
    expect(customer).to_have_url(re.compile(r"/eur/tickets/EUR-\d+/[A-Za-z0-9_-]{40,}$"))
    reference = customer.url.split("/tickets/")[1].split("/")[0]

    agent, agent_errors = person(browser, contexts)
    sign_in(agent, intake.url, "alex@example.com")
    agent.get_by_label("Text").fill("invoice PDF")
    agent.get_by_role("button", name="Filter").click()
    expect(agent).to_have_url(re.compile(r"[?&]q=invoice\+PDF(&|$)"))
    rows = agent.locator("#queue-rows tr[data-ticket]")
    expect(rows).to_have_count(1)  # the password ticket is filtered out
    rows.get_by_role("link", name=reference).click()
    expect(agent.get_by_role("heading", level=1)).to_have_text("Invoice PDF is blank")

    agent.get_by_label("Message").fill("We fixed the export: please download the invoice again.")
    agent.get_by_role("button", name="Send", exact=True).click()
    thread = agent.locator(".thread .message")
    expect(thread.last).to_contain_text("please download the invoice again")
    # The customer's open page says there is news; showing it brings the reply.
    update = customer.locator("#ticket-updated")
    expect(update).to_contain_text("This request has been updated.", timeout=LIVE)
    update.get_by_role("button", name="Show the update").click()
    expect(customer.locator(".thread .message").last).to_contain_text(
        "please download the invoice again"
    )

    agent.get_by_label("Message").fill("Second time this month for this customer.")
    agent.get_by_label("Internal note").check()
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(thread.last).to_contain_text("Internal note")
    expect(thread.last).to_contain_text("Second time this month")

    customer.reload()
    expect(customer.locator(".thread .message")).to_have_count(2)  # the request and the reply
    expect(customer.locator(".thread")).to_contain_text("please download the invoice again")
    expect(customer.locator("main")).not_to_contain_text("Second time this month")
    assert not customer_errors and not agent_errors, (customer_errors, agent_errors)


def test_an_internal_note_is_not_announced_on_the_customers_page(
    browser: Browser, contexts: list[BrowserContext], intake: Service
) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    ticket = api_ticket(intake.url, "Invoice PDF is blank")
    customer, _ = person(browser, contexts)
    open_live(customer, ticket.url)
    agent, _ = person(browser, contexts)
    sign_in(agent, intake.url, "alex@example.com")
    agent.goto(f"{intake.url}/desk/eur/tickets/{ticket.reference}")
    agent.get_by_label("Message").fill("Second time this month for this customer.")
    agent.get_by_label("Internal note").check()
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(agent.locator(".thread .message").last).to_contain_text("Internal note")
    customer.wait_for_timeout(2_000)  # events arrive well within this on one process
    assert customer.locator("#ticket-updated").inner_text() == ""


def test_the_queue_shows_a_new_ticket_without_a_reload(
    browser: Browser, contexts: list[BrowserContext], intake: Service
) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    api_ticket(intake.url, "Password reset mail never arrives")
    agent, errors = person(browser, contexts)
    sign_in(agent, intake.url, "alex@example.com")
    open_live(agent, f"{intake.url}/desk/eur/")
    rows = agent.locator("#queue-rows tr[data-ticket]")
    expect(rows).to_have_count(1)
    agent.evaluate("window.sameDocument = true")  # gone if the page were loaded again
    created = api_ticket(intake.url, "Cannot add a team member", category="general")
    expect(rows).to_have_count(2, timeout=LIVE)
    expect(agent.locator("#queue-rows")).to_contain_text("Cannot add a team member")
    expect(rows.get_by_role("link", name=created.reference)).to_be_visible()
    assert agent.evaluate("window.sameDocument") is True
    assert not errors, errors


def test_two_agents_see_each_other_and_neither_save_undoes_the_other(
    browser: Browser, contexts: list[BrowserContext], intake: Service
) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    make_agent(intake.app, "sam@example.com", "Sam Agent")
    ticket = api_ticket(intake.url, "Webhook retries flood our server")
    alex, alex_errors = person(browser, contexts)
    sam, sam_errors = person(browser, contexts)
    sign_in(alex, intake.url, "alex@example.com")
    sign_in(sam, intake.url, "sam@example.com")
    page_url = f"{intake.url}/desk/eur/tickets/{ticket.reference}"
    open_live(alex, page_url, presence=True)
    open_live(sam, page_url, presence=True)
    expect(sam.locator("#viewers")).to_contain_text("Alex Admin is viewing this ticket.")
    expect(alex.locator("#viewers")).to_contain_text(
        "Sam Agent is viewing this ticket.", timeout=LIVE
    )

    alex.get_by_label("Priority").select_option("urgent")
    alex.get_by_role("button", name="Save details").click()
    expect(alex.locator(".ticket-facts")).to_contain_text("priority: urgent")

    # Sam's page is older than Alex's save: his change of another field is saved beside it.
    sam.get_by_label("Category").select_option("technical")
    sam.get_by_role("button", name="Save details").click()
    expect(sam.locator(".ticket-facts")).to_contain_text("priority: urgent")  # Alex's save
    expect(sam.locator(".ticket-facts")).to_contain_text("technical")  # and Sam's
    # Both change the priority: the second to save is told, and saving again writes theirs.
    alex.reload()
    alex.get_by_label("Priority").select_option("high")
    alex.get_by_role("button", name="Save details").click()
    expect(alex.locator(".ticket-facts")).to_contain_text("priority: high")
    sam.get_by_label("Priority").select_option("low")
    with sam.expect_response(lambda r: r.url.endswith("/fields")) as answer:
        sam.get_by_role("button", name="Save details").click()
    assert answer.value.status == 409
    refusal = sam.get_by_role("alert")
    expect(refusal).to_contain_text("Alex Admin changed this to “High” since this page was opened")
    expect(sam.get_by_label("Priority")).to_have_value("low")  # his choice kept
    sam.get_by_role("button", name="Save details").click()
    expect(sam.locator(".ticket-facts")).to_contain_text("priority: low")
    refused = "Failed to load resource: the server responded with a status of 409 (CONFLICT)"
    assert not alex_errors and sam_errors == [refused], (alex_errors, sam_errors)


def test_the_warning_that_the_ticket_changed_stays(
    browser: Browser, contexts: list[BrowserContext], intake: Service
) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    make_agent(intake.app, "sam@example.com", "Sam Agent")
    ticket = api_ticket(intake.url, "Webhook retries flood our server")
    alex, _ = person(browser, contexts)
    sam, _ = person(browser, contexts)
    sign_in(alex, intake.url, "alex@example.com")
    sign_in(sam, intake.url, "sam@example.com")
    page_url = f"{intake.url}/desk/eur/tickets/{ticket.reference}"
    open_live(sam, page_url, presence=True)
    open_live(alex, page_url, presence=True)
    alex.get_by_label("Priority").select_option("urgent")
    alex.get_by_role("button", name="Save details").click()
    expect(alex.locator(".ticket-facts")).to_contain_text("priority: urgent")
    sam.wait_for_timeout(2_000)  # the change, then Alex's reloaded page, reach Sam's page
    warning = "This ticket changed since you opened it: reload before saving."
    assert warning in sam.locator("#viewers").inner_text()


def test_a_reply_being_written_survives_the_other_forms_of_the_page(
    browser: Browser, contexts: list[BrowserContext], intake: Service
) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    ticket = api_ticket(intake.url, "Invoice PDF is blank")
    agent, errors = person(browser, contexts)
    sign_in(agent, intake.url, "alex@example.com")
    agent.goto(f"{intake.url}/desk/eur/tickets/{ticket.reference}")
    message = agent.get_by_label("Message")
    message.fill("Thanks, Ada: the PDF comes from")
    agent.get_by_label("Priority").select_option("low")
    agent.get_by_role("button", name="Save details").click()  # a form of its own
    expect(agent.locator(".ticket-facts")).to_contain_text("priority: low")
    expect(agent.locator("#desk-done")).to_have_text("Details saved.")
    expect(message).to_have_value("Thanks, Ada: the PDF comes from")
    agent.get_by_role("searchbox", name="Find an article").fill("refund")
    agent.get_by_role("searchbox", name="Find an article").press("Enter")  # its own page
    expect(agent).to_have_url(re.compile(r"kbq=refund"))
    expect(message).to_have_value("Thanks, Ada: the PDF comes from")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(agent.locator(".thread .message").last).to_contain_text("the PDF comes from")
    done = agent.locator("#desk-done")  # said, where the keyboard now is
    expect(done).to_have_text("Reply sent to the customer.")
    expect(done).to_be_focused()
    agent.reload()
    expect(message).to_have_value("")  # sent: not kept as a draft
    assert not errors, errors


def test_the_live_queue_leaves_the_keyboard_where_it_is(
    browser: Browser, contexts: list[BrowserContext], intake: Service
) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    for subject in ("Password reset mail never arrives", "Webhook retries flood our server"):
        api_ticket(intake.url, subject)
    agent, errors = person(browser, contexts)
    sign_in(agent, intake.url, "alex@example.com")
    open_live(agent, f"{intake.url}/desk/eur/")
    agent.keyboard.press("j")  # the first row's link has the focus
    focused = agent.evaluate("document.activeElement.textContent")
    agent.keyboard.press("x")  # ticked, and said so
    expect(agent.locator("#desk-live")).to_have_text(f"Selected: {focused}")
    agent.keyboard.press("x")
    expect(agent.locator("#desk-live")).to_have_text(f"Not selected: {focused}")
    created = api_ticket(intake.url, "Cannot add a team member")
    news = agent.locator("#queue-news")
    expect(news).to_have_text("Tickets changed: reload the queue to see them.", timeout=LIVE)
    assert agent.evaluate("document.activeElement.textContent") == focused
    expect(agent.locator("#queue-rows")).not_to_contain_text(created.reference)
    agent.locator("#q").focus()  # away from the rows: the next change comes in
    api_ticket(intake.url, "Export to CSV drops accents")
    expect(agent.locator("#queue-rows")).to_contain_text(created.reference, timeout=LIVE)
    assert not errors, errors


def test_an_open_ticket_says_what_changed_it(
    browser: Browser, contexts: list[BrowserContext], intake: Service
) -> None:
    make_agent(intake.app, "sam@example.com", "Sam Agent")
    ticket = api_ticket(intake.url, "Webhook retries flood our server")
    sam, errors = person(browser, contexts)
    sign_in(sam, intake.url, "sam@example.com")
    open_live(sam, f"{intake.url}/desk/eur/tickets/{ticket.reference}")
    sam.get_by_label("Message").fill("Looking into the retries")
    api_reply(intake.url, ticket.reference, ticket.token, "It happened again at noon.")
    expect(sam.locator("#viewers")).to_contain_text(
        "A new message came on this ticket: reload to read it (what you are writing is kept).",
        timeout=LIVE,
    )
    sam.reload()
    expect(sam.locator(".thread .message").last).to_contain_text("It happened again at noon.")
    expect(sam.get_by_label("Message")).to_have_value("Looking into the retries")
    assert not errors, errors
