"""Search: the Whoosh index the service queries and the Pagefind bundle the static site uses.

Each engine stays behind its own module (`whoosh_index`, `pagefind`); import from here.
"""

from __future__ import annotations

from kbgen.search.pagefind import BUNDLE, SiteIndexing, read_by_pagefind
from kbgen.search.whoosh_index import (
    INDEX_FOLDER,
    INDEX_FORMAT,
    SearchDoc,
    SearchResult,
    indexed_documents,
    search,
    search_folder,
    snippet,
    updatable,
    write_index,
)

__all__ = [
    "BUNDLE",
    "INDEX_FOLDER",
    "INDEX_FORMAT",
    "SearchDoc",
    "SearchResult",
    "SiteIndexing",
    "indexed_documents",
    "read_by_pagefind",
    "search",
    "search_folder",
    "snippet",
    "updatable",
    "write_index",
]
