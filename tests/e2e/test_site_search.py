"""Customers search the static site in a real browser, with nothing but static files behind it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from intake.models import SearchMiss, SearchOpen
from intake.state import state
from tests.e2e.helpers import Service


def test_header_search_finds_the_article_first(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/")
    page.get_by_role("combobox", name="Search the help center").first.fill("refunds")
    page.get_by_role("combobox", name="Search the help center").first.press("Enter")
    expect(page).to_have_url(re.compile(r"/eur/search/\?q=refunds$"))
    first = page.locator(".pagefind-ui__result").first
    expect(first.locator(".pagefind-ui__result-link").first).to_have_text("Request a refund")
    expect(first.locator("mark").first).to_be_visible()  # the matching words are highlighted


def test_typing_on_the_search_page_and_filtering_by_category(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/km/search/")
    box = page.locator(".pagefind-ui__search-input")
    box.fill("429 too many requests")
    first = page.locator(".pagefind-ui__result-link").first
    expect(first).to_have_attribute("href", re.compile(r"^/km/articles/troubleshoot-429-errors/"))
    page.locator(".pagefind-ui__filter-name", has_text="category").click()
    page.get_by_label("Billing").check()
    expect(page.locator(".pagefind-ui__result-link").first).not_to_have_attribute(
        "href", re.compile("troubleshoot-429-errors")
    )


def test_screen_readers_hear_how_many_were_found(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/search/?q=refund")
    told = page.get_by_role("status").filter(has_text=re.compile(r"results? for"))
    expect(told).to_have_text(re.compile(r"^\d+ results? for refund$"))
    page.locator(".pagefind-ui__search-input").fill("quokka zebra")
    expect(page.get_by_role("status").filter(has_text="quokka")).to_have_text(
        "No results for quokka zebra"
    )


def test_faqs_are_found_too(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/search/?q=refund+take")
    links = page.locator(".pagefind-ui__result-link")
    expect(links.first).to_be_visible()
    hrefs = [links.nth(i).get_attribute("href") for i in range(min(links.count(), 5))]
    assert any(h and "/eur/faq/" in h for h in hrefs), hrefs


def test_code_samples_are_not_prose_to_search(page: Page, site_url: str) -> None:
    """hexdigest is only inside a code sample of the webhooks article."""
    page.goto(f"{site_url}/eur/search/?q=hexdigest")
    expect(page.locator(".pagefind-ui__message")).to_contain_text("No results")
    expect(page.locator(".pagefind-ui__result")).to_have_count(0)


def test_results_say_what_they_are_and_where_they_belong(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/search/?q=refund")
    results = page.locator(".pagefind-ui__result")
    expect(results.nth(4).locator(".result-kind")).to_be_visible()  # the first five, labelled
    kinds = [results.nth(i).locator(".result-kind").inner_text() for i in range(5)]
    assert kinds[:2] == ["Article · Billing", "FAQ · Billing"], kinds
    expect(page.locator(".pagefind-ui__result-tag")).to_have_count(0)  # said once, not twice
    # The category is a label beside the excerpt, never words inside it.
    for i in range(5):
        for excerpt in results.nth(i).locator(".pagefind-ui__result-excerpt").all_inner_texts():
            assert not excerpt.strip().startswith("Billing"), excerpt


def test_pages_read_without_javascript(browser_no_js_page: Page, site_url: str) -> None:
    page = browser_no_js_page
    page.goto(f"{site_url}/eur/")
    page.get_by_role("link", name="Billing").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
    page.get_by_role("link", name="Request a refund").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a refund")
    expect(page.get_by_role("navigation", name="On this page")).to_be_visible()


def test_a_misspelt_query_finds_the_page_and_says_what_it_searched(
    page: Page, site_url: str
) -> None:
    page.goto(f"{site_url}/eur/search/?q=refnd")
    said = page.locator(".search-spelling")
    expect(said).to_have_text("Showing results for refund. Search instead for refnd")
    first = page.locator(".pagefind-ui__result-link").first
    expect(first).to_have_attribute("href", "/eur/articles/refunds/")
    expect(page.locator(".pagefind-ui__search-input")).to_have_value("refund")
    said.get_by_role("button", name="Search instead for refnd").click()
    expect(page.locator(".pagefind-ui__search-input")).to_have_value("refnd")
    expect(said).to_be_empty()  # as typed, and not corrected again


def test_a_rare_word_that_is_right_is_left_alone(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/search/?q=saml+single+sign+on")
    first = page.locator(".pagefind-ui__result-link").first
    expect(first).to_have_attribute("href", "/eur/articles/single-sign-on-sso/")
    page.wait_for_timeout(500)  # time for a correction to come, were one wrongly made
    expect(page.locator(".search-spelling")).to_be_empty()


def test_another_form_of_a_word_is_not_a_misspelling(page: Page, site_url: str) -> None:
    """ "setting" is on no page, "settings" on many: Pagefind finds them, nothing to correct."""
    page.goto(f"{site_url}/eur/search/?q=setting")
    expect(page.locator(".pagefind-ui__result").first).to_be_visible()
    page.wait_for_timeout(500)  # time for a correction to come, were one wrongly made
    expect(page.locator(".search-spelling")).to_be_empty()
    expect(page.locator(".pagefind-ui__search-input")).to_have_value("setting")


def test_a_correction_never_overwrites_what_the_reader_typed_since(
    page: Page, site_url: str
) -> None:
    held: list[Route] = []  # the spelling's word files, answered only once the reader typed on
    page.route("**/search/words/*.json", lambda route: held.append(route))
    page.goto(f"{site_url}/eur/search/")
    box = page.locator(".pagefind-ui__search-input")
    box.fill("refnd")
    for _ in range(50):  # Pagefind's UI waits 300 ms, then the spelling asks for its files
        if held:
            break
        page.wait_for_timeout(100)
    assert held
    box.press_sequentially(" pol")
    for route in held:
        route.continue_()
    page.unroute("**/search/words/*.json")
    page.wait_for_timeout(200)  # the correction of "refnd" arrives, before "refnd pol" is searched
    expect(box).not_to_have_value("refund")
    expect(box).to_have_value(re.compile("pol$"))


JUDGED = yaml.safe_load((Path(__file__).parents[1] / "kbgen/judged_queries.yaml").read_text())


def test_judged_queries_find_the_right_page_in_the_top_three(page: Page, site_url: str) -> None:
    """The same 50 queries the service's search is judged by (misspellings, plurals,
    sentences), through the static search as the search page runs it: the query as typed, or
    the one spelling corrected."""
    misses = []
    for tenant in ("eur", "km"):
        page.goto(f"{site_url}/{tenant}/search/")
        queries = [(query, slug) for owner, query, slug in JUDGED if owner == tenant]
        found = page.evaluate(
            TOP_THREE, {"base": f"/{tenant}/", "queries": [q for q, _ in queries]}
        )
        misses += [(query, slug, urls) for (query, slug), urls in zip(queries, found, strict=True)
                   if not any(url.rstrip("/").endswith("/" + slug) for url in urls)]  # fmt: skip
    assert len(misses) <= len(JUDGED) // 10, misses  # at least 90% in the top three


TOP_THREE = """async ({base, queries}) => {
  const pagefind = await import(base + "pagefind/pagefind.js");
  await pagefind.options({baseUrl: base});
  const out = [];
  for (const query of queries) {
    const better = await window.kbgenSpelling.suggest(pagefind, base, query);
    const found = await pagefind.search(better || query);
    out.push(await Promise.all(found.results.slice(0, 3).map(async r => (await r.data()).url)));
  }
  return out;
}"""


def test_the_header_box_shows_pages_as_the_reader_types_and_works_by_keyboard(
    page: Page, site_url: str
) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{site_url}/km/faq/")
    box = page.get_by_role("combobox", name="Search the help center")
    expect(box).to_have_attribute("aria-expanded", "false")
    assert not [url for url in fetched if "/pagefind/" in url]  # a page only read loads none
    box.press_sequentially("429 too many", delay=20)
    options = page.get_by_role("listbox", name="Suggested pages").get_by_role("option")
    expect(options.first).to_have_attribute("href", "/km/articles/troubleshoot-429-errors/")
    expect(options.first).to_contain_text("Article · ")
    expect(options.last).to_have_text("All results for “429 too many”")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".header-search [role=status]")).to_contain_text("suggested")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id") or "")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile("."))
    box.press("ArrowDown")  # opens the list again, on its first page
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/km/articles/troubleshoot-429-errors/$"))


def test_the_header_box_corrects_a_typo_and_enter_opens_the_full_results(
    page: Page, site_url: str
) -> None:
    page.goto(f"{site_url}/eur/categories/billing/")
    box = page.get_by_role("combobox", name="Search the help center")
    box.fill("refnd")
    expect(page.locator(".search-box-note")).to_have_text("Showing results for refund")
    expect(page.get_by_role("option").first).to_have_attribute("href", "/eur/articles/refunds/")
    box.press("Enter")  # no page chosen: the full results, where the same correction is said
    expect(page).to_have_url(re.compile(r"/eur/search/\?q=refnd$"))
    expect(page.locator(".search-spelling")).to_contain_text("Showing results for refund")


def test_a_search_that_finds_nothing_offers_somewhere_to_go(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/eur/search/?q=zzxqjv")
    offered = page.locator("#no-results")
    expect(offered).to_be_visible()
    expect(offered.get_by_role("link", name="contact support")).to_have_attribute(
        "href", "/eur/tickets/new"
    )
    expect(offered.locator(".article-list a").first).to_be_visible()  # popular articles
    page.locator(".pagefind-ui__search-input").fill("refund")
    expect(page.locator(".pagefind-ui__result").first).to_be_visible()
    expect(offered).to_be_hidden()


def test_without_javascript_the_search_works_through_the_service(
    browser_no_js_page: Page, intake_url: str
) -> None:
    page = browser_no_js_page
    page.goto(f"{intake_url}/eur/articles/custom-domain/")
    box = page.get_by_role("searchbox", name="Search the help center")
    box.fill("refnd")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/eur/tickets/search\?q=refnd$"))
    first = page.locator(".search-results a").first
    expect(first).to_have_text("Request a refund")
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a refund")


def _eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    """Return True as soon as `check` holds, False after `seconds` (polled every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_the_static_search_tells_the_service_what_readers_could_not_find(
    page: Page, intake: Service
) -> None:
    def counted() -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        with state(intake.app).db.read("eur") as session:
            misses = {m.query: m.count for m in session.scalars(select(SearchMiss))}
            opens = {(o.query, o.page): o.count for o in session.scalars(select(SearchOpen))}
        return misses, opens

    page.goto(f"{intake.url}/eur/search/")
    box = page.locator(".pagefind-ui__search-input")
    box.press_sequentially("zzxqjv", delay=30)  # half-typed words find nothing too
    expect(page.locator("#no-results")).to_be_visible()
    assert _eventually(lambda: counted()[0] == {"zzxqjv": 1})  # the settled query, once
    box.fill("refund")
    first = page.locator(".pagefind-ui__result-link").first
    expect(first).to_have_attribute("href", "/eur/articles/refunds/")
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a refund")
    assert _eventually(lambda: counted()[1] == {("refund", "/eur/articles/refunds/"): 1})
    # The header's box reports the page chosen from its list as well.
    header = page.get_by_role("combobox", name="Search the help center")
    header.fill("invoice")
    option = page.get_by_role("option").first
    expect(option).to_have_attribute("href", re.compile("^/eur/"))
    target = option.get_attribute("href") or ""
    header.press("ArrowDown")
    header.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    assert _eventually(lambda: counted()[1].get(("invoice", target)) == 1)
    assert counted()[0] == {"zzxqjv": 1}  # nothing else was taken for a search that failed
