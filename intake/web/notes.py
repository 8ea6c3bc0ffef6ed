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
    """Return (category, message) of the flashes left for this tenant's pages; any other
    tenant's go too (their page was left for this one)."""
    prefix = f"{tenant().id}:"
    left = cast("list[tuple[str, str]]", flask.get_flashed_messages(with_categories=True))
    return [(category.removeprefix(prefix), message) for category, message in left
            if category.startswith(prefix)]  # fmt: skip


def leave_note(key: str, value: str) -> None:
    """Keep `value` under `key` for this tenant's next page."""
    browser_session[f"{key}:{tenant().id}"] = value


def take_note(key: str) -> str | None:
    """Return (and forget) this tenant's note under `key`, if there is one."""
    note = browser_session.pop(f"{key}:{tenant().id}", None)
    return note if isinstance(note, str) else None
