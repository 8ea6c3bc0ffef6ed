"""Ticket tokens and customers' words kept out of every log: the access log and the error log
alike.

A ticket's private link is /<tenant>/tickets/<reference>/<token>: whoever reads a log could
open every ticket. `redact` writes `[token]` in place of that segment wherever it stands (a
path, a request line, a full URL in a referrer), after decoding, because the server routes
/tickets%2FEUR-1%2F<token> like the plain path. The words of a search (`?q=`, the desk's too)
are what a customer typed, often their name or address, and a log outlives the erasure of
their data: the value becomes `[words]`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# The segment after /<tenant>/tickets/<reference>/ at the start of a path (the customer's
# pages; not the form's own /tickets/suggestions/..., nor /api/... or /desk/..., which carry
# no token in their paths and whose last segment says which action was called).
TOKEN_RE = re.compile(
    r"((?:^|[\s\"']|//[^/\s\"']*)/[A-Za-z0-9_-]+/tickets/(?!suggestions/)[^/?#\s]+/)[^/?#\s\"']+"
)


# A query parameter that carries typed words, however it is encoded.
WORDS_RE = re.compile(r"([?&](?:q|query|email)=)[^&#\s\"']*")


def redact(text: str) -> str:
    """Return `text` with ticket tokens in URL paths replaced by [token] and typed words in
    query strings by [words]."""
    text = WORDS_RE.sub(r"\1[words]", text)
    plain = unquote(text)
    if "/tickets/" not in plain:
        return text
    return TOKEN_RE.sub(r"\1[token]", plain)
