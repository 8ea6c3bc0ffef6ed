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
TOKEN_RE = re.compile(  # slashes may repeat: the server routes //eur/tickets//… alike
    r"((?:^|[\s\"']|//[^/\s\"']*)/+[A-Za-z0-9_-]+/+tickets/+(?!suggestions/)[^/?#\s]+/+)"
    r"[^/?#\s\"']+"
)


# A query parameter that carries typed words (the desk's article search is kbq), up to the
# next parameter: an apostrophe is not encoded by encodeURIComponent and belongs to the words.
WORDS_RE = re.compile(r"([?&](?:q|kbq|query|email)=)[^&#\s\"]*")
# A secret a client put in the query string, where none belongs (the service reads tokens from
# the Authorization header or the path): a log keeps it no more than one in a path.
SECRET_RE = re.compile(r"([?&](?:token|access_token|key|password|secret)=)[^&#\s\"]*", re.I)
# A letter written %XX in a parameter's name ("?%71=" is ?q= to the server).
LETTER_RE = re.compile(r"%(4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa])")


def redact(text: str) -> str:
    """Return `text` with ticket tokens in URL paths replaced by [token] and typed words in
    query strings by [words]."""
    text = WORDS_RE.sub(r"\1[words]", LETTER_RE.sub(lambda m: chr(int(m[1], 16)), text))
    text = SECRET_RE.sub(r"\1[token]", text)
    plain = unquote(text)
    if "/tickets/" not in plain:
        return text
    return TOKEN_RE.sub(r"\1[token]", plain)
