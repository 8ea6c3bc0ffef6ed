"""Notes a page leaves in the browser's session for the page it sends the browser to next.

Each is the tenant's own: one browser may use two help centers (a customer of two companies,
an agent of two teams), and a note of one ("Reply sent", "we have sent the links to …")
never shows on the other's page.
"""

from __future__ import annotations

from typing import cast

import flask
from flask import session as browser_session

from intake.web.tenancy import tenant


def flash(message: str, category: str = "message") -> None:
    """Flask's flash, for this tenant's next page only."""
    flask.flash(message, f"{tenant().id}:{category}")


def flashed() -> list[tuple[str, str]]:
    """Return (category, message) of the flashes left for this tenant's pages, taking them;
    another tenant's wait for its next page (a tab of the other team's desk, say)."""
    prefix = f"{tenant().id}:"
    left = cast("list[tuple[str, str]]", flask.get_flashed_messages(with_categories=True))
    mine = [(c.removeprefix(prefix), m) for c, m in left if c.startswith(prefix)]
    if others := [(c, m) for c, m in left if not c.startswith(prefix)]:
        browser_session["_flashes"] = others  # where Flask keeps them (flask.helpers.flash)
    return mine


def leave_note(key: str, value: str) -> None:
    """Keep `value` under `key` for this tenant's next page."""
    browser_session[f"{key}:{tenant().id}"] = value


def take_note(key: str) -> str | None:
    """Return (and forget) this tenant's note under `key`, if there is one."""
    note = browser_session.pop(f"{key}:{tenant().id}", None)
    return note if isinstance(note, str) else None
