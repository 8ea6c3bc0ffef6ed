"""Once a ticket is resolved its customer is asked "did we solve it?", once per resolution,
from the resolution mail and on the ticket page; the desk shows the answer."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.models import SatisfactionRating
from intake.state import state
from tests.intake.conftest import api_ticket
from tests.intake.desk import signed_in
from tests.intake.test_desk_work import (
    DESK,
    agent_id,
    customer_page,
    form_data,
    on_ticket,
    outbox,
    submit,
    text,
)


def _answer(client: FlaskClient, page_url: str, **fields: str) -> tuple[int, str]:
    """Send the satisfaction form of the ticket page with `fields`; return status and page."""
    page = client.get(page_url).get_data(as_text=True)
    action = f"{page_url}/satisfaction"
    sent = client.post(action, data={**form_data(page, action), **fields})
    shown = client.get(page_url) if sent.status_code == 303 else sent
    return sent.status_code, text(shown)


def _ratings(app: Flask) -> list[tuple[bool, str, int | None]]:
    with state(app).db.read("eur") as session:
        rows = session.scalars(select(SatisfactionRating).order_by(SatisfactionRating.id))
        return [(r.satisfied, r.comment, r.agent_id) for r in rows]


def test_the_resolution_mail_and_page_ask_once_and_the_desk_shows_the_answer(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    ref, url = created["ticket"]["reference"], created["url"].removeprefix("http://desk.test")
    sam = signed_in(app, "sam@example.com")
    assert on_ticket(sam, ref, "fields", assignee=str(agent_id(app, "sam@example.com"))
                     ).status_code == 303  # fmt: skip
    assert "How did we do?" not in customer_page(client, created)  # not resolved yet
    before = len(outbox(app))
    assert on_ticket(sam, ref, "reply", body="Fixed.", status_after="resolved").status_code == 303
    (mail,) = outbox(app)[before:]
    link = re.search(r"http://desk\.test(/eur/tickets/\S+)#satisfaction\n", mail.body)
    assert link and "Did we solve your problem?" in mail.body
    page = text(client.get(link.group(1)))
    assert "How did we do?" in page and "Did we solve your problem?" in page

    status, page = _answer(client, url)  # no choice made
    assert status == 400 and "Choose yes or no." in page and _ratings(app) == []
    status, page = _answer(client, url, satisfied="maybe")
    assert status == 400 and _ratings(app) == []
    status, page = _answer(client, url, satisfied="yes", comment="  Quick and kind.  ")
    assert status == 303 and "Thank you for telling us we solved it" in page
    assert "Send my answer" not in page
    sam_id = agent_id(app, "sam@example.com")
    assert _ratings(app) == [(True, "Quick and kind.", sam_id)]  # counts for who had it

    # The page's form sent again (a second tab) is refused, naming why; nothing is added.
    page = customer_page(client, created)
    again = client.post(f"{url}/satisfaction", data={
        "csrf_token": re.findall(r'name="csrf_token" type="hidden" value="([^"]*)"', page)[0],
        "satisfied": "no"})  # fmt: skip
    assert again.status_code == 409 and "already told us" in text(again)
    assert len(_ratings(app)) == 1
    desk_page = text(sam.get(f"{DESK}/tickets/{ref}"))
    assert "The customer's verdict" in desk_page and "\u201cQuick and kind.\u201d" in desk_page

    # Reopened by the customer's reply and resolved again: asked again, a second answer.
    replied = submit(client, url, f"{url}/replies", body="It broke again, sorry.")
    assert replied.status_code == 303
    assert "How did we do?" not in customer_page(client, created)
    assert on_ticket(sam, ref, "fields", status="resolved").status_code == 303
    status, page = _answer(client, url, satisfied="no")
    assert status == 303 and "we did not solve it" in page
    assert [r[0] for r in _ratings(app)] == [True, False]


def test_an_unresolved_ticket_or_a_wrong_link_takes_no_answer(
    app: Flask, client: FlaskClient
) -> None:
    created = api_ticket(client)
    url = created["url"].removeprefix("http://desk.test")
    page = customer_page(client, created)
    token = re.findall(r'name="csrf_token" type="hidden" value="([^"]*)"', page)[0]
    early = client.post(f"{url}/satisfaction", data={"csrf_token": token, "satisfied": "yes"})
    assert early.status_code == 409 and "nothing to rate yet" in text(early)
    wrong = client.post(f"{url[:-3]}xyz/satisfaction",
                        data={"csrf_token": token, "satisfied": "yes"})  # fmt: skip
    assert wrong.status_code == 404
    assert _ratings(app) == []
