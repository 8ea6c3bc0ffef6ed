"""Markdown that renders, but not as its writer meant: warnings naming the line to fix.

Each of these shows on the page as written (or not at all) without any error from the parser,
so a typo would otherwise reach customers unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from markdown_it.token import Token

from kbgen.errors import Problem, Severity
from kbgen.load import Document

ALERTS = ("NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION")  # GitHub's callout kinds
_MARKER = re.compile(r"\[!([^\]\s]*)\][ \t]*(.*)")
_REFERENCE = re.compile(r"\[\^([^\]\s]+)\]")


def _warning(source: Document, line: int, msg: str) -> Problem:
    return Problem(source.display, line, "markdown", msg, Severity.WARNING)


def empty_body(source: Document) -> list[Problem]:
    """Warn of a page with nothing below its front matter: it is published blank."""
    if source.body.strip():
        return []
    what = "answer" if source.kind == "faq" else "article"
    msg = f"the {what} has no text below its front matter, so its page is published empty"
    return [_warning(source, source.body_line, msg)]


def callout_markers(source: Document, tokens: Sequence[Token]) -> list[Problem]:
    """Warn of a quote that starts like a GitHub callout but is not one: `> [!WARNNING]`, or
    `> [!TIP] text` (the marker must stand alone on its line). Both show the marker as text."""
    problems = []
    for index, token in enumerate(tokens[:-2]):
        if token.type != "blockquote_open" or tokens[index + 1].type != "paragraph_open":
            continue
        inline = tokens[index + 2]
        found = _MARKER.fullmatch(inline.content.split("\n", 1)[0].strip())
        if not found:
            continue
        kind, rest = found.groups()
        if kind.upper() not in ALERTS:
            msg = (f"[!{kind}] is not a callout kind, so the quote shows it as text; use one of "
                   f"{', '.join(ALERTS)}")  # fmt: skip
        elif rest:
            msg = (f"[!{kind}] must stand alone on its line to make a callout, so the quote shows"
                   " it as text; move what follows it to the next line")  # fmt: skip
        else:
            continue
        line = source.body_line + (inline.map[0] if inline.map else 0)
        problems.append(_warning(source, line, msg))
    return problems


def undefined_footnotes(
    source: Document, text: str, line: int, env: Mapping[str, Any]
) -> list[Problem]:
    """Warn of `[^label]` left in a paragraph's text: a footnote never defined shows as written."""
    defined = env.get("footnotes", {}).get("refs", {})
    missing = [
        label
        for label in _REFERENCE.findall(text)
        if f":{label}" not in defined and f"\\[^{label}]" not in source.body
    ]  # written \[^x]: text on purpose
    return [
        _warning(
            source,
            line,
            f"footnote [^{label}] is never defined, so it shows as written; "
            f'add a line "[^{label}]: its text"',
        )
        for label in missing
    ]


def unused_footnotes(source: Document, env: Mapping[str, Any]) -> list[Problem]:
    """Warn of a footnote defined but never referenced: its text is left off the page."""
    refs: Mapping[str, int] = env.get("footnotes", {}).get("refs", {})
    unused = [key[1:] for key, number in refs.items() if number < 0]
    if not unused:
        return []
    lines = source.body.split("\n")
    problems = []
    for label in unused:
        start = f"[^{label}]:"
        at = next((i for i, text in enumerate(lines) if text.lstrip(" >").startswith(start)), 0)
        msg = (f"footnote [^{label}] is never referenced, so its text is left off the page; "
               f"cite it with [^{label}] or delete it")  # fmt: skip
        problems.append(_warning(source, source.body_line + at, msg))
    return problems


def missing_alt(source: Document, image: Token, line: int) -> list[Problem]:
    """Warn of an image without alt text: a screen reader says nothing of it (or its file
    name), and the page's point may be in it."""
    if image.content.strip():
        return []
    msg = ("the image has no alt text, so screen readers skip it; describe it between the "
           "brackets: ![What it shows](file.png)")  # fmt: skip
    return [Problem(source.display, line, "image", msg, Severity.WARNING)]
