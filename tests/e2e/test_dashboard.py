"""The customer answers "did we solve it?" on their resolved ticket's page, and an admin
reads it on the dashboard with JavaScript off: charts drawn as SVG, each beside its table."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from intake.models import AgentRole
from tests.e2e.helpers import Service, api_ticket, make_agent, sign_in


def test_the_dashboard_reads_without_javascript(browser: Browser, intake: Service) -> None:
    make_agent(intake.app, "alex@example.com", "Alex Admin", AgentRole.admin)
    created = api_ticket(intake.url, "Cannot export my invoices")
    admin = browser.new_context()
    desk = admin.new_page()
    desk.set_default_timeout(15_000)
    sign_in(desk, intake.url, "alex@example.com")
    desk.goto(f"{intake.url}/desk/eur/tickets/{created.reference}")
    desk.get_by_label("Message").fill("Fixed on our side; the export works again.")
    desk.get_by_label("Status after a public reply").select_option("resolved")
    desk.get_by_role("button", name="Send", exact=True).click()
    expect(desk.locator(".thread .message").last).to_contain_text("Fixed on our side")

    customer = browser.new_context().new_page()
    customer.goto(created.url)
    survey = customer.get_by_role("region", name="How did we do?")
    survey.get_by_role("button", name="Send my answer").click()  # no choice: told what to do
    expect(customer.locator("#error-summary")).to_contain_text("Choose yes or no.")
    customer.get_by_label("Yes, it is solved").check()
    customer.get_by_label("Anything you want to tell us? (optional)").fill("Quick, thanks!")
    customer.get_by_role("button", name="Send my answer").click()
    expect(
        customer.get_by_role("status").filter(has_text="Thank you for telling us")
    ).to_be_visible()

    without_js = browser.new_context(java_script_enabled=False, storage_state=admin.storage_state())
    page = without_js.new_page()
    page.goto(f"{intake.url}/desk/eur/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    charts = page.get_by_role("img")
    expect(charts).to_have_count(4)
    expect(page.get_by_role("img", name="Tickets and chats per day")).to_be_visible()
    figure = page.get_by_role("region", name="Customers' answers: did we solve it?", exact=True)
    expect(figure.get_by_role("img")).to_be_visible()
    expect(figure).to_contain_text("100.0% of 1 said we solved it.")
    expect(figure.get_by_role("row", name="solved 1", exact=True)).to_be_visible()
    expect(page.get_by_role("table", name="Per agent")).to_contain_text("Alex Admin")
    csv = page.get_by_role("link", name="Download tickets and chats per day as CSV")
    with page.expect_download() as download:
        csv.click()
    assert download.value.suggested_filename.startswith("eur-daily-")
    for context in (admin, customer.context, without_js):
        context.close()
