"""Code samples on the static site: labelled with their language, copied with one press."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

ARTICLE = "/eur/articles/custom-domain/"  # a bash and a YAML sample
FIRST_SAMPLE = "dig +short CNAME www.example.com\ndig +short TXT _nimbus.example.com\n"


@pytest.fixture
def clipboard_page(browser: Browser) -> Iterator[Page]:
    """A tab that may read what it copied (as a reader's paste would)."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def test_a_code_sample_is_labelled_and_copied(clipboard_page: Page, site_url: str) -> None:
    page = clipboard_page
    page.goto(site_url + ARTICLE)
    labels = page.eval_on_selector_all(
        "pre.highlight", "pres => pres.map(p => getComputedStyle(p, '::before').content)"
    )
    assert labels == ['"Bash"', '"YAML"']
    button = page.get_by_role("button", name="Copy the Bash code")
    button.click()
    expect(button).to_have_text("Copied")
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_count(1)
    assert page.evaluate("navigator.clipboard.readText()") == FIRST_SAMPLE


def test_pages_without_code_load_none_of_its_assets(page: Page, site_url: str) -> None:
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto(site_url + "/eur/articles/refunds/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a refund")
    assert not [url for url in loaded if "pygments.css" in url or "code.js" in url], loaded
