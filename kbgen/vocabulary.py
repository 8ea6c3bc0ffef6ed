"""The static search's vocabulary: every word of a tenant's pages (titles, summaries and prose,
not code) with how many pages hold it, one file per word length. The search page loads only
the lengths a misspelt word needs (templates/site/static/search.js)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nav renders with render, which reads words with spelled_words below
    from kbgen.nav import TenantSite

# Letters only, as readers spell them; shorter words have too many neighbours to correct, and
# longer ones are not worth the bytes.
WORD = re.compile(r"[^\W\d_]+")
SHORTEST, LONGEST = 3, 24
FOLDER = "search/words"  # search/words/<length>.json: {"password": 12, ...}


def spelled_words(text: str) -> frozenset[str]:
    """Return the distinct words of a text, lower-cased."""
    distinct = set(WORD.findall(text.lower()))  # before filtering: most words repeat
    return frozenset(w for w in distinct if SHORTEST <= len(w) <= LONGEST)


def vocabulary_files(site: TenantSite) -> dict[str, bytes]:
    """Return the vocabulary files of a site by their path in it."""
    pages: Counter[str] = Counter()
    for article in site.articles:
        title = f"{article.meta.title} {article.meta.summary}"
        pages.update(article.doc.words | spelled_words(title))
    for faq in site.faqs:
        pages.update(faq.doc.words | spelled_words(faq.meta.question))
    by_length: dict[int, dict[str, int]] = defaultdict(dict)
    for word, count in sorted(pages.items()):
        by_length[len(word)][word] = count
    return {f"{FOLDER}/{length}.json": json.dumps(words, separators=(",", ":")).encode()
            for length, words in sorted(by_length.items())}  # fmt: skip
