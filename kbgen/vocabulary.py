"""The static search's vocabulary: every word of a tenant's pages (titles, summaries and prose,
not code) with how many pages hold it, one file per word length. The search page loads only
the lengths a misspelt word needs (templates/site/static/search.js)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from kbgen.urls import VOCABULARY_FOLDER

if TYPE_CHECKING:  # nav renders with render, which reads words with spelled_words below
    from kbgen.nav import TenantSite

# Letters only, as readers spell them; shorter words have too many neighbours to correct, and
# longer ones are not worth the bytes.
WORD = re.compile(r"[^\W\d_]+")
SHORTEST, LONGEST = 3, 24
FOLDER = VOCABULARY_FOLDER  # search/words/<length>.json: {"password": 12, ...}


def spelled_words(text: str) -> str:
    """Return the distinct words of a text, composed (NFC: "é" typed as a letter and a combining
    accent is one letter, not a break in the word) and lower-cased, separated by spaces.

    One string rather than a set: every document's words stay in memory for the whole build,
    and a set of 500 words costs about 60 KB (its table and 500 string objects) against 5 KB
    as one string: 1.5 GB of a 20,000-article build's 2.4 GB."""
    composed = unicodedata.normalize("NFC", text).lower()
    distinct = set(WORD.findall(composed))  # before filtering: most words repeat
    return " ".join(w for w in distinct if SHORTEST <= len(w) <= LONGEST)


class _Tally:
    """How many pages hold each word, updated by the pages that changed since the last call.

    `kbgen serve` rebuilds after each edit; counting the words of every page again was a
    tenth of a rebuild of 5,000 articles. Pages are known by their words' sources (a
    rendering's key stands for its text), so the counts are exact whatever came before.
    """

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], str] = {}  # a page's words (spelled_words)
        self.counts: Counter[str] = Counter()

    def update(self, pages: dict[tuple[str, str], str]) -> None:
        """Make the counts those of `pages`: (rendering's key, title) -> the body's words."""
        for gone in self.pages.keys() - pages.keys():
            for word in self.pages.pop(gone).split():
                self.counts[word] -= 1
                if not self.counts[word]:
                    del self.counts[word]
        for new in pages.keys() - self.pages.keys():
            words = set(pages[new].split()).union(spelled_words(new[1]).split())
            self.pages[new] = " ".join(words)
            self.counts.update(words)


_tallies: dict[str, _Tally] = {}  # by tenant


def vocabulary_files(site: TenantSite) -> dict[str, bytes]:
    """Return the vocabulary files of a site by their path in it."""
    pages = {(a.doc.key, f"{a.meta.title} {a.meta.summary}"): a.doc.words for a in site.articles}
    pages.update({(f.doc.key, f.meta.question): f.doc.words for f in site.faqs})
    tally = _tallies.setdefault(site.tenant.id, _Tally())
    tally.update(pages)
    by_length: dict[int, dict[str, int]] = defaultdict(dict)
    for word, count in sorted(tally.counts.items()):
        by_length[len(word)][word] = count
    return {f"{FOLDER}/{length}.json": json.dumps(words, separators=(",", ":")).encode()
            for length, words in sorted(by_length.items())}  # fmt: skip
