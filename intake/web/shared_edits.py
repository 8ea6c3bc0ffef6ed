"""Saving a form that another admin saved since it was shown, without undoing their change.

A settings or account page carries, hidden, the values it showed. On saving, only the fields
this admin changed are written; a field both changed to different values is a clash, shown
with the value it has now, and saving again writes this admin's. A request without the hidden
values (a script's) is saved as sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wtforms import Field


def seen_values(values: Mapping[str, Any]) -> str:
    """Return the JSON the page carries for the values it shows."""
    return json.dumps({key: _plain(value) for key, value in values.items()}, sort_keys=True)


def _plain(value: Any) -> Any:
    """The value as JSON gives it back: an enum as its value, anything else as text."""
    value = getattr(value, "value", value)
    return value if isinstance(value, bool | int | float | str) or value is None else str(value)


def _read(seen: str | None) -> dict[str, Any] | None:
    try:
        parsed = json.loads(seen or "")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def merge_edits(
    seen: str | None, current: Mapping[str, Any], submitted: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Return the submitted values this admin changed, and the keys of those another admin
    changed too, to something else, since the page was shown."""
    shown = _read(seen)
    if shown is None:
        return dict(submitted), []
    changed: dict[str, Any] = {}
    clashes = []
    for key, value in submitted.items():
        mine, was, now = _plain(value), shown.get(key), _plain(current.get(key))
        if key in shown and mine == was:
            continue  # left as shown: whatever it is now stays
        if key in shown and was != now and mine != now:
            clashes.append(key)
        changed[key] = value
    return changed, clashes


def show_clashes(
    form: Any,
    clashes: list[str],
    current: Mapping[str, Any],
    changed: Mapping[str, Any],
    who: str = "Another admin",
) -> None:
    """Show the page again as it now stands, with this admin's changes: each field they did
    not change holds its value now (another admin's, maybe), each clash says what it is now,
    and the page's seen values are the current ones. Saving again then writes this admin's
    changes and nothing else."""
    for key, value in current.items():
        if key not in changed and key in form:
            form[key].data = value
            form[key].raw_data = []  # a number field shows what was sent before its data
    for key in clashes:
        field: Field = form[key]
        now = _plain(current.get(key))
        shown = "on" if now is True else "off" if now is False else now
        # A choice is named as the list names it, not by its value (an agent's id).
        shown = next((c.label for c in getattr(field, "choices", None) or []
                      if str(getattr(c, "value", "")) == str(now)), shown) or "none"  # fmt: skip
        field.errors = [*field.errors, f"{who} changed this to “{shown}” since this page "
                        "was opened. Save again to replace it with yours."]  # fmt: skip
    form.seen.data = seen_values(current)
