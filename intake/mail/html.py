"""The HTML alternative of a mail: its plain text, escaped, in the help center's look.

Paragraphs stay paragraphs, a quoted line stays quoted, addresses become links; nothing but
the text itself is shown, so the two alternatives always say the same.
"""

from __future__ import annotations

import html
import re

URL_RE = re.compile(r"https?://[^\s<>\"']+")
STYLE = (
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:16px;"
    "line-height:1.5;color:#1b1f24;max-width:36rem;margin:0 auto;padding:16px"
)


QUOTE_STYLE = "margin:0 0 1em;padding-left:1em;border-left:3px solid #d8dde3;color:#4d5560"


def _line(text: str) -> str:
    escaped, last, out = text, 0, []
    for found in URL_RE.finditer(escaped):
        out.append(html.escape(escaped[last : found.start()]))
        url = html.escape(found.group(0))
        out.append(f'<a href="{url}" style="color:#0b57d0">{url}</a>')
        last = found.end()
    out.append(html.escape(escaped[last:]))
    return "".join(out)


def html_body(text: str, title: str) -> str:
    """Return an HTML document that shows `text` (a mail's plain text) as it reads."""
    parts = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if lines and all(line.startswith(">") for line in lines):
            quoted = "<br>".join(_line(line.lstrip("> ")) for line in lines)
            parts.append(f'<blockquote style="{QUOTE_STYLE}">{quoted}</blockquote>')
        else:
            parts.append(f'<p style="margin:0 0 1em">{"<br>".join(map(_line, lines))}</p>')
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'</head><body style="margin:0;background:#ffffff"><div style="{STYLE}">'
        f"{''.join(parts)}</div></body></html>"
    )
