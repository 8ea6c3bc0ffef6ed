"""The help center on a phone: a compact header whose categories fold behind a Menu button,
tap targets of at least 44 px, and an article's contents folded at its top."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
ARTICLE = "/eur/articles/custom-domain/"  # five headings


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def test_the_header_folds_behind_a_menu_with_targets_a_thumb_can_hit(
    phone: Page, site_url: str
) -> None:
    phone.goto(f"{site_url}/eur/")
    menu = phone.get_by_role("button", name="Menu")
    categories = phone.get_by_role("navigation", name="Categories")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(categories).to_be_hidden()
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(categories.get_by_role("link", name="Billing")).to_be_visible()
    expect(categories.get_by_role("link", name="Contact support")).to_be_visible()
    header = phone.locator(".site-header")
    targets = header.locator("a, button, input").all()
    sizes = {t.evaluate("e => e.textContent.trim() || e.name"): t.bounding_box() for t in targets}
    small = {name: box["height"] for name, box in sizes.items() if box and box["height"] < 44}
    assert not small, small  # skip link aside: it is off screen until focused
    phone.keyboard.press("Escape")
    expect(categories).to_be_hidden()
    expect(menu).to_be_focused()


def test_an_articles_contents_are_folded_at_its_top(phone: Page, site_url: str) -> None:
    phone.goto(site_url + ARTICLE)
    contents = phone.locator(".toc-phone")
    first_section = phone.locator(".prose h2").first
    expect(contents).to_be_visible()
    expect(contents.get_by_role("link").first).to_be_hidden()  # folded
    above = contents.bounding_box()
    below = first_section.bounding_box()
    assert above and below and above["y"] < below["y"]
    expect(phone.locator(".article-aside .toc")).to_be_hidden()  # no second copy
    contents.locator("summary").tap()
    link = contents.get_by_role("link").nth(1)
    link.tap()
    expect(phone).to_have_url(site_url + ARTICLE + "#create-the-dns-records")


def test_a_wide_screen_keeps_the_header_and_the_contents_beside_the_article(
    page: Page, site_url: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(site_url + ARTICLE)
    expect(page.get_by_role("navigation", name="Categories")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.locator(".article-aside .toc")).to_be_visible()
    expect(page.locator(".toc-phone")).to_be_hidden()
