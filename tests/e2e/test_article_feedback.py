"""Readers say whether an article helped: the answer reaches the service and its dashboard."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from intake.models import ArticleFeedback, KnowledgeBaseArticle
from intake.state import state
from tests.e2e.helpers import Service

QUESTION = "Was this article helpful?"


def test_a_reader_says_an_article_did_not_help(page: Page, intake: Service) -> None:
    page.goto(f"{intake.url}/eur/articles/refunds/")
    question = page.get_by_role("region", name=QUESTION)
    no = question.get_by_role("button", name="No")
    no.focus()
    no.press("Enter")
    expect(question.get_by_role("status")).to_have_text(
        "Thanks for letting us know. If you still need help, contact support below."
    )
    # Answered once: said so, and the keyboard's focus stays on the answer given.
    expect(question.get_by_role("button", name="Yes")).to_have_attribute("aria-disabled", "true")
    expect(no).to_have_attribute("aria-pressed", "true")
    expect(no).to_be_focused()
    question.get_by_role("button", name="Yes").click(force=True)  # a second answer is not sent
    page.reload()  # nor after a reload: the answer given is shown
    question = page.get_by_role("region", name=QUESTION)
    expect(question.get_by_role("button", name="No")).to_have_attribute("aria-pressed", "true")
    expect(question.get_by_role("status")).to_contain_text("You told us whether this article")
    question.get_by_role("button", name="Yes").click(force=True)
    page.wait_for_timeout(300)  # what a vote would take to arrive
    with state(intake.app).db.read("eur") as session:
        said = session.execute(
            select(KnowledgeBaseArticle.slug, ArticleFeedback.helpful).join(
                KnowledgeBaseArticle, KnowledgeBaseArticle.id == ArticleFeedback.article_id)
        ).all()  # fmt: skip
    assert [tuple(row) for row in said] == [("refunds", False)]


def test_without_the_service_the_answer_is_not_lost_silently(page: Page, site_url: str) -> None:
    """kbgen's preview serves the site alone: the service's API is not there."""
    page.goto(f"{site_url}/eur/articles/refunds/")
    question = page.get_by_role("region", name=QUESTION)
    question.get_by_role("button", name="Yes").click()
    expect(question.get_by_role("status")).to_have_text(
        "Your answer could not be sent. Please try again later."
    )
    yes = question.get_by_role("button", name="Yes")
    expect(yes).not_to_have_attribute("aria-disabled", "true")  # may try again
    expect(yes).not_to_have_attribute("aria-pressed", "true")


def test_without_javascript_there_is_no_question(browser_no_js_page: Page, site_url: str) -> None:
    page = browser_no_js_page
    page.goto(f"{site_url}/eur/articles/refunds/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a refund")
    expect(page.get_by_role("region", name=QUESTION)).to_have_count(0)
    expect(page.locator("#main").get_by_role("link", name="Contact support")).to_be_visible()
