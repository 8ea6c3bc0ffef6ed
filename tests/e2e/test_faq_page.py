"""The FAQ page: a jump list, and answers folded under their questions that open in place."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

QUESTION = "How long does a refund take?"


def test_a_question_opens_in_place_from_the_jump_list(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/faq/")
    jump = page.get_by_role("navigation", name="Questions on this page")
    answer = page.locator("details#refund-time")
    expect(answer).not_to_have_attribute("open", re.compile(".*"))  # folded until asked
    jump.get_by_role("link", name=QUESTION).click()
    expect(page).to_have_url(re.compile(r"/eur/faq/#refund-time$"))
    expect(answer).to_have_attribute("open", "")
    expect(answer.locator(".prose")).to_be_in_viewport()


def test_a_link_to_a_question_opens_it_and_no_other(page: Page, site_url: str) -> None:
    """From another page or a bookmark."""
    page.goto(f"{site_url}/eur/faq/#refund-time")
    expect(page.locator("details#refund-time")).to_have_attribute("open", "")
    expect(page.locator("details#refund-time .prose")).to_be_in_viewport()
    expect(page.locator("details.faq-item[open]")).to_have_count(1)


def test_without_javascript_every_answer_shows(browser_no_js_page: Page, site_url: str) -> None:
    page = browser_no_js_page
    page.goto(f"{site_url}/eur/faq/#refund-time")
    items = page.locator("details.faq-item")
    expect(items.first).to_be_visible()
    assert items.count() > 5
    expect(page.locator("details.faq-item:not([open])")).to_have_count(0)


def test_a_question_folds_and_unfolds_by_keyboard(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/faq/")
    summary = page.locator("details#refund-time summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details#refund-time")).to_have_attribute("open", "")
    page.keyboard.press("Enter")
    expect(page.locator("details#refund-time")).not_to_have_attribute("open", re.compile(".*"))


def test_a_malformed_address_breaks_nothing(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/faq/#100%")
    page.get_by_role("navigation", name="Questions on this page").get_by_role(
        "link", name=QUESTION).click()  # fmt: skip
    expect(page.locator("details#refund-time")).to_have_attribute("open", "")
